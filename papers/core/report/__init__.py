"""Writing results: tables (CSV + Markdown + LaTeX), figures (PDF + PNG), provenance manifests.

Every writer is deterministic (no timestamps, fixed float formats) and atomic, so two runs of the
same inputs give byte-identical files.
"""
from .figures import save_figure
from .manifest import write_manifest
from .tables import write_table

__all__ = ["save_figure", "write_manifest", "write_table"]
