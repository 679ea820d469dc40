"""AlignX's tables; each function is named after its file (table_<stem>.{csv,md,tex})."""
from __future__ import annotations

import numpy as np
import pandas as pd

from .router import expected_calibration_error, reliability
from .routing import GATES, ROUTERS

N_BINS = 10  # the released Computational_Calibration.py's bins


def _calibration_row(name: str, terms: str, gates: np.ndarray, labels: np.ndarray) -> dict:
    bins = reliability(gates, labels, N_BINS)
    return {"router": name, "calibration": terms, "prompts": len(labels),
            "accuracy": float((gates.argmax(axis=1) == labels).mean()),
            "confidence": float(gates.max(axis=1).mean()),
            "ece": expected_calibration_error(gates, labels, N_BINS),
            "bins_used": sum(1 for b in bins if b["count"])}


def table_router_calibration(gates: pd.DataFrame) -> pd.DataFrame:
    """Per router, on the test prompts: the share whose top gate is their own axis (accuracy), the
    mean top gate (confidence) and the ECE (10 equal-width bins); last, the uniform router (every
    gate 1/3; its top gate is the first expert, helpful), the trivial baseline: calibrated by
    construction when the axes are balanced, and right only by chance."""
    if not isinstance(gates, pd.DataFrame):
        raise TypeError(f"gates must be a DataFrame, got {type(gates).__name__}")
    test = gates[gates["split"] == "test"]
    rows = []
    for name, (natural, fractal) in ROUTERS.items():
        own = test[test["router"] == name]
        terms = " + ".join(t for t, on in (("natural", natural), ("fractal", fractal)) if on) or "none"
        rows.append(_calibration_row(name, terms, own[GATES].to_numpy(), own["label"].to_numpy()))
    labels = test.loc[test["router"] == "softmax", "label"].to_numpy()
    rows.append(_calibration_row("uniform", "none (chance)", np.full((len(labels), len(GATES)), 1 / len(GATES)),
                                 labels))
    return pd.DataFrame(rows)
