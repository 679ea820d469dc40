"""Paper 9's tables from the scores of evaluate.py; each function is named after its file
(table_<stem>.{csv,md,tex}).

Mean and standard deviation over seeds (sample sd, ddof 1; 0 with one seed). "complete" is the 0%
missing-text rate, "text missing" the 100% rate.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .evaluate import TRIVIAL
from .methods import METHODS

ORDER = {name: i for i, name in enumerate((*METHODS, *TRIVIAL, "picture_ceiling"))}
KIND = {**{m: "baseline" for m in METHODS}, "shared_space": "method", **{t: "trivial" for t in TRIVIAL},
        "picture_ceiling": "ceiling"}
DATASET_NAMES = {"harm_c": "Harm-C", "harm_p": "Harm-P"}


def _spread(values: pd.Series) -> float:
    return float(values.std(ddof=1)) if len(values) > 1 else 0.0


def _ordered(table: pd.DataFrame, datasets: list[str]) -> pd.DataFrame:
    keys = list(zip(table["dataset"].map(datasets.index), table["method"].map(ORDER)))
    order = sorted(range(len(table)), key=keys.__getitem__)
    table = table.iloc[order].reset_index(drop=True)
    table.insert(1, "kind", table["method"].map(KIND))
    table["dataset"] = table["dataset"].map(lambda d: DATASET_NAMES.get(d, d))
    return table


def table_missing_rates(scores: pd.DataFrame) -> pd.DataFrame:
    """Per dataset, method and missing-text rate: accuracy and macro-F1, mean and sd over seeds."""
    rows = []
    for (dataset, method, rate), part in scores.groupby(["dataset", "method", "rate"], sort=False):
        rows.append({"dataset": dataset, "method": method, "rate": rate, "seeds": part["seed"].nunique(),
                     "accuracy": part["accuracy"].mean(), "accuracy_sd": _spread(part["accuracy"]),
                     "macro_f1": part["macro_f1"].mean(), "macro_f1_sd": _spread(part["macro_f1"])})
    table = pd.DataFrame(rows)
    datasets = list(dict.fromkeys(scores["dataset"]))
    table = _ordered(table.sort_values("rate", kind="stable"), datasets)
    return table


def table_main_results(scores: pd.DataFrame, ceilings: dict[str, float]) -> pd.DataFrame:
    """Per dataset and method: accuracy and macro-F1 with complete memes and with every text missing
    (mean and sd over seeds), and the drop in macro-F1 between the two (per seed, then averaged); the
    trivial baselines below the methods, and last the generator's ceiling with the text missing
    (`ceilings`: dataset -> accuracy, nan where unknown, as for real memes)."""
    if not isinstance(scores, pd.DataFrame):
        raise TypeError(f"scores must be a DataFrame, got {type(scores).__name__}")
    rows = []
    for (dataset, method), part in scores.groupby(["dataset", "method"], sort=False):
        complete = part[part["rate"] == 0.0].set_index("seed")
        missing = part[part["rate"] == 1.0].set_index("seed")
        drop = (complete["macro_f1"] - missing["macro_f1"]).dropna()
        row = {"dataset": dataset, "method": method, "seeds": part["seed"].nunique()}
        for label, rows_at in (("complete", complete), ("text_missing", missing)):
            for metric in ("accuracy", "macro_f1"):
                row[f"{metric}_{label}"] = rows_at[metric].mean()
                row[f"{metric}_{label}_sd"] = _spread(rows_at[metric])
        row["macro_f1_drop"] = drop.mean() if len(drop) else np.nan
        rows.append(row)
    for dataset, ceiling in ceilings.items():
        rows.append({"dataset": dataset, "method": "picture_ceiling", "accuracy_text_missing": ceiling})
    table = pd.DataFrame(rows)
    table["seeds"] = table["seeds"].astype("Int64")  # the ceiling row has none: an empty cell, not 5.000
    return _ordered(table, list(dict.fromkeys([*scores["dataset"], *ceilings])))
