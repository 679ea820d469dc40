"""The prompts of the module: FoCus turns with their split, the prompt text and a prompt id.

    python -m papers.persodpo.prepare --help

From focus.load_focus (dialogue-disjoint splits), each dialogue's first `turns` turns are kept
(earlier turns have shorter contexts: cheaper to generate, score and train on), then at most
`max_train` training and `max_test` test turns, a seeded sample ranked by
papers.core.splits.position(prompt_id, seed) (0 = all). Validation turns are not used (DPO runs a
fixed number of steps; nothing is tuned on them). Output: one row per turn, focus.COLUMNS plus
prompt_id ("<dialogue_id>/<turn>") and prompt (candidates.candidate_prompt).
"""
from __future__ import annotations

from typing import Sequence

import pandas as pd

from papers.core.splits import position

from .candidates import candidate_prompt
from .focus import load_focus


def _count(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{name} must be an int >= 0, got {value!r}")
    return value


def select_turns(rows: pd.DataFrame, seed: int, turns: int, max_train: int, max_test: int) -> pd.DataFrame:
    """The kept train and test turns of load_focus's rows, with prompt_id and prompt."""
    if not isinstance(rows, pd.DataFrame):
        raise TypeError(f"rows must be a DataFrame, got {type(rows).__name__}")
    if _count(turns, "turns") == 0:
        raise ValueError("turns must be at least 1")
    kept = rows[rows["turn"] <= turns].copy()
    kept.insert(0, "prompt_id", kept["dialogue_id"] + "/" + kept["turn"].astype(str))
    parts = []
    for split, most in (("train", _count(max_train, "max_train")), ("test", _count(max_test, "max_test"))):
        part = kept[kept["split"] == split]
        part = part.assign(_rank=[position(p, seed) for p in part["prompt_id"]]).sort_values(["_rank", "prompt_id"])
        parts.append(part.head(most) if most else part)
    out = pd.concat(parts, ignore_index=True).drop(columns="_rank")
    if not (out["split"] == "train").any() or not (out["split"] == "test").any():
        raise ValueError(f"no train or no test turns: {out['split'].value_counts().to_dict()} "
                         "(check the split fractions and the number of dialogues)")
    out["prompt"] = [candidate_prompt(list(r.persona), r.knowledge, list(r.context)) for r in out.itertuples()]
    return out.sort_values(["split", "prompt_id"], ascending=[False, True], ignore_index=True)


def prepare(focus: str, seed: int, fractions: Sequence[float], turns: int, max_train: int,
            max_test: int) -> pd.DataFrame:
    return select_turns(load_focus(focus, seed, fractions), seed, turns, max_train, max_test)


def main(argv=None) -> None:
    from papers.core.cli import parser, setup_logging
    from papers.core.io import write_parquet

    p = parser(__doc__)
    p.add_argument("--focus", required=True, help="a FoCus JSON file (released, or data/persodpo's mini set)")
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--splits", type=float, nargs=3, required=True, metavar=("TRAIN", "VALIDATION", "TEST"))
    p.add_argument("--turns", type=int, required=True, help="the first turns kept per dialogue")
    p.add_argument("--max-train", type=int, required=True)
    p.add_argument("--max-test", type=int, required=True)
    p.add_argument("--out", required=True)
    a = p.parse_args(argv)
    log = setup_logging()
    # fractions are config: train, validation, test as the schema orders them; load_focus takes the same order
    turns = prepare(a.focus, a.seed, a.splits, a.turns, a.max_train, a.max_test)
    write_parquet(a.out, turns)
    log.info("%s", turns["split"].value_counts().to_dict())


if __name__ == "__main__":
    from papers.core.cli import run

    run(main)
