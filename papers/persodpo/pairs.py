"""Preference pairs from scored candidates: PersoDPO's quality pairs, and the two baselines' pairs.

Input: one row per candidate with prompt_id, candidate_id, failure (bool: no valid JSON) and quality
(signals.quality, over the whole dataset). Output: one row per pair with prompt_id, chosen_id,
rejected_id, chosen_quality, rejected_quality, weight, kind.

- quality (PersoDPO): for each prompt, every candidate at or above the 60th quantile of the prompt's
  qualities is chosen with every candidate at or below the 40th as rejected. Quantiles are numpy's
  default (method "linear", Hyndman and Fan's type 7) over all the prompt's candidates, failures
  included. Candidates tied at a quantile are all in. Three rules the paper leaves open:
  a failed candidate may be rejected but is never chosen (a reply that is not valid JSON is no
  answer to prefer; with the failures' text signals at the worst value this only matters where
  every candidate failed); a pair needs the chosen quality strictly above the rejected one (when
  the middle qualities tie, a candidate can sit at both quantiles, and a pair of equals, or of a
  candidate with itself, states no preference); hence a prompt with one candidate, or whose
  candidates all fail, gives no pair. Weight: sigmoid(chosen_quality - rejected_quality); since
  qualities lie in [0, 1], weights lie in [0.5, 0.73].
- standard (the standard DPO baseline): the same pairs with weight 1, so that comparing it with
  PersoDPO isolates the weighting.
- simple (the "simple" DPO baseline): for each prompt, every parsing candidate (chosen) with every
  failing one (rejected), weight 1.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

UPPER, LOWER = 0.6, 0.4
QUANTILE_METHOD = "linear"
CANDIDATE_COLUMNS = ["prompt_id", "candidate_id", "failure", "quality"]
PAIR_COLUMNS = ["prompt_id", "chosen_id", "rejected_id", "chosen_quality", "rejected_quality", "weight", "kind"]


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def _checked(candidates: pd.DataFrame) -> pd.DataFrame:
    if not isinstance(candidates, pd.DataFrame):
        raise TypeError(f"candidates must be a DataFrame, got {type(candidates).__name__}")
    missing = [c for c in CANDIDATE_COLUMNS if c not in candidates.columns]
    if missing:
        raise ValueError(f"candidates lack column(s) {', '.join(missing)}")
    if candidates["candidate_id"].duplicated().any():
        raise ValueError("candidate ids must be unique")
    if candidates["quality"].isna().any():
        raise ValueError("every candidate needs a quality (signals.quality gives failures one too)")
    return candidates


def _frame(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=PAIR_COLUMNS)


def quality_pairs(candidates: pd.DataFrame, upper: float = UPPER, lower: float = LOWER) -> pd.DataFrame:
    """PersoDPO's pairs, each weighted by sigmoid(chosen_quality - rejected_quality)."""
    candidates = _checked(candidates)
    if not 0 <= lower <= upper <= 1:
        raise ValueError(f"need 0 <= lower <= upper <= 1, got lower={lower}, upper={upper}")
    rows = []
    for prompt_id, group in candidates.groupby("prompt_id", sort=True):
        q = group["quality"].to_numpy(dtype=float)
        high = np.quantile(q, upper, method=QUANTILE_METHOD)
        low = np.quantile(q, lower, method=QUANTILE_METHOD)
        chosen = group[(group["quality"] >= high) & ~group["failure"].astype(bool)]
        rejected = group[group["quality"] <= low]
        for c in chosen.itertuples():
            for r in rejected.itertuples():
                if c.quality > r.quality:
                    rows.append({"prompt_id": prompt_id, "chosen_id": c.candidate_id, "rejected_id": r.candidate_id,
                                 "chosen_quality": c.quality, "rejected_quality": r.quality,
                                 "weight": sigmoid(c.quality - r.quality), "kind": "quality"})
    return _frame(rows)


def standard_pairs(candidates: pd.DataFrame) -> pd.DataFrame:
    """The quality pairs, unweighted: the standard DPO baseline."""
    return quality_pairs(candidates).assign(weight=1.0, kind="standard")


def simple_pairs(candidates: pd.DataFrame) -> pd.DataFrame:
    """Every parsing candidate of a prompt over every failing one, unweighted."""
    candidates = _checked(candidates)
    rows = []
    for prompt_id, group in candidates.groupby("prompt_id", sort=True):
        failed = group["failure"].astype(bool)
        for c in group[~failed].itertuples():
            for r in group[failed].itertuples():
                rows.append({"prompt_id": prompt_id, "chosen_id": c.candidate_id, "rejected_id": r.candidate_id,
                             "chosen_quality": c.quality, "rejected_quality": r.quality, "weight": 1.0,
                             "kind": "simple"})
    return _frame(rows)


def preference_records(pairs: pd.DataFrame, prompts: dict[str, str], replies: dict[str, str]) -> list[dict]:
    """The pairs as TRL's conversational preference records with a weight column: the prompt as a
    user turn, chosen and rejected as the candidates' raw replies (the JSON the policy must learn to
    write, not the parsed response)."""
    if not isinstance(pairs, pd.DataFrame) or not isinstance(prompts, dict) or not isinstance(replies, dict):
        raise TypeError("pairs must be a DataFrame, prompts and replies dicts of str")
    return [{"prompt": [{"role": "user", "content": prompts[p.prompt_id]}],
             "chosen": [{"role": "assistant", "content": replies[p.chosen_id]}],
             "rejected": [{"role": "assistant", "content": replies[p.rejected_id]}],
             "weight": float(p.weight)} for p in pairs.itertuples()]
