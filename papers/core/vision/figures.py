"""The figures of the models trained in the DAG: the CLIP's loss and held-out retrieval accuracy, the
LVLM's projector loss and held-out quality against its baselines (and that quality as a table).

    python -m papers.core.vision.figures --training results/vision/models/mini-clip/training.json \
        --scale mini --figure results/vision/figure_clip_training
    python -m papers.core.vision.figures --lvlm-training results/vision/models/mini-lvlm/training.json \
        --scale mini --figure results/vision/figure_lvlm_training --table results/vision/table_lvlm_quality
"""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from ..io import InputError, read_text
from ..report.figures import new_figure, save_figure
from ..report.tables import write_table


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


def figure_lvlm_training(training: dict, scale: str):
    """Left: the projector's regression loss per step, and on the held-out memes. Middle: held-out
    caption NLL per token with the meme's own image, another meme's image and no image. Right:
    held-out yes/no accuracy, own vs other image, with chance."""
    if not isinstance(training, dict):
        raise TypeError(f"training must be a dict (training.json), got {type(training).__name__}")
    fig, (left, middle, right) = new_figure(9.0, 2.6, ncols=3)
    left.plot(range(1, len(training["loss"]) + 1), training["loss"], color="tab:blue", linewidth=1, label="train")
    held = training["holdout_loss"]
    left.plot([h["step"] for h in held], [h["loss"] for h in held], color="tab:orange", marker="o", markersize=3,
              label="held-out")
    left.axhline(training["holdout_loss_of_mean_caption"], color="tab:orange", linestyle=":",
                 label="held-out, mean caption")
    left.set_xlabel("step", fontsize=8)
    left.set_ylabel("embedding regression (MSE)", fontsize=8)
    left.set_title(f"projector training ({scale} scale)", fontsize=9)
    left.legend(frameon=False, fontsize=7)
    final = training["final"]
    colours = {"own_image": "tab:green", "other_image": "tab:red", "no_image": "tab:grey"}
    nll = final["caption_nll"]
    middle.bar([k.replace("_", " ") for k in nll], list(nll.values()), color=[colours[k] for k in nll])
    middle.set_ylabel("caption NLL per token", fontsize=8)
    middle.set_title(f"held-out captions ({final['memes']} memes)", fontsize=9)
    answers = {k: final["yes_no"][k] for k in ("own_image", "other_image")}
    right.bar([k.replace("_", " ") for k in answers], list(answers.values()), color=[colours[k] for k in answers])
    right.axhline(final["yes_no"]["chance"], color="black", linestyle=":", label="chance")
    right.set_ylim(0, 1)
    right.set_ylabel("yes/no accuracy", fontsize=8)
    right.set_title("held-out \"Is there ...?\" questions", fontsize=9)
    right.legend(frameon=False, fontsize=7)
    for axis in (left, middle, right):
        axis.tick_params(labelsize=7)
    fig.tight_layout()
    return fig


def table_lvlm_quality(training: dict) -> pd.DataFrame:
    """The final held-out quality: each measure with the meme's own image and its baselines (the
    baseline column: the mean training caption's embeddings; for yes/no the better of chance and
    always Yes)."""
    final = training["final"]
    nll, yes_no = final["caption_nll"], final["yes_no"]
    return pd.DataFrame([
        {"measure": "projector: caption-embedding MSE (lower is better)", "own image": training["holdout_loss"][-1]["loss"],
         "other meme's image": None, "no image": None, "baseline": training["holdout_loss_of_mean_caption"]},
        {"measure": "caption NLL per token (lower is better)", "own image": nll["own_image"],
         "other meme's image": nll["other_image"], "no image": nll["no_image"], "baseline": None},
        {"measure": "yes/no accuracy", "own image": yes_no["own_image"], "other meme's image": yes_no["other_image"],
         "no image": None, "baseline": max(yes_no["chance"], yes_no["always_yes"])},
    ])


def _read_training(path: str, fields: tuple[str, ...]) -> dict:
    try:
        training = json.loads(read_text(path))
    except json.JSONDecodeError as err:
        raise InputError(path, f"malformed JSON ({err.msg})", line=err.lineno) from None
    for field in fields:
        if field not in training:
            raise InputError(path, "missing field", field=field)
    return training


def main(argv=None) -> None:
    from ..cli import parser

    p = parser(__doc__)
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--training", help="training.json of the trained CLIP")
    which.add_argument("--lvlm-training", help="training.json of the trained LVLM")
    p.add_argument("--scale", required=True)
    p.add_argument("--figure", required=True, help="output stem: .pdf and .png are added")
    p.add_argument("--table", help="output stem of the LVLM's quality table: .csv, .md and .tex are added")
    a = p.parse_args(argv)
    if a.training:
        save_figure(figure_clip_training(_read_training(a.training, ("loss", "retrieval")), a.scale), Path(a.figure))
        return
    training = _read_training(a.lvlm_training, ("loss", "holdout_loss", "final"))
    save_figure(figure_lvlm_training(training, a.scale), Path(a.figure))
    if a.table:
        write_table(table_lvlm_quality(training), a.table,
                    caption=f"The mini LVLM on {training['final']['memes']} held-out memes ({a.scale} scale)")


if __name__ == "__main__":
    from papers.core.cli import run

    run(main)
