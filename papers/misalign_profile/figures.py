"""MisAlign-Profile's figures: the trade-off heatmap per model, and Alignment Score by semantic type."""
from __future__ import annotations

import numpy as np
import pandas as pd

from papers.core.report.figures import new_figure, save_figure
from papers.core.taxonomy import DIMENSIONS

from .semantic_types import TYPES


def tradeoff_heatmaps(matrix: pd.DataFrame, detectors: list[str], stem, scale: str, baseline: str) -> None:
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
    save_figure(fig, stem)


def as_by_type(table: pd.DataFrame, detectors: list[str], stem, scale: str) -> None:
    """Joint Alignment Score per model, one bar per semantic type (error bars: std over runs)."""
    joint = table[table["dimension"] == "joint"].set_index(["detector", "semantic_type"])
    fig, ax = new_figure(1.2 + 1.1 * len(detectors), 3.0)
    width = 0.8 / len(TYPES)
    for k, t in enumerate(TYPES):
        means = [joint["as_mean"].get((d, t), np.nan) for d in detectors]
        stds = [joint["as_std"].get((d, t), np.nan) for d in detectors]
        ax.bar(np.arange(len(detectors)) + (k - 1) * width, np.nan_to_num(means), width,
               yerr=np.nan_to_num(stds), capsize=2, label=t)
    ax.set_xticks(range(len(detectors)), detectors, rotation=25, ha="right", fontsize=7)
    ax.set(ylim=(0, 1.18), yticks=np.linspace(0, 1, 6), ylabel="Alignment Score (joint)",
           title=f"AS by semantic type ({scale} scale)")
    ax.legend(fontsize=7, frameon=False, ncols=3, loc="upper center")  # above the bars' range
    save_figure(fig, stem)
