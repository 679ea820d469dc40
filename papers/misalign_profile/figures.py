"""MisAlign-Profile's figures: the trade-off heatmap per model, and Alignment Score by semantic type;
each function is named after its file (figure_<stem>.{pdf,png}) and returns the figure."""
from __future__ import annotations

import numpy as np
import pandas as pd

from papers.core.report.figures import new_figure
from papers.core.taxonomy import DIMENSIONS

from .semantic_types import TYPES


def figure_tradeoffs(matrix: pd.DataFrame, detectors: list[str], scale: str, baseline: str):
    """One dimension x dimension panel per model: rows d1, columns d2, colour and label = relative AS drop."""
    fig, axes = new_figure(2.3 * len(detectors) + 0.8, 2.6, ncols=len(detectors), squeeze=False)
    image = None
    for ax, detector in zip(axes[0], detectors):
        n = len(DIMENSIONS)
        grid = np.full((n, n), np.nan)
        for r in matrix[matrix["detector"] == detector].itertuples():
            grid[DIMENSIONS.index(r.d1), DIMENSIONS.index(r.d2)] = r.drop
        image = ax.imshow(np.ma.masked_invalid(grid), cmap="RdBu_r", vmin=-0.5, vmax=0.5)
        for i in range(n):
            for j in range(n):
                if not np.isnan(grid[i, j]):
                    ax.text(j, i, f"{grid[i, j]:.0%}", ha="center", va="center", fontsize=7)
        ax.set_xticks(range(n), DIMENSIONS, rotation=30, fontsize=7)
        ax.set_yticks(range(n), DIMENSIONS if ax is axes[0][0] else [], fontsize=7)
        ax.set_title(detector, fontsize=8)
        ax.set_xlabel("also carries d2", fontsize=7)
    axes[0][0].set_ylabel("AS on d1", fontsize=7)
    fig.colorbar(image, ax=list(axes[0]), label="relative AS drop", fraction=0.02)
    fig.suptitle(f"Misalignment trade-offs ({scale} scale, baseline: {baseline})", fontsize=9)
    return fig


MISSING = "n/a"  # the mark where a model has no score for a type: no items, or every run NaN


def figure_as_by_type(table: pd.DataFrame, detectors: list[str], scale: str):
    """Joint Alignment Score per model, one bar per semantic type (error bars: std over runs). A
    type without a score is marked "n/a" where its bar would be, never drawn as a bar at 0 (an AS
    of 0 is a real, and very different, result)."""
    joint = table[table["dimension"] == "joint"].set_index(["detector", "semantic_type"])
    fig, ax = new_figure(1.2 + 1.1 * len(detectors), 3.0)
    width = 0.8 / len(TYPES)
    missing = False
    for k, t in enumerate(TYPES):
        x = np.arange(len(detectors)) + (k - 1) * width
        means = np.array([joint["as_mean"].get((d, t), np.nan) for d in detectors], dtype=float)
        stds = np.array([joint["as_std"].get((d, t), np.nan) for d in detectors], dtype=float)
        has = ~np.isnan(means)
        # a NaN std (one run) draws no error bar; a NaN mean draws no bar at all
        bars = ax.bar(x[has], means[has], width, yerr=np.where(np.isnan(stds[has]), 0, stds[has]),
                      capsize=2, label=t)
        for xi in x[~has]:
            ax.text(xi, 0.02, MISSING, ha="center", va="bottom", rotation=90, fontsize=6,
                    color=bars.patches[0].get_facecolor() if len(bars.patches) else "0.4")
        missing |= bool((~has).any())
    ax.set_xticks(range(len(detectors)), detectors, rotation=25, ha="right", fontsize=7)
    ax.set(ylim=(0, 1.18), yticks=np.linspace(0, 1, 6), ylabel="Alignment Score (joint)",
           title=f"AS by semantic type ({scale} scale)")
    if missing:  # say what the mark means where it appears
        ax.plot([], [], linestyle="none", label=f"{MISSING}: no score for the type")
    ax.legend(fontsize=7, frameon=False, ncols=3, loc="upper center")  # above the bars' range
    return fig
