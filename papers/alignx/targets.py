"""AlignX's data step and its training targets: the axis table, each expert's training prompts, and
the answer each is trained on.

    python -m papers.alignx.targets prepare --help     # the table (no model)
    python -m papers.alignx.targets generate --help    # the targets (the generator and a judge)

`prepare` writes the axis table of papers/alignx/data.py (prompt_id, axis, prompt, reference,
category, split) with two more columns: `trains_expert`, the seeded sample of `train_examples` train
prompts per axis that the experts learn from (all train prompts when train_examples is 0; only
these need a target, which keeps the generation of harmless targets to what is trained on), and
`answered`, the seeded sample of `answered_prompts` test prompts per axis that every method answers
(all test prompts when 0).

`generate` writes the training set (prompt_id, axis, prompt, target, source) and every harmless
candidate. helpful and honest targets are the data's references (source "reference"); harmless
targets are the construction toolkit's aligned responses for the prompt's BeaverTails domain, kept
only when its two-stage rejection sampling accepts them (source "generated"; a prompt with no
accepted candidate has no example).
"""
from __future__ import annotations

import pandas as pd

from papers.core.construct.respond import Judge, ResponseSettings, build_responses, kept_responses
from papers.core.splits import position
from papers.core.taxonomy import Taxonomy

from .data import AXES, load_axes
from .inject import beavertails_domain

TRAINING_COLUMNS = ["prompt_id", "axis", "prompt", "target", "source"]


def _seeded_first(table: pd.DataFrame, split: str, count: int, name: str, salt: str, seed: int) -> pd.Index:
    """Per axis, the first `count` rows of `split` by seeded rank (papers.core.splits.position, salted
    so that the order is not the splits' own), or all of them when count is 0."""
    if not isinstance(count, int) or isinstance(count, bool) or count < 0:
        raise ValueError(f"{name} must be an int >= 0, got {count!r}")
    chosen = []
    for axis in AXES:
        rows = table[(table["axis"] == axis) & (table["split"] == split)]
        ranked = sorted(rows.index, key=lambda i: (position(f"{salt}:{rows.at[i, 'prompt_id']}", seed),
                                                   rows.at[i, "prompt_id"]))
        chosen += ranked[:count] if count else ranked
    return pd.Index(chosen)


def mark_training_prompts(table: pd.DataFrame, train_examples: int, seed: int,
                          answered_prompts: int = 0) -> pd.DataFrame:
    """The table with `trains_expert`: per axis, the first train_examples train prompts by seeded
    rank, or all; and `answered`: the first answered_prompts test prompts by another seeded rank,
    or all, which every method answers and the judges judge (the routers are read on every test
    prompt: their calibration costs no model call)."""
    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"table must be a DataFrame, got {type(table).__name__}")
    marked = table.assign(trains_expert=False, answered=False)
    marked.loc[_seeded_first(table, "train", train_examples, "train_examples", "experts", seed), "trains_expert"] = True
    marked.loc[_seeded_first(table, "test", answered_prompts, "answered_prompts", "answers", seed), "answered"] = True
    return marked


def training_set(table: pd.DataFrame, harmless: pd.DataFrame) -> pd.DataFrame:
    """TRAINING_COLUMNS for the marked prompts: references for helpful and honest, the accepted
    harmless candidates (kept_responses: prompt_id, response) for harmless."""
    chosen = table[table["trains_expert"]]
    accepted = dict(zip(harmless["prompt_id"], harmless["response"]))
    rows = []
    for r in chosen.itertuples(index=False):
        target, source = (accepted.get(r.prompt_id, ""), "generated") if r.axis == "harmless" else \
            (r.reference, "reference")
        if target.strip():
            rows.append({"prompt_id": r.prompt_id, "axis": r.axis, "prompt": r.prompt, "target": target,
                         "source": source})
    return pd.DataFrame(rows, columns=TRAINING_COLUMNS)


def harmless_candidates(table: pd.DataFrame, taxonomy: Taxonomy, generator, judge,
                        s: ResponseSettings) -> pd.DataFrame:
    """The toolkit's aligned candidates, rounds and verdicts for the marked harmless prompts."""
    prompts = table[table["trains_expert"] & (table["axis"] == "harmless")]
    domains_of = {pid: [beavertails_domain(category, taxonomy)]
                  for pid, category in zip(prompts["prompt_id"], prompts["category"])}
    return build_responses(prompts[["prompt_id", "prompt"]], domains_of, generator, Judge(judge, s), s,
                           kinds=("aligned",))


def main(argv=None) -> None:
    from papers.core.cli import add_model_args, open_model, parser, setup_logging
    from papers.core.io import write_parquet
    from papers.core.taxonomy import load_taxonomy

    p = parser(__doc__)
    steps = p.add_subparsers(dest="step", required=True)
    prepare = steps.add_parser("prepare", help="the axis table and the experts' training prompts")
    for name in ("alpaca-eval", "beavertails", "truthfulqa"):
        prepare.add_argument(f"--{name}", required=True)
    for name in ("seed", "n-test", "n-validation", "train-examples", "answered-prompts"):
        prepare.add_argument(f"--{name}", type=int, required=True)
    prepare.add_argument("--out", required=True, help="the axis table (Parquet)")
    generate = steps.add_parser("generate", help="the training targets")
    generate.add_argument("--axes", required=True, help="prepare's table")
    generate.add_argument("--taxonomy", required=True)
    generate.add_argument("--settings", required=True, metavar="JSON", help="ResponseSettings fields")
    generate.add_argument("--generator", required=True, metavar="JSON")
    add_model_args(generate, "judge")
    generate.add_argument("--out-candidates", required=True)
    generate.add_argument("--out-training", required=True)
    a = p.parse_args(argv)
    log = setup_logging()
    if a.step == "prepare":
        table = load_axes(a.alpaca_eval, a.beavertails, a.truthfulqa, a.seed, a.n_test, a.n_validation)
        table = mark_training_prompts(table, a.train_examples, a.seed, a.answered_prompts)
        write_parquet(a.out, table)
        log.info("%d prompts; splits %s; %d train the experts; %d answered", len(table),
                 table.groupby(["axis", "split"]).size().to_dict(), int(table["trains_expert"].sum()),
                 int(table["answered"].sum()))
        return
    import json

    table = pd.read_parquet(a.axes)
    s = ResponseSettings(**json.loads(a.settings))
    generator = open_model(a.generator, a.cache, a.threads, desc="harmless targets")
    judge = open_model(a.judge, a.cache, a.threads, desc="target judge")
    candidates = harmless_candidates(table, load_taxonomy(a.taxonomy), generator, judge, s)
    training = training_set(table, kept_responses(candidates))
    write_parquet(a.out_candidates, candidates)
    write_parquet(a.out_training, training)
    log.info("harmless targets: %d of %d prompts accepted; training examples per axis %s",
             int(candidates["passed"].sum()), candidates["prompt_id"].nunique(),
             training.groupby("axis").size().to_dict())


if __name__ == "__main__":
    from papers.core.cli import run

    run(main)
