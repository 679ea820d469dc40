"""CROSS-ALIGN+'s figure, a function named after its file (figure_<stem>.{pdf,png})."""
from __future__ import annotations

import numpy as np
import pandas as pd

from papers.core.report.figures import new_figure

from .answers import VARIANTS


def figure_gains(variants: pd.DataFrame, scale: str):
    """Relative macro-F1 gain over base of +I, +I+II and full, per benchmark, one panel per LVLM."""
    models = variants[variants["kind"] == "model"]
    names = list(dict.fromkeys(models["model"]))
    fig, axes = new_figure(max(4.0, 1.6 * models["benchmark"].nunique() + 1.5), 2.8 * len(names),
                           nrows=len(names), squeeze=False)
    shown = VARIANTS[1:]
    for ax, name in zip(axes[:, 0], names):
        own = models[models["model"] == name]
        benchmarks = list(dict.fromkeys(own["benchmark"]))
        x = np.arange(len(benchmarks))
        width = 0.8 / len(shown)
        for i, variant in enumerate(shown):
            gains = [own[(own["benchmark"] == b) & (own["variant"] == variant)]["relative_gain"].iloc[0] * 100
                     for b in benchmarks]
            ax.bar(x + (i - (len(shown) - 1) / 2) * width, gains, width, label=variant)
        ax.axhline(0, color="black", linewidth=0.6)
        ax.axhline(17, color="grey", linestyle="--", linewidth=0.6, label="paper: up to +17%")
        ax.set_xticks(x, benchmarks)
        ax.set_ylabel("relative macro-F1 gain over base (%)")
        ax.set_title(f"{name} ({scale} scale)")
        ax.legend(fontsize=7, frameon=False)
    return fig
