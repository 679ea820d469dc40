"""AlignX's data step and its training targets: the axis table, each expert's training prompts, and
the answer each is trained on.

    python -m papers.alignx.targets prepare --help     # the table (no model)
    python -m papers.alignx.targets generate --help    # the targets (the generator and a judge)

`prepare` writes the axis table of papers/alignx/data.py (prompt_id, axis, prompt, reference,
category, split) with one more column, `trains_expert`: the seeded sample of `train_examples` train
prompts per axis that the experts learn from (all train prompts when train_examples is 0). Only
these need a target, which keeps the generation of harmless targets to what is trained on.

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


def mark_training_prompts(table: pd.DataFrame, train_examples: int, seed: int) -> pd.DataFrame:
    """The table with `trains_expert`: per axis, the first train_examples train prompts by seeded
    rank (papers.core.splits.position; a salt keeps the order apart from the splits'), or all."""
    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"table must be a DataFrame, got {type(table).__name__}")
    if not isinstance(train_examples, int) or isinstance(train_examples, bool) or train_examples < 0:
        raise ValueError(f"train_examples must be an int >= 0, got {train_examples!r}")
    marked = table.assign(trains_expert=False)
    for axis in AXES:
        train = marked[(marked["axis"] == axis) & (marked["split"] == "train")]
        ranked = sorted(train.index, key=lambda i: (position(f"experts:{train.at[i, 'prompt_id']}", seed),
                                                    train.at[i, "prompt_id"]))
        chosen = ranked[:train_examples] if train_examples else ranked
        marked.loc[chosen, "trains_expert"] = True
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
    for name in ("seed", "n-test", "n-validation", "train-examples"):
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
        table = mark_training_prompts(table, a.train_examples, a.seed)
        write_parquet(a.out, table)
        log.info("%d prompts; splits %s; %d train the experts", len(table),
                 table.groupby(["axis", "split"]).size().to_dict(), int(table["trains_expert"].sum()))
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
