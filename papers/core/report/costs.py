"""What each step of a module cost, from the benchmark files Snakemake wrote for its rules.

    python -m papers.core.report.costs results/benchmarks/misalign_bench [more folders]

One row per step (a rule; its jobs over wildcards pooled): jobs, total and longest wall time in
seconds, and the peak resident memory of any one job in MB. The module READMEs quote this table.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

import pandas as pd

from ..taxonomy import DIMENSIONS

WILDCARD_PART = re.compile(r"_(run\d+|[a-z0-9.-]+-lora|(smollm2|gemma|all-minilm)[a-z0-9.-]*|harm_[a-z]+|"
                           + "|".join(DIMENSIONS) + r")(?=_|$)")


def step_of(name: str) -> str:
    """The rule step of a benchmark file's stem: 'evaluate_detector_gemma-3-270m_run0' -> 'evaluate_detector'."""
    return WILDCARD_PART.sub("", name)


def cost_table(folder: str | Path) -> pd.DataFrame:
    rows = []
    for path in sorted(Path(folder).glob("*.tsv")):
        bench = pd.read_csv(path, sep="\t")
        rss = pd.to_numeric(bench["max_rss"], errors="coerce").max()
        rows.append({"step": step_of(path.stem), "s": float(bench["s"].max()), "max_rss": rss})
    if not rows:
        raise FileNotFoundError(f"{folder}: no benchmark files (*.tsv); has the module run?")
    frame = pd.DataFrame(rows)
    table = frame.groupby("step", sort=False).agg(jobs=("s", "size"), total_s=("s", "sum"), longest_s=("s", "max"),
                                                  peak_rss_mb=("max_rss", "max")).reset_index()
    total = pd.DataFrame([{"step": "all steps", "jobs": int(table["jobs"].sum()), "total_s": table["total_s"].sum(),
                           "longest_s": table["longest_s"].max(), "peak_rss_mb": table["peak_rss_mb"].max()}])
    return pd.concat([table, total], ignore_index=True)


def main(argv=None) -> None:
    from .tables import to_markdown

    for folder in (argv if argv is not None else sys.argv[1:]):
        print(to_markdown(cost_table(folder), digits=0, caption=f"`{folder}`"))


if __name__ == "__main__":
    from papers.core.cli import run

    run(main)
