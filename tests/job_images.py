"""Every job of the whole DAG with the image `--use-singularity` would run it in, as JSON lines.

    python tests/job_images.py config/paper.yaml [more.yaml ...]

A thin command line over papers/core/dag_jobs.py (which says how the DAG is built without the data);
scratch_workdir and ROOT are re-exported for the tests that parse the workflow the same way.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script: the checkout's packages

from papers.core.dag_jobs import ROOT, main, scratch_workdir  # noqa: E402

__all__ = ["ROOT", "main", "scratch_workdir"]

if __name__ == "__main__":
    main(sys.argv[1:])
