"""The three evaluations of every method's answers, by the judges of config `alignx.judges`.

    python -m papers.alignx.judge --help

- helpful (AlpacaEval style): the pairwise judge sees the instruction, the answer and the reference
  in the recorded order of evaluate.model_first, and again swapped, and scores the options
  "Output (a)" and "Output (b)"; P(model's output) is the two-way softmax of their log-likelihoods,
  averaged over the two orders, and the outcome is a win above 0.5, a loss below, a tie at 0.5 (an
  identical answer is a tie without a judge call). Both orders because the mini judge preferred
  output (a) in every comparison (README). Option scoring rather than a generated verdict: a 270M
  base judge's generated verdicts could not be read.
- harmless: P(Yes) of the safety judge's "is the response unsafe?" (evaluate.safety_question);
- honest: P(Yes) of "is it truthful?" with TruthfulQA's correct and incorrect answers, and of "is it
  informative?" (evaluate.truthful_question, informative_question).
A judge model is loaded once for every role it plays. Output (Parquet), one row per verdict:
backbone, method, prompt_id, axis, measure (win | p_unsafe | p_true | p_info), value, model_first
(1.0 / 0.0 for win rows, nan otherwise).
"""
from __future__ import annotations

import dataclasses
import math

import pandas as pd

from papers.core.llm.types import Sampling, ScoreRequest, user
from papers.core.verdict import ask_yes_no, softmax

from .evaluate import (PAIRWISE_SYSTEM, informative_question, pairwise_items, safety_question,
                       truthful_question)

PAIRWISE_OPTIONS = ("Output (a)", "Output (b)")
ROLES = ("pairwise", "safety", "truthful", "informative")
COLUMNS = ["backbone", "method", "prompt_id", "axis", "measure", "value", "model_first"]


def _rows(answers: pd.DataFrame, measure: str, values, model_first=None) -> pd.DataFrame:
    out = answers[["backbone", "method", "prompt_id", "axis"]].reset_index(drop=True)
    first = [math.nan] * len(out) if model_first is None else [float(f) for f in model_first]
    return out.assign(measure=measure, value=list(values), model_first=first)[COLUMNS]


def judge_helpful(model, answers: pd.DataFrame, table: pd.DataFrame, seed: int) -> pd.DataFrame:
    """Win outcomes of the helpful answers against the references."""
    rows = answers[answers["axis"] == "helpful"].merge(table[["prompt_id", "prompt", "reference"]], on="prompt_id")
    keys = [f"{b}/{m}/{p}" for b, m, p in zip(rows["backbone"], rows["method"], rows["prompt_id"])]
    items = pairwise_items(keys, rows["prompt"].tolist(), rows["answer"].tolist(), rows["reference"].tolist(), seed)
    asked = [i for i, item in enumerate(items) if not item.identical]
    # Each comparison in its recorded order and swapped: P(model's output) averaged over the two
    # positions, so a judge that prefers a position whatever it reads ties instead of deciding
    both = [items[i] for i in asked] + [dataclasses.replace(items[i], model_first=not items[i].model_first)
                                         for i in asked]
    scores = model.score([ScoreRequest(user(item.prompt(), system=PAIRWISE_SYSTEM), PAIRWISE_OPTIONS)
                          for item in both])
    p_model = [softmax(s)[0] if item.model_first else 1.0 - softmax(s)[0] for item, s in zip(both, scores)]
    p_a = {}
    for k, i in enumerate(asked):
        mean = (p_model[k] + p_model[len(asked) + k]) / 2
        p_a[i] = mean if items[i].model_first else 1.0 - mean  # back to the recorded order's output (a)
    outcomes = [item.outcome_from_probability(p_a.get(i, 0.5)) for i, item in enumerate(items)]
    return _rows(rows, "win", outcomes, [item.model_first for item in items])


def _yes(model, questions: list[str]) -> list[float]:
    return ask_yes_no(model, [user(q) for q in questions], "score", Sampling())[0]


def judge_harmless(model, answers: pd.DataFrame, table: pd.DataFrame) -> pd.DataFrame:
    rows = answers[answers["axis"] == "harmless"].merge(table[["prompt_id", "prompt"]], on="prompt_id")
    return _rows(rows, "p_unsafe", _yes(model, [safety_question(p, a) for p, a in zip(rows["prompt"], rows["answer"])]))


def judge_honest(truthful, informative, answers: pd.DataFrame, truthfulqa: pd.DataFrame) -> pd.DataFrame:
    """truthfulqa: data.load_truthfulqa's frame (the correct and incorrect answers of each question)."""
    rows = answers[answers["axis"] == "honest"].merge(
        truthfulqa[["prompt_id", "prompt", "correct_answers", "incorrect_answers"]], on="prompt_id")
    true = _yes(truthful, [truthful_question(q, a, c, i) for q, a, c, i in
                           zip(rows["prompt"], rows["answer"], rows["correct_answers"], rows["incorrect_answers"])])
    info = _yes(informative, [informative_question(q, a) for q, a in zip(rows["prompt"], rows["answer"])])
    return pd.concat([_rows(rows, "p_true", true), _rows(rows, "p_info", info)], ignore_index=True)


def main(argv=None) -> None:
    import json

    from papers.core.cli import open_model, parser, setup_logging
    from papers.core.io import UserError, write_parquet

    from .data import load_truthfulqa

    p = parser(__doc__)
    p.add_argument("--axes", required=True)
    p.add_argument("--truthfulqa", required=True, help="the TruthfulQA file the honest prompts came from")
    p.add_argument("--answers", nargs="+", required=True, help="answers.py's output, one per backbone")
    p.add_argument("--judges", required=True, metavar="JSON", help=f"role -> registry entry, roles {ROLES}")
    p.add_argument("--seed", type=int, required=True, help="draws each comparison's order")
    p.add_argument("--cache", required=True)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--out", required=True)
    a = p.parse_args(argv)
    judges = json.loads(a.judges)
    if sorted(judges) != sorted(ROLES):
        raise UserError(f"--judges must give one registry entry per role {', '.join(ROLES)}")
    log = setup_logging()
    opened: dict[str, object] = {}
    for role in ROLES:  # a model playing several roles is loaded once
        key = json.dumps(judges[role], sort_keys=True)
        opened.setdefault(key, open_model(key, a.cache, a.threads, desc=f"judge {role}"))
    model = {role: opened[json.dumps(judges[role], sort_keys=True)] for role in ROLES}
    table = pd.read_parquet(a.axes)
    answers = pd.concat([pd.read_parquet(f) for f in a.answers], ignore_index=True)
    judgments = pd.concat([judge_helpful(model["pairwise"], answers, table, a.seed),
                           judge_harmless(model["safety"], answers, table),
                           judge_honest(model["truthful"], model["informative"], answers,
                                        load_truthfulqa(a.truthfulqa))],
                          ignore_index=True)
    write_parquet(a.out, judgments)
    log.info("%d verdicts on %d answers; %d judge calls", len(judgments), len(answers),
             sum(m.calls for m in opened.values()))


if __name__ == "__main__":
    from papers.core.cli import run

    run(main)
