"""Stage 1 of AlignX on one backbone: every LoRA adapter of the paper's methods, in one process.

    python -m papers.alignx.experts --help

Adapters (each a directory under --out-dir, by name; papers.core.train.lora.train_lora):
  <axis>           the axis's expert, trained on its training prompts with its injection
                   (template, papers/alignx/inject.py) and queried the same way;
  <axis>_plain     the "without injection" ablation: the same examples, bare prompts;
  sft              the multi-objective SFT baseline: every axis's examples mixed, bare prompts.
One process for all of them: Python and the model load once (most of a mini-scale job's time).
Each adapter's LoRA initialisation and example order come from the seed and the adapter's place in
ADAPTERS, so retraining one gives the same weights.
"""
from __future__ import annotations

import dataclasses

import pandas as pd

from papers.core.llm.types import Chat

from .data import AXES
from .inject import expert_chat

ADAPTERS = (*AXES, *(f"{axis}_plain" for axis in AXES), "sft")


def adapter_examples(training: pd.DataFrame, name: str, template: str) -> list[tuple[Chat, str]]:
    """(chat, target) pairs of adapter `name` from the training set (targets.TRAINING_COLUMNS)."""
    if not isinstance(training, pd.DataFrame):
        raise TypeError(f"training must be a DataFrame, got {type(training).__name__}")
    if name not in ADAPTERS:
        raise ValueError(f"unknown adapter {name!r}; expected one of {', '.join(ADAPTERS)}")
    axis, plain = name.removesuffix("_plain"), name.endswith("_plain") or name == "sft"
    rows = training if name == "sft" else training[training["axis"] == axis]
    return [(expert_chat(prompt, row_axis, "none" if plain else template), target)
            for prompt, row_axis, target in zip(rows["prompt"], rows["axis"], rows["target"])]


def main(argv=None) -> None:
    import json
    from pathlib import Path

    from papers.core.cli import parser, setup_logging
    from papers.core.io import UserError
    from papers.core.llm.base import ModelSpec
    from papers.core.train.lora import LoraSettings, train_lora, training_base

    p = parser(__doc__)
    p.add_argument("--training", required=True, help="targets.py's training set (Parquet)")
    p.add_argument("--template", required=True, help="the experts' injection template")
    p.add_argument("--base", required=True, metavar="JSON", help="the backbone's registry entry")
    p.add_argument("--lora", required=True, metavar="JSON", help="LoRA settings (rank, alpha, ...)")
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--out", nargs="+", required=True, help=f"one directory per adapter, in the order {ADAPTERS}")
    a = p.parse_args(argv)
    if [Path(o).name for o in a.out] != list(ADAPTERS):
        raise UserError(f"--out must name one directory per adapter, ending in {', '.join(ADAPTERS)}")
    log = setup_logging()
    import torch

    torch.set_num_threads(max(1, a.threads))
    training = pd.read_parquet(a.training)
    base = ModelSpec.from_config(json.loads(a.base))
    settings = LoraSettings(**json.loads(a.lora))
    loaded = training_base(base)  # once for every adapter
    for i, (name, out) in enumerate(zip(ADAPTERS, a.out)):
        examples = adapter_examples(training, name, a.template)
        summary = train_lora(base, examples, dataclasses.replace(settings, seed=a.seed + i), out, base=loaded)
        log.info("%s: %d examples, loss per epoch %s", name, len(examples), summary["loss_per_epoch"])


if __name__ == "__main__":
    from papers.core.cli import run

    run(main, trains=True)  # replay: the model comes from the bundle
