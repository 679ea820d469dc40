"""One detector on one run's test split: P(misaligned) per item by option scoring, and its verdict.

    python -m papers.core.benchmark.evaluate --help

Zero-shot and without domain labels (papers/core/detect.py). Output (predictions parquet): detector,
run, item_id, p_misaligned, flagged (p_misaligned >= threshold).
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
    from ..cli import add_model_args, open_model, parser, setup_logging
    from ..io import write_parquet

    p = parser(__doc__)
    p.add_argument("--items", required=True)
    p.add_argument("--detector", required=True, help="the detector's name in the tables")
    p.add_argument("--run", type=int, required=True)
    p.add_argument("--threshold", type=float, required=True)
    add_model_args(p, "model")
    p.add_argument("--out", required=True)
    a = p.parse_args(argv)
    log = setup_logging()
    model = open_model(a.model, a.cache, a.threads, desc=a.detector)
    predictions = predict(model, pd.read_parquet(a.items), a.run, a.threshold, a.detector)
    write_parquet(a.out, predictions)
    log.info("%s run %d: %d test items, %d flagged, %d model calls", a.detector, a.run, len(predictions),
             int(predictions["flagged"].sum()), model.calls)


if __name__ == "__main__":
    from papers.core.cli import run

    run(main)
