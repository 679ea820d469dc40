"""The figure of the CLIP trained in the DAG: its loss per step and its held-out retrieval accuracy.

    python -m papers.core.vision.figures --training results/vision/models/mini-clip/training.json \
        --scale mini --figure results/vision/figure_clip_training
"""
from __future__ import annotations

import json
from pathlib import Path

from ..io import InputError, read_text
from ..report.figures import new_figure, save_figure


def figure_clip_training(training: dict, scale: str):
    """Left: contrastive loss per training step. Right: image -> caption retrieval on the held-out
    split (top-1 and top-5 among its distinct captions) at each evaluation, with chance beside it."""
    if not isinstance(training, dict):
        raise TypeError(f"training must be a dict (training.json), got {type(training).__name__}")
    fig, (left, right) = new_figure(7.0, 2.6, ncols=2)
    left.plot(range(1, len(training["loss"]) + 1), training["loss"], color="tab:blue", linewidth=1)
    left.set_xlabel("step", fontsize=8)
    left.set_ylabel("contrastive loss", fontsize=8)
    left.set_title(f"training loss ({scale} scale)", fontsize=9)
    evals = training["retrieval"]
    steps = [e["step"] for e in evals]
    right.plot(steps, [e["top1"] for e in evals], marker="o", color="tab:orange", label="top-1")
    right.plot(steps, [e["top5"] for e in evals], marker="s", color="tab:green", label="top-5")
    right.axhline(evals[-1]["chance_top1"], color="tab:orange", linestyle=":", label="top-1 chance")
    right.axhline(evals[-1]["chance_top5"], color="tab:green", linestyle=":", label="top-5 chance")
    right.set_ylim(0, 1)
    right.set_xlabel("step", fontsize=8)
    right.set_ylabel("image -> caption accuracy", fontsize=8)
    right.set_title(f"held-out retrieval ({evals[-1]['images']} images, {evals[-1]['captions']} captions)",
                    fontsize=9)
    right.legend(frameon=False, fontsize=7, loc="center left", bbox_to_anchor=(1.0, 0.5))
    for axis in (left, right):
        axis.tick_params(labelsize=7)
    fig.tight_layout()
    return fig


def main(argv=None) -> None:
    from ..cli import parser

    p = parser(__doc__)
    p.add_argument("--training", required=True, help="training.json of the trained model")
    p.add_argument("--scale", required=True)
    p.add_argument("--figure", required=True, help="output stem: .pdf and .png are added")
    a = p.parse_args(argv)
    try:
        training = json.loads(read_text(a.training))
    except json.JSONDecodeError as err:
        raise InputError(a.training, f"malformed JSON ({err.msg})", line=err.lineno) from None
    for field in ("loss", "retrieval"):
        if field not in training:
            raise InputError(a.training, "missing field", field=field)
    save_figure(figure_clip_training(training, a.scale), Path(a.figure))


if __name__ == "__main__":
    from papers.core.cli import run

    run(main)
