"""PersoDPO's tables and figures from the candidates, the trained adapters and the evaluation.

    python -m papers.persodpo.results --help

The tables are the functions of tables.py, the figures those of figures.py; run from its command
line (papers.core.cli.run) its outputs are written all or none.
"""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd


def main(argv=None) -> None:
    from papers.core.cli import parser, setup_logging
    from papers.core.report.figures import save_figure
    from papers.core.report.tables import write_table

    from .figures import figure_failures_and_length, figure_rewards, figure_training
    from .tables import table_candidate_signals, table_nli_check, table_policies, table_training

    p = parser(__doc__)
    p.add_argument("--candidates", required=True, help="pairs.py's candidates with quality")
    p.add_argument("--pairs", required=True)
    p.add_argument("--adapters", nargs="+", required=True, help="train.py's adapter directories")
    p.add_argument("--signals", required=True, help="evaluate.py's test signals")
    p.add_argument("--wins", required=True)
    p.add_argument("--nli-check", required=True)
    p.add_argument("--scale", required=True)
    for name in ("candidate-table", "policy-table", "training-table", "nli-table", "failures-figure",
                 "training-figure", "rewards-figure"):
        p.add_argument(f"--{name}", required=True)
    a = p.parse_args(argv)
    log = setup_logging()
    candidates, pairs = pd.read_parquet(a.candidates), pd.read_parquet(a.pairs)
    summaries = [json.loads((Path(d) / "training.json").read_text()) for d in a.adapters]
    signals, wins = pd.read_parquet(a.signals), pd.read_parquet(a.wins)
    n_test = signals["prompt_id"].nunique()
    plumbing = " At mini scale these numbers test the plumbing: a 135M policy, a few pairs and DPO steps." \
        if a.scale != "paper" else ""
    cand = table_candidate_signals(candidates)
    write_table(cand, a.candidate_table, caption=(
        f"Training candidates per generator ({a.scale} scale, {candidates['prompt_id'].nunique()} turns): failure "
        "ratio, words, mean signals (text signals over parsing replies), quality (normalised over all candidates)."))
    policies = table_policies(signals, wins)
    write_table(policies, a.policy_table, caption=(
        f"The base model, the DPO policies and the gold reply on {n_test} held-out test turns ({a.scale} scale). "
        "win_rate_vs_base: the judge's pairwise preference over the base's reply, position randomised; the base's "
        "own row is the judge's position bias. random: DPO on random pairs (the control)." + plumbing))
    write_table(table_training(summaries, pairs), a.training_table, caption=(
        f"DPO per policy ({a.scale} scale): pairs, mean pair weight, steps, first and last loss, reward margin "
        "and reward accuracy (TRL's log)." + plumbing))
    write_table(table_nli_check(pd.read_parquet(a.nli_check)), a.nli_table, caption=(
        f"The NLI model ({a.scale} scale) on statements of known label built from the mini personas' templates "
        "(nli_check.py): share labelled right, what it predicts; chance 1/3."))
    save_figure(figure_failures_and_length(cand, policies, a.scale), a.failures_figure)
    save_figure(figure_training(summaries, a.scale), a.training_figure)
    save_figure(figure_rewards(summaries, a.scale), a.rewards_figure)
    for r in policies.itertuples():
        log.info("%s: quality %.3f, failure %.2f, win rate %.2f", r.model, r.quality, r.failure_ratio,
                 r.win_rate_vs_base)


if __name__ == "__main__":
    from papers.core.cli import run

    run(main)
