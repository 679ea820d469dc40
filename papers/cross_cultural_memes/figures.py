"""Paper 8's figures, each a function named after its file (figure_<stem>.{pdf,png}) returning the figure."""
from __future__ import annotations

import numpy as np
import pandas as pd

from papers.core.report.figures import new_figure


def figure_setting_deltas(deltas: pd.DataFrame, scale: str):
    """Heatmap: one row per (model, language), one column per setting; each cell the setting's
    macro-F1 minus the zero-shot English-prompt original-caption baseline's (blue better, red worse)."""
    deltas = deltas.assign(row=deltas["model"] + " / " + deltas["language"])
    grid = deltas.pivot_table(index="row", columns="setting", values="delta_macro_f1", sort=False)
    fig, ax = new_figure(1.2 + 0.9 * grid.shape[1], 1.0 + 0.35 * grid.shape[0])
    limit = max(0.05, float(np.nanmax(np.abs(grid.to_numpy()))))
    image = ax.imshow(grid.to_numpy(), cmap="RdBu", vmin=-limit, vmax=limit, aspect="auto")
    for (i, j), value in np.ndenumerate(grid.to_numpy()):
        if not np.isnan(value):
            ax.text(j, i, f"{value:+.2f}", ha="center", va="center", fontsize=7)
    ax.set_xticks(range(grid.shape[1]), [c.replace("/", "\n") for c in grid.columns], fontsize=6)
    ax.set_yticks(range(grid.shape[0]), grid.index, fontsize=7)
    fig.colorbar(image, ax=ax, label="macro-F1 change vs zero-shot English prompt, original caption")
    ax.set_title(f"Each setting against the zero-shot English baseline ({scale} scale)", fontsize=9)
    fig.tight_layout()
    return fig


def figure_agreement(agreement: pd.DataFrame, scale: str):
    """Cohen's kappa of each model (mean over languages) with each country's annotators, beside the US
    annotators' own kappa with each country (the generator's known differences)."""
    models = agreement[(agreement["kind"] == "model") & (agreement["language"] == "mean")]
    reference = agreement[agreement["kind"] == "reference"]
    countries = list(dict.fromkeys(agreement["country"]))
    bars = [(name, own.set_index("country")["kappa"]) for name, own in models.groupby("model", sort=False)]
    bars += [("US annotators (reference)", reference.set_index("country")["kappa"])] if len(reference) else []
    fig, ax = new_figure(1.5 + 0.9 * len(countries), 3.0)
    width = 0.8 / max(1, len(bars))
    for i, (name, kappa) in enumerate(bars):
        x = np.arange(len(countries)) + (i - (len(bars) - 1) / 2) * width
        ax.bar(x, [kappa.get(c, np.nan) for c in countries], width, label=name,
               color="lightgrey" if "reference" in name else f"C{i}")
    ax.axhline(0, color="grey", linewidth=0.8)
    ax.set_xticks(range(len(countries)), countries)
    ax.set_ylabel("Cohen's kappa with the country's labels")
    ax.legend(fontsize=7, frameon=False)
    ax.set_title(f"Agreement with each country's annotators ({scale} scale)", fontsize=9)
    fig.tight_layout()
    return fig
