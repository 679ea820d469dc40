"""The benchmark's items (SAVACU, MISALIGNTRADE): every accepted response of the construction chain,
with its gold label, its prompt's domains and dimensions, and its split in each run.

    python -m papers.core.benchmark.items --help

One item = one (prompt, response) pair; with several generators (a `generator` column in the
responses) a prompt has one aligned and one misaligned item per generator. gold_misaligned is the kind the generator was asked for and
the judge confirmed (construction steps d-e). The domains are the prompt's labels at delta, and an
item counts in every dimension its domains belong to. Prompts without any label are dropped: the
benchmark is over the taxonomy's domains. Run r splits the prompts with seed (seed + r), so every
response of a prompt lands in the same split, and runs differ in which prompts are held out.

Schema (items.parquet): item_id (prompt_id[:generator]:kind), prompt_id, [generator,] prompt,
response, kind, gold_misaligned (bool), domains (list[str]), dimensions (list[str]),
split_run0 .. split_run{R-1} (train|validation|test).
"""
from __future__ import annotations

import pandas as pd

from ..construct.reclassify import labels_at
from ..io import InputError
from ..splits import assign_splits
from ..taxonomy import Taxonomy

REQUIRED = {"responses": ["prompt_id", "kind", "response", "passed"],
            "prompts": ["prompt_id", "prompt"]}


def split_column(run: int) -> str:
    return f"split_run{run}"


def build_items(responses: pd.DataFrame, prompts: pd.DataFrame, classified: pd.DataFrame,
                taxonomy: Taxonomy, delta: float, seed: int, runs: int,
                fractions: tuple[float, float, float]) -> pd.DataFrame:
    by_key = taxonomy.by_key()
    labels = labels_at(classified, delta)
    text = dict(zip(prompts["prompt_id"], prompts["prompt"]))
    several = "generator" in responses.columns
    rows = []
    for r in responses[responses["passed"]].itertuples(index=False):
        domains = sorted(labels.get(r.prompt_id, []))
        if not domains:
            continue
        dims = {by_key[d].dimension for d in domains}
        source = {"generator": r.generator} if several else {}
        item_id = ":".join([r.prompt_id, *source.values(), r.kind])
        rows.append({"item_id": item_id, "prompt_id": r.prompt_id, **source,
                     "prompt": text[r.prompt_id], "response": r.response, "kind": r.kind,
                     "gold_misaligned": r.kind == "misaligned", "domains": domains,
                     "dimensions": [d for d in taxonomy.dimensions() if d in dims]})
    items = pd.DataFrame(rows).sort_values("item_id", kind="stable").reset_index(drop=True)
    for run in range(runs):
        items[split_column(run)] = assign_splits(items["prompt_id"], seed + run, fractions)
    return items


def check_columns(frame: pd.DataFrame, path: str, kind: str) -> None:
    missing = [c for c in REQUIRED[kind] if c not in frame.columns]
    if missing:
        raise InputError(path, f"missing column(s) {', '.join(missing)}", field=missing[0])


def add_arguments(p) -> None:
    """The command-line inputs of an items step (a paper's own items step adds to them)."""
    p.add_argument("--responses", required=True, help="responses.parquet of the construction chain")
    p.add_argument("--prompts", required=True, help="the deduplicated prompts (prompt_id, prompt)")
    p.add_argument("--classified", required=True, help="classified_expanded.parquet")
    p.add_argument("--taxonomy", required=True)
    p.add_argument("--delta", type=float, required=True)
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--runs", type=int, required=True)
    p.add_argument("--splits", type=float, nargs=3, required=True, metavar=("TRAIN", "VAL", "TEST"))
    p.add_argument("--out", required=True)


def items_from_arguments(a) -> pd.DataFrame:
    from ..taxonomy import load_taxonomy

    responses, prompts = pd.read_parquet(a.responses), pd.read_parquet(a.prompts)
    check_columns(responses, a.responses, "responses")
    check_columns(prompts, a.prompts, "prompts")
    return build_items(responses, prompts, pd.read_parquet(a.classified), load_taxonomy(a.taxonomy),
                       a.delta, a.seed, a.runs, tuple(a.splits))


def main(argv=None) -> None:
    from ..cli import parser, setup_logging
    from ..io import write_parquet

    p = parser(__doc__)
    add_arguments(p)
    a = p.parse_args(argv)
    log = setup_logging()
    items = items_from_arguments(a)
    write_parquet(a.out, items)
    log.info("%d items from %d prompts (%d misaligned); test items per run: %s", len(items),
             items["prompt_id"].nunique(), int(items["gold_misaligned"].sum()),
             [int((items[split_column(r)] == "test").sum()) for r in range(a.runs)])


if __name__ == "__main__":
    from papers.core.cli import run

    run(main)
