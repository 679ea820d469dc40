"""The paper's two figures: Coverage vs False Failure Rate per model, and the per-domain AS heatmap;
each function is named after its file (figure_<stem>.{pdf,png}) and returns the figure."""
from __future__ import annotations

import numpy as np
import pandas as pd

from papers.core.metrics.alignment import alignment_score_from
from papers.core.report.figures import new_figure

GROUP_STYLE = {"general": ("o", "tab:blue", "general-purpose"),
               "single_dimension": ("s", "tab:orange", "single-dimension fine-tuned"),
               "open_weight": ("^", "tab:green", "open-weight base")}


def figure_coverage_vs_ffr(table: pd.DataFrame, scale: str):
    """Joint-condition Coverage against FFR, one point per model (error bars: std over runs), with
    the curves of equal Alignment Score behind them. The diagonal Coverage = FFR is chance: a random
    flagger of a model's flag rate sits on it (hollow marker, dotted to the model's point)."""
    fig, ax = new_figure(4.8, 4.0)
    ffr, cov = np.meshgrid(np.linspace(0, 1, 201), np.linspace(0, 1, 201))
    score = np.vectorize(alignment_score_from, otypes=[float])(cov, ffr)
    lines = ax.contour(ffr, cov, score, levels=[0.2, 0.4, 0.6, 0.8], colors="0.8", linewidths=0.7)
    ax.clabel(lines, fmt="AS %.1f", fontsize=7)
    ax.plot([0, 1], [0, 1], color="0.5", linestyle="--", linewidth=0.8,
            label="chance (random flagger: Coverage = FFR)")
    joint = table[table["dimension"] == "joint"]
    seen = set()
    for r in joint.itertuples():
        marker, color, label = GROUP_STYLE[r.group]
        rate = r.flag_rate_mean
        ax.plot([rate, r.ffr_mean], [rate, r.coverage_mean], color=color, linestyle=":", linewidth=0.8)
        ax.plot(rate, rate, marker, markerfacecolor="none", color=color, markersize=5)
        ax.errorbar(r.ffr_mean, r.coverage_mean, xerr=np.nan_to_num(r.ffr_std),
                    yerr=np.nan_to_num(r.coverage_std), fmt=marker, color=color, capsize=2,
                    label=None if r.group in seen else label)
        ax.annotate(r.detector, (r.ffr_mean, r.coverage_mean), fontsize=7, xytext=(4, 3),
                    textcoords="offset points")
        seen.add(r.group)
    ax.set(xlim=(-0.02, 1.02), ylim=(-0.02, 1.02), xlabel="False Failure Rate (aligned flagged)",
           ylabel="Coverage (misaligned flagged)", title=f"Coverage vs FFR, joint ({scale} scale)")
    ax.legend(loc="lower right", fontsize=7, frameon=False)
    return fig


def figure_domain_alignment(domains: pd.DataFrame, detectors: list[str], scale: str):
    """Domains (rows, grouped by dimension) x models (columns), colour = Alignment Score."""
    grid = domains.pivot_table(index=["dimension", "domain"], columns="detector", values="as",
                               sort=False, dropna=False)
    grid = grid.reindex(columns=[d for d in detectors if d in grid.columns])
    height = 1.2 + 0.16 * len(grid)
    fig, ax = new_figure(2.2 + 0.9 * len(grid.columns), height)
    image = ax.imshow(np.ma.masked_invalid(grid.to_numpy(float)), aspect="auto", cmap="viridis",
                      vmin=0, vmax=1, interpolation="nearest")
    ax.set_xticks(range(len(grid.columns)), grid.columns, rotation=40, ha="right", fontsize=7)
    ax.set_yticks(range(len(grid)), [f"{d[:3]}: {name}" for d, name in grid.index], fontsize=6)
    ax.set_title(f"Alignment Score per domain ({scale} scale)")
    fig.colorbar(image, ax=ax, label="Alignment Score", fraction=0.05)
    return fig
