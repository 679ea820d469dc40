"""MISALIGNTRADE's items: the benchmark items of papers/core/benchmark/items.py (four per prompt:
aligned and misaligned from each generator) with each prompt's semantic type.

    python -m papers.misalign_profile.items --help
"""
from __future__ import annotations

import pandas as pd

from papers.core.benchmark.items import add_arguments, items_from_arguments


def with_types(items: pd.DataFrame, types: pd.DataFrame) -> pd.DataFrame:
    typed = items.merge(types[["prompt_id", "semantic_type"]], on="prompt_id", how="left", validate="many_to_one")
    if typed["semantic_type"].isna().any():
        missing = typed.loc[typed["semantic_type"].isna(), "prompt_id"].iloc[0]
        raise ValueError(f"prompt {missing!r} has no semantic type")
    return typed


def main(argv=None) -> None:
    from papers.core.cli import parser, setup_logging
    from papers.core.io import write_parquet

    p = parser(__doc__)
    add_arguments(p)
    p.add_argument("--types", required=True, help="semantic_types.parquet")
    a = p.parse_args(argv)
    log = setup_logging()
    items = with_types(items_from_arguments(a), pd.read_parquet(a.types))
    write_parquet(a.out, items)
    log.info("%d items from %d prompts; semantic types %s", len(items), items["prompt_id"].nunique(),
             items.drop_duplicates("prompt_id")["semantic_type"].value_counts().to_dict())


if __name__ == "__main__":
    from papers.core.cli import run

    run(main)
