"""The dataset tables: per-domain construction counts in the paper's columns, and SAVACU's coverage
of the three dimensions next to the single-dimension benchmarks the paper names.

    python -m papers.misalign_bench.tables --help

Construction counts (paper 1's columns): Classified, Expanded and Removed as duplicates come from
the shared construction table (papers/core/construct/table.py); Pairs kept counts the domain's
prompts with both an aligned and a misaligned response in SAVACU; its Total row (Dimension "all")
is the sum over domains, as the shared table's other totals are (a prompt counts once per domain).
Coverage: for SAVACU, measured (domains with at least one item, items per dimension, items whose
prompt carries two or more dimensions); for the other benchmarks, which dimensions the paper says
each covers (related_benchmarks.csv), nothing more.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from papers.core.io import read_csv_records
from papers.core.taxonomy import Taxonomy

RELATED = Path(__file__).with_name("related_benchmarks.csv")
CONSTRUCTION_COLUMNS = ["Dimension", "Domain", "Classified", "Expanded", "Removed as duplicates"]


def table_domain_counts(construction: pd.DataFrame, items: pd.DataFrame, taxonomy: Taxonomy) -> pd.DataFrame:
    kinds = items.groupby("prompt_id")["kind"].agg(set)
    paired = set(kinds[kinds.map(lambda k: {"aligned", "misaligned"} <= k)].index)
    prompt_domains = items.drop_duplicates("prompt_id").set_index("prompt_id")["domains"]
    pairs = {d.display_name: 0 for d in taxonomy.domains}
    names = {d.key: d.display_name for d in taxonomy.domains}
    for pid in paired:
        for key in prompt_domains[pid]:
            pairs[names[key]] += 1
    table = construction[CONSTRUCTION_COLUMNS].copy()
    table["Pairs kept"] = table["Domain"].map(pairs).fillna(0).astype(int)
    # the Total row has no domain name to map, so it is summed here (it read 0 when mapped by name)
    total = table["Dimension"] == "all"
    table.loc[total, "Pairs kept"] = int(table.loc[~total, "Pairs kept"].sum())
    return table


def table_benchmark_coverage(items: pd.DataFrame, taxonomy: Taxonomy, name: str) -> pd.DataFrame:
    dims = taxonomy.dimensions()
    covered = {d: set() for d in dims}
    by_key = taxonomy.by_key()
    for keys in items["domains"]:
        for k in keys:
            covered[by_key[k].dimension].add(k)
    row = {"Benchmark": name, "Focus": " + ".join(dims)}
    for d in dims:
        n = int(items["dimensions"].map(lambda ds: d in ds).sum())
        row[d.capitalize()] = f"{len(covered[d])}/{len(taxonomy.of(d))} domains, {n} items"
    row["Items"] = len(items)
    row["Joint items"] = int(items["dimensions"].map(len).ge(2).sum())
    row["Source"] = "measured by this DAG"
    rows = [row]
    for r in read_csv_records(RELATED, ["benchmark", "focus", *dims, "source"]):
        rows.append({"Benchmark": r["benchmark"], "Focus": r["focus"],
                     **{d.capitalize(): "covered" if r[d] == "yes" else "-" for d in dims},
                     "Items": None, "Joint items": None, "Source": r["source"]})
    table = pd.DataFrame(rows)
    table["Items"] = table["Items"].astype("Int64")
    table["Joint items"] = table["Joint items"].astype("Int64")
    return table


def main(argv=None) -> None:
    from papers.core.cli import parser
    from papers.core.report.tables import write_table
    from papers.core.taxonomy import DIMENSIONS, load_taxonomy

    p = parser(__doc__)
    p.add_argument("--items", required=True)
    p.add_argument("--construction", required=True, help="table_construction.csv of the shared chain")
    p.add_argument("--taxonomy", required=True)
    p.add_argument("--scale", required=True)
    p.add_argument("--counts", required=True, help="stem of the construction counts table")
    p.add_argument("--coverage", required=True, help="stem of the benchmark coverage table")
    a = p.parse_args(argv)
    taxonomy = load_taxonomy(a.taxonomy, DIMENSIONS)
    items = pd.read_parquet(a.items)
    write_table(table_domain_counts(pd.read_csv(a.construction), items, taxonomy), a.counts,
                caption=f"SAVACU per-domain construction counts ({a.scale} scale).")
    write_table(table_benchmark_coverage(items, taxonomy, f"SAVACU ({a.scale} scale)"), a.coverage,
                caption="Dimensions covered by SAVACU and by the single-dimension benchmarks the paper names.")


if __name__ == "__main__":
    from papers.core.cli import run

    run(main)
