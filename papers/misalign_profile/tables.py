"""MISALIGNTRADE's semantic-type distribution: prompts per dimension and type (a prompt counts in
every dimension it carries), with each type's share of the dimension.

    python -m papers.misalign_profile.tables --help
"""
from __future__ import annotations

import pandas as pd

from papers.core.taxonomy import DIMENSIONS

from .semantic_types import TYPES


def table_semantic_types(items: pd.DataFrame) -> pd.DataFrame:
    prompts = items.drop_duplicates("prompt_id")[["prompt_id", "dimensions", "semantic_type"]]
    rows = []
    for dimension in (*DIMENSIONS, "all"):
        mine = prompts if dimension == "all" else prompts[prompts["dimensions"].map(lambda ds: dimension in ds)]
        counts = mine["semantic_type"].value_counts()
        row = {"Dimension": dimension, "Prompts": len(mine)}
        for t in TYPES:
            n = int(counts.get(t, 0))
            row[t.capitalize()] = n
            row[f"{t.capitalize()} (%)"] = 100.0 * n / len(mine) if len(mine) else float("nan")
        rows.append(row)
    return pd.DataFrame(rows)


def main(argv=None) -> None:
    from papers.core.cli import parser
    from papers.core.report.tables import write_table

    p = parser(__doc__)
    p.add_argument("--items", required=True)
    p.add_argument("--scale", required=True)
    p.add_argument("--out", required=True, help="table stem")
    a = p.parse_args(argv)
    write_table(table_semantic_types(pd.read_parquet(a.items)), a.out, digits=1,
                caption=f"MISALIGNTRADE prompts by dimension and semantic type ({a.scale} scale).")


if __name__ == "__main__":
    from papers.core.cli import run

    run(main)
