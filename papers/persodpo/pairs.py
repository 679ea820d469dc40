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
- random (pluralign's control, not in the paper): for each prompt, as many pairs as it has quality
  pairs, each two distinct candidates drawn at random (seeded), the first chosen, weight 1. DPO on
  them moves the policy as much as standard DPO does but without the signals' information: what
  standard DPO gains over it is what the signals bring.
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


def random_pairs(candidates: pd.DataFrame, seed: int) -> pd.DataFrame:
    """Per prompt, as many random ordered pairs of distinct candidates as its quality pairs."""
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    counts = quality_pairs(candidates)["prompt_id"].value_counts()
    rng = np.random.default_rng(seed)
    rows = []
    for prompt_id, group in candidates.groupby("prompt_id", sort=True):
        for _ in range(int(counts.get(prompt_id, 0))):
            c, r = group.iloc[rng.choice(len(group), size=2, replace=False)].itertuples()
            rows.append({"prompt_id": prompt_id, "chosen_id": c.candidate_id, "rejected_id": r.candidate_id,
                         "chosen_quality": c.quality, "rejected_quality": r.quality, "weight": 1.0,
                         "kind": "random"})
    return _frame(rows)


# The trained policies, each with the pairs it learns from (table order).
POLICY_PAIRS = {"persodpo": lambda c, seed: quality_pairs(c), "standard": lambda c, seed: standard_pairs(c),
                "simple": lambda c, seed: simple_pairs(c), "random": random_pairs}


def policy_pairs(candidates: pd.DataFrame, seed: int) -> pd.DataFrame:
    """Every policy's pairs, with a column `policy`."""
    return pd.concat([make(candidates, seed).assign(policy=name) for name, make in POLICY_PAIRS.items()],
                     ignore_index=True)


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


def main(argv=None) -> None:
    """python -m papers.persodpo.pairs --signals S --seed N --quality-out Q --out P: the training
    candidates' quality (signals.quality over all of them) and every policy's pairs."""
    from papers.core.cli import parser, setup_logging
    from papers.core.io import write_parquet

    from .signals import quality

    p = parser(__doc__)
    p.add_argument("--signals", required=True, help="score.py's signals of the training candidates")
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--quality-out", required=True)
    p.add_argument("--out", required=True)
    a = p.parse_args(argv)
    log = setup_logging()
    signals = pd.read_parquet(a.signals)
    candidates = signals.assign(quality=quality(signals))
    pairs = policy_pairs(candidates, a.seed)
    write_parquet(a.quality_out, candidates)
    write_parquet(a.out, pairs)
    log.info("pairs per policy: %s", pairs["policy"].value_counts().to_dict())


if __name__ == "__main__":
    from papers.core.cli import run

    run(main)
