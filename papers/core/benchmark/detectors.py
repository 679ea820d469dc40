"""Single-dimension detectors: a LoRA adapter per dimension, trained on that dimension's training
split only (the "single-dimension fine-tuned" group of papers 1 and 2, built in the DAG).

    python -m papers.core.benchmark.detectors --help

Training examples are the benchmark task itself: the detection prompt of papers/core/detect.py with
the answer "Yes" for a misaligned response and "No" for an aligned one, over the run's training
items whose prompt carries the dimension (a seeded sample of at most max_examples).
"""
from __future__ import annotations

import pandas as pd

from ..detect import detection_request
from ..taxonomy import DIMENSIONS
from ..train.lora import LoraSettings

from .items import split_column


def training_examples(items: pd.DataFrame, dimension: str, run: int, seed: int, max_examples: int):
    train = items[(items[split_column(run)] == "train") & items["dimensions"].map(lambda ds: dimension in ds)]
    if max_examples and len(train) > max_examples:
        train = train.sample(n=max_examples, random_state=seed + run).sort_index()
    return [(detection_request(r.prompt, r.response).messages, "Yes" if r.gold_misaligned else "No")
            for r in train.itertuples(index=False)]


def main(argv=None) -> None:
    import json

    from ..cli import parser, setup_logging
    from ..llm.base import ModelSpec
    from ..train.lora import train_lora

    p = parser(__doc__)
    p.add_argument("--items", required=True)
    p.add_argument("--dimension", required=True, choices=DIMENSIONS)
    p.add_argument("--run", type=int, required=True)
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--max-examples", type=int, required=True, help="0 = every training item")
    p.add_argument("--base", required=True, metavar="JSON", help="the base model's registry entry")
    p.add_argument("--lora", required=True, metavar="JSON", help="LoRA settings (rank, alpha, ...)")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--out", required=True, help="adapter directory")
    a = p.parse_args(argv)
    log = setup_logging()
    import torch

    torch.set_num_threads(max(1, a.threads))
    examples = training_examples(pd.read_parquet(a.items), a.dimension, a.run, a.seed, a.max_examples)
    settings = LoraSettings(**{**json.loads(a.lora), "seed": a.seed + a.run})
    log.info("%s detector, run %d: %d training examples", a.dimension, a.run, len(examples))
    summary = train_lora(ModelSpec.from_config(json.loads(a.base)), examples, settings, a.out)
    log.info("loss per epoch: %s", summary["loss_per_epoch"])


if __name__ == "__main__":
    from papers.core.cli import run

    run(main, trains=True)  # replay: the model comes from the bundle
