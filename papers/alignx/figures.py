"""AlignX's figures; each function is named after its file (figure_<stem>.{pdf,png}) and returns the figure."""
from __future__ import annotations

import numpy as np
import pandas as pd

from papers.core.report.figures import new_figure

from .data import AXES
from .router import RouterSettings, expected_calibration_error, latent_projection, reliability, to_latent
from .routing import GATES
from .tables import N_BINS

PANELS = {"softmax": "before: softmax gating", "alignx": "after: MoCaE (natural + fractal)"}


def figure_router_reliability(gates: pd.DataFrame, scale: str):
    """Reliability diagrams of the uncalibrated and the calibrated router on the test prompts: per
    confidence bin, the share routed to their own axis, against the diagonal; ECE in each title."""
    fig, axes = new_figure(7.0, 3.4, ncols=len(PANELS), sharey=True)
    for ax, (name, title) in zip(axes, PANELS.items()):
        own = gates[(gates["router"] == name) & (gates["split"] == "test")]
        p, y = own[GATES].to_numpy(), own["label"].to_numpy()
        bins = [b for b in reliability(p, y, N_BINS) if b["count"]]
        ax.bar([(b["lower"] + b["upper"]) / 2 for b in bins], [b["accuracy"] for b in bins], width=1 / N_BINS,
               edgecolor="black", linewidth=0.5, color="C0", alpha=0.8, label="accuracy")
        ax.plot([b["confidence"] for b in bins], [b["accuracy"] for b in bins], "o", color="C3", markersize=3,
                label="mean confidence")
        ax.plot([0, 1], [0, 1], "--", color="grey", linewidth=0.8)
        for b in bins:
            ax.annotate(str(b["count"]), ((b["lower"] + b["upper"]) / 2, 0.02), ha="center", fontsize=6)
        ax.set_title(f"{title}\nECE = {expected_calibration_error(p, y, N_BINS):.3f} (n = {len(y)})", fontsize=8)
        ax.set_xlabel("top-gate confidence", fontsize=8)
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
    axes[0].set_ylabel("routed to the prompt's own axis", fontsize=8)
    axes[0].legend(fontsize=7, frameon=False, loc="upper left")
    fig.suptitle(f"AlignX router calibration ({scale} scale; bar labels: prompts per bin)", fontsize=9)
    fig.tight_layout()
    return fig


def figure_feature_overlap(features: np.ndarray, table: pd.DataFrame, settings: RouterSettings, scale: str):
    """The prompts in the router's latent space (its seeded projection, unit sphere), on their first two
    principal components, by axis: train as dots, held-out as crosses; how far apart the axes lie is
    what the router can learn."""
    z = to_latent(features, latent_projection(features.shape[1], settings.latent_dim, settings.seed))
    centred = z - z.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    xy = centred @ vt[:2].T
    xy *= np.where(vt[:2].sum(axis=1) < 0, -1.0, 1.0)  # an SVD's sign is arbitrary: fix it for byte-equal reruns
    fig, ax = new_figure(4.6, 3.8)
    train = (table["split"] == "train").to_numpy()
    for i, axis in enumerate(AXES):
        own = (table["axis"] == axis).to_numpy()
        ax.scatter(*xy[own & train].T, s=8, color=f"C{i}", alpha=0.6, label=f"{axis} (train)")
        ax.scatter(*xy[own & ~train].T, s=18, color=f"C{i}", marker="x", label=f"{axis} (held out)")
    ax.set_xlabel("latent PC 1", fontsize=8)
    ax.set_ylabel("latent PC 2", fontsize=8)
    ax.legend(fontsize=6, frameon=False, ncol=2)
    ax.set_title(f"Axis feature space of the prompts ({scale} scale)", fontsize=9)
    fig.tight_layout()
    return fig
