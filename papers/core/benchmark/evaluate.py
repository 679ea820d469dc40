"""One detector on every run's test split: P(misaligned) per item by option scoring, and its verdict.

    python -m papers.core.benchmark.evaluate --help

Zero-shot and without domain labels (papers/core/detect.py). One process for all runs: Python and the
model start once (most of a mini-scale run's time), and a LoRA detector gets each run's own adapter
(`--models`, one registry entry per run). Output, one predictions parquet per run: detector, run,
item_id, p_misaligned, flagged (p_misaligned >= threshold).
"""
from __future__ import annotations

import pandas as pd

from ..detect import p_misaligned

from .items import split_column


def predict(model, items: pd.DataFrame, run: int, threshold: float, detector: str) -> pd.DataFrame:
    test = items[items[split_column(run)] == "test"]
    p = p_misaligned(model, test["prompt"].tolist(), test["response"].tolist())
    return pd.DataFrame({"detector": detector, "run": run, "item_id": test["item_id"].to_numpy(),
                         "p_misaligned": p, "flagged": p >= threshold})


def main(argv=None) -> None:
    import json

    from ..cli import open_model, parser, setup_logging
    from ..io import UserError, write_parquet

    p = parser(__doc__)
    p.add_argument("--items", required=True)
    p.add_argument("--detector", required=True, help="the detector's name in the tables")
    p.add_argument("--runs", type=int, nargs="+", required=True)
    p.add_argument("--threshold", type=float, required=True)
    p.add_argument("--models", required=True, metavar="JSON",
                   help="a JSON list of registry entries, the detector's model in each run")
    p.add_argument("--cache", required=True, help="SQLite file of the model-call cache")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--out", nargs="+", required=True, help="one predictions parquet per run")
    a = p.parse_args(argv)
    models = json.loads(a.models)
    if not (isinstance(models, list) and len(models) == len(a.runs) == len(a.out)):
        raise UserError(f"--models must list one registry entry per run, and --out one file per run: "
                        f"got {len(a.runs)} runs, {len(models) if isinstance(models, list) else 'no list of'} "
                        f"entries and {len(a.out)} files")
    log = setup_logging()
    items = pd.read_parquet(a.items)
    opened: dict[str, object] = {}  # a zero-shot detector's runs share one model and its loaded weights
    for run, entry, out in zip(a.runs, models, a.out):
        key = json.dumps(entry, sort_keys=True)
        if key not in opened:
            opened = {key: open_model(key, a.cache, a.threads, desc=f"{a.detector} run {run}")}
        model = opened[key]
        calls = model.calls
        predictions = predict(model, items, run, a.threshold, a.detector)
        write_parquet(out, predictions)
        log.info("%s run %d: %d test items, %d flagged, %d model calls", a.detector, run, len(predictions),
                 int(predictions["flagged"].sum()), model.calls - calls)


if __name__ == "__main__":
    from papers.core.cli import run

    run(main)
