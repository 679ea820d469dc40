"""Figures as <stem>.pdf and <stem>.png with no timestamps or tool versions embedded."""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from ..io import atomic_path  # noqa: E402

# Metadata fields matplotlib would otherwise fill with the date or its version.
_METADATA = {"pdf": {"CreationDate": None, "ModDate": None, "Producer": None, "Creator": None},
             "png": {"Software": None}}

STYLE = {"figure.dpi": 100, "savefig.dpi": 150, "font.size": 9, "axes.titlesize": 10,
         "axes.spines.top": False, "axes.spines.right": False}


def new_figure(width: float, height: float, **subplots):
    with plt.rc_context(STYLE):
        return plt.subplots(figsize=(width, height), **subplots)


def save_figure(fig, stem: str | Path) -> list[Path]:
    """Save <stem>.pdf and <stem>.png, close the figure, return the paths."""
    stem = Path(stem)
    paths = []
    with plt.rc_context(STYLE):
        for fmt in ("pdf", "png"):
            path = stem.with_suffix("." + fmt)
            with atomic_path(path) as tmp:
                fig.savefig(tmp, format=fmt, metadata=_METADATA[fmt], bbox_inches="tight")
            paths.append(path)
    plt.close(fig)
    return paths
