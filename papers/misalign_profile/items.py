"""MISALIGNTRADE's items: the benchmark items of papers/core/benchmark/items.py (four per prompt:
aligned and misaligned from each generator) with each prompt's semantic type.

    python -m papers.misalign_profile.items --help
"""
from __future__ import annotations

import pandas as pd

from papers.core.benchmark.items import build_items, check_columns


def with_types(items: pd.DataFrame, types: pd.DataFrame) -> pd.DataFrame:
    typed = items.merge(types[["prompt_id", "semantic_type"]], on="prompt_id", how="left", validate="many_to_one")
    if typed["semantic_type"].isna().any():
        missing = typed.loc[typed["semantic_type"].isna(), "prompt_id"].iloc[0]
        raise ValueError(f"prompt {missing!r} has no semantic type")
    return typed


def main(argv=None) -> None:
    from papers.core.cli import parser, setup_logging
    from papers.core.io import write_parquet
    from papers.core.taxonomy import load_taxonomy

    p = parser(__doc__)
    p.add_argument("--responses", required=True, help="stacked responses with a generator column")
    p.add_argument("--prompts", required=True)
    p.add_argument("--classified", required=True)
    p.add_argument("--types", required=True, help="semantic_types.parquet")
    p.add_argument("--taxonomy", required=True)
    p.add_argument("--delta", type=float, required=True)
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--runs", type=int, required=True)
    p.add_argument("--splits", type=float, nargs=3, required=True, metavar=("TRAIN", "VAL", "TEST"))
    p.add_argument("--out", required=True)
    a = p.parse_args(argv)
    log = setup_logging()
    responses, prompts = pd.read_parquet(a.responses), pd.read_parquet(a.prompts)
    check_columns(responses, a.responses, "responses")
    check_columns(prompts, a.prompts, "prompts")
    items = build_items(responses, prompts, pd.read_parquet(a.classified), load_taxonomy(a.taxonomy),
                        a.delta, a.seed, a.runs, tuple(a.splits))
    items = with_types(items, pd.read_parquet(a.types))
    write_parquet(a.out, items)
    log.info("%d items from %d prompts; semantic types %s", len(items), items["prompt_id"].nunique(),
             items.drop_duplicates("prompt_id")["semantic_type"].value_counts().to_dict())


if __name__ == "__main__":
    main()
