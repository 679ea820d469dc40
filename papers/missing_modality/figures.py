"""Paper 9's figure: macro-F1 against the share of test memes whose text is missing; each function is
named after its file (figure_<stem>.{pdf,png}) and returns the figure."""
from __future__ import annotations

import pandas as pd

from papers.core.report.figures import new_figure

from .methods import METHODS

STYLE = {"shared_space": {"color": "black", "linewidth": 2.0, "marker": "o"}}  # the method stands out
TRIVIAL_LINES = {"most_frequent": ":", "chance": "--"}


def figure_missing_rates(rates: pd.DataFrame, scale: str):
    """One panel per dataset: each method's mean macro-F1 over seeds at each missing-text rate, with
    error bars of one sd; the trivial baselines as grey lines."""
    datasets = list(dict.fromkeys(rates["dataset"]))
    fig, axes = new_figure(0.6 + 3.4 * len(datasets), 3.2, ncols=len(datasets), squeeze=False, sharey=True)
    for ax, dataset in zip(axes[0], datasets):
        own = rates[rates["dataset"] == dataset]
        for i, method in enumerate(m for m in METHODS if m in set(own["method"])):
            line = own[own["method"] == method].sort_values("rate")
            style = STYLE.get(method, {"color": f"C{i}", "linewidth": 1.0, "marker": "."})
            ax.errorbar(100 * line["rate"], line["macro_f1"], yerr=line["macro_f1_sd"], capsize=2,
                        label=method.replace("_", " "), **style)
        for method, dash in TRIVIAL_LINES.items():
            level = own.loc[own["method"] == method, "macro_f1"]
            if len(level):
                ax.axhline(level.mean(), color="grey", linestyle=dash, linewidth=0.8,
                           label=method.replace("_", " ") if ax is axes[0][0] else None)
        ax.set_title(dataset, fontsize=9)
        ax.set_xlabel("test memes with text missing (%)", fontsize=8)
        ax.set_xticks([0, 25, 50, 75, 100])
    axes[0][0].set_ylabel("macro-F1 (mean over seeds, bars: 1 sd)", fontsize=8)
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="upper center", ncol=4, fontsize=7, frameon=False, bbox_to_anchor=(0.5, 0.0))
    fig.suptitle(f"Harmful-meme detection as the text goes missing ({scale} scale)", fontsize=9)
    fig.tight_layout()
    return fig
