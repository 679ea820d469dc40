"""Demo-SafetyBench's figures: ICC and DS over the (delta, tau) grid, and the unsafe rate per
demographic group per rater; each function is named after its file (figure_<stem>.{pdf,png}) and
returns the figure."""
from __future__ import annotations

import numpy as np
import pandas as pd

from papers.core.report.figures import new_figure

METRICS = {"ICC(2,1)": ("ICC(2,1)", "viridis", (-0.2, 1.0)), "DS": ("demographic sensitivity DS", "magma", (0.0, 0.5))}


def figure_threshold_sweep(sweep: pd.DataFrame, raters: list[str], scale: str):
    """Rows: ICC(2,1) then DS; one column per rater; rows of a panel delta, columns tau; the
    balanced point outlined."""
    deltas, taus = sorted(sweep["delta"].unique()), sorted(sweep["tau"].unique())
    fig, axes = new_figure(1.0 + 2.4 * len(raters), 4.8, nrows=2, ncols=len(raters), squeeze=False)
    for row, (metric, (label, cmap, (vmin, vmax))) in enumerate(METRICS.items()):
        image = None
        for ax, rater in zip(axes[row], raters):
            own = sweep[sweep["rater"] == rater]
            grid = own.pivot(index="delta", columns="tau", values=metric).reindex(index=deltas, columns=taus)
            image = ax.imshow(np.ma.masked_invalid(grid.to_numpy(dtype=float)), cmap=cmap, vmin=vmin, vmax=vmax,
                              aspect="auto")
            for i in range(len(deltas)):
                for j in range(len(taus)):
                    value = grid.iat[i, j]
                    ax.text(j, i, "n/a" if np.isnan(value) else f"{value:.2f}", ha="center", va="center",
                            fontsize=6, color="white" if not np.isnan(value) and value < (vmin + vmax) / 2 else "black")
            balanced = own[own["balanced"]]
            if len(balanced):
                i, j = deltas.index(balanced["delta"].iloc[0]), taus.index(balanced["tau"].iloc[0])
                ax.add_patch(_outline(i, j))
            ax.set_xticks(range(len(taus)), [str(t) for t in taus], fontsize=7)
            ax.set_yticks(range(len(deltas)), [f"{d:g}" for d in deltas] if ax is axes[row][0] else [], fontsize=7)
            ax.set_title(rater if row == 0 else "", fontsize=8)
            if row == 1:
                ax.set_xlabel("dedup threshold tau", fontsize=7)
        axes[row][0].set_ylabel(f"{label}\nreclassification delta", fontsize=7)
        fig.colorbar(image, ax=list(axes[row]), fraction=0.02)
    fig.suptitle(f"Reliability and sensitivity over the threshold grid ({scale} scale; outlined: the "
                 "paper's balanced point)", fontsize=8)
    return fig


def _outline(i: int, j: int):
    from matplotlib.patches import Rectangle

    return Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, edgecolor="red", linewidth=1.5)


def figure_unsafe_rates(rates: pd.DataFrame, axes_order: list[str], scale: str):
    """One panel per demographic axis: bars per group, one per rater (and the human raters where the
    data has demographics); a dashed line marks each rater's unframed rate."""
    raters = list(dict.fromkeys(rates["rater"]))
    fig, axes = new_figure(1.0 + 2.6 * len(axes_order), 3.2, ncols=len(axes_order), squeeze=False)
    width = 0.8 / max(1, len(raters))
    colours = [f"C{i}" for i in range(len(raters))]
    for ax, axis in zip(axes[0], axes_order):
        part = rates[rates["axis"] == axis]
        groups = list(dict.fromkeys(part["group"]))
        x = np.arange(len(groups))
        for k, (rater, colour) in enumerate(zip(raters, colours)):
            own = part[part["rater"] == rater].set_index("group").reindex(groups)
            ax.bar(x - 0.4 + width * (k + 0.5), own["unsafe_rate"], width, color=colour,
                   label=rater if ax is axes[0][0] else None)
            unframed = own["unframed_rate"].dropna()
            if len(unframed):
                ax.axhline(unframed.iloc[0], color=colour, linestyle="--", linewidth=0.8)
        ax.set_xticks(x, groups, rotation=30, ha="right", fontsize=7)
        ax.set_ylim(0, 1)
        ax.set_title(axis, fontsize=8)
    axes[0][0].set_ylabel("share rated unsafe", fontsize=7)
    fig.legend(loc="upper center", ncol=len(raters), fontsize=7, frameon=False, bbox_to_anchor=(0.5, 0.0))
    fig.suptitle(f"Unsafe rate per demographic framing ({scale} scale; dashed: unframed)", fontsize=8)
    fig.tight_layout()
    return fig
