"""The per-domain construction table of papers 1-3 (the columns of the authors' release):

classified               pool prompts the classifier placed in the domain (p >= delta)
expanded                 prompts of the domain after expansion: classified + new ones kept (step b);
                         as in the release, where generated = expanded - removed as duplicates
removed as duplicates    prompts of the domain removed by SimHash dedup (step c)
generated                prompts of the domain that got candidate responses (step d)
rejected aligned / misaligned
                         first-round candidates of the domain's prompts that failed candidate
                         filtering (step e, stage 1); with several generators, one per generator
kept after resampling    responses of the domain's prompts accepted in any round (stage 1 or 2)

    python -m papers.core.construct.table --help
"""
from __future__ import annotations

import pandas as pd

from ..taxonomy import Taxonomy
from .reclassify import labels_at

COLUMNS = ["Classified", "Expanded", "Removed as duplicates", "Generated", "Rejected (aligned)",
           "Rejected (misaligned)", "Kept after resampling"]


def table_construction(taxonomy: Taxonomy, pool_ids: list[str], classified: pd.DataFrame,
                       attempts: pd.DataFrame, removed_ids: list[str], candidates: pd.DataFrame,
                       delta: float) -> pd.DataFrame:
    labels = labels_at(classified, delta)
    pool_ids, removed = set(pool_ids), set(removed_ids)
    first = candidates[candidates["round"] == 0]
    rejected = {kind: first[(first["kind"] == kind) & ~first["passed"]]["prompt_id"].value_counts().to_dict()
                for kind in ("aligned", "misaligned")}
    generated = set(candidates["prompt_id"])
    kept_per_prompt = candidates[candidates["passed"]]["prompt_id"].value_counts().to_dict()
    after_expansion = pool_ids | set(attempts.loc[attempts["status"] == "kept", "prompt_id"])
    rows = []
    for d in taxonomy.domains:
        mine = {pid for pid, keys in labels.items() if d.key in keys}
        rows.append({"Dimension": d.dimension, "Domain": d.display_name,
                     "Classified": len(mine & pool_ids),
                     "Expanded": len(mine & after_expansion),
                     "Removed as duplicates": len(mine & removed),
                     "Generated": len(mine & generated),
                     "Rejected (aligned)": sum(rejected["aligned"].get(pid, 0) for pid in mine),
                     "Rejected (misaligned)": sum(rejected["misaligned"].get(pid, 0) for pid in mine),
                     "Kept after resampling": sum(kept_per_prompt.get(pid, 0) for pid in mine)})
    frame = pd.DataFrame(rows)
    totals = {"Dimension": "all", "Domain": "Total (a prompt counts once per domain)"}
    totals.update({c: int(frame[c].sum()) for c in COLUMNS})
    return pd.concat([frame, pd.DataFrame([totals])], ignore_index=True)


def table_candidate_outcomes(candidates: pd.DataFrame) -> pd.DataFrame:
    """Candidates by round, kind and outcome (the rule that failed, or accepted)."""
    outcome = candidates["reason"].str.split(":").str[0].where(~candidates["passed"], "accepted")
    by = (["generator"] if "generator" in candidates.columns else []) + ["round", "kind", "Outcome"]
    table = (candidates.assign(Outcome=outcome).groupby(by).size()
             .rename("Candidates").reset_index()
             .rename(columns={"generator": "Generator", "round": "Round", "kind": "Kind"}))
    return table


def main(argv=None) -> None:
    from ..cli import parser, setup_logging
    from ..report import write_table
    from ..taxonomy import load_taxonomy

    p = parser(__doc__)
    p.add_argument("--taxonomy", required=True)
    p.add_argument("--pool", required=True, help="the expanded pool (Parquet: prompt_id, source)")
    p.add_argument("--classified", required=True)
    p.add_argument("--attempts", required=True)
    p.add_argument("--removed", required=True, help="dedup's removed prompts (Parquet: id column first)")
    p.add_argument("--candidates", required=True)
    p.add_argument("--delta", type=float, required=True)
    p.add_argument("--scale", required=True)
    p.add_argument("--table", required=True)
    p.add_argument("--reasons", required=True)
    args = p.parse_args(argv)
    log = setup_logging()
    pool = pd.read_parquet(args.pool)
    removed = pd.read_parquet(args.removed)
    candidates = pd.read_parquet(args.candidates)
    counts = table_construction(load_taxonomy(args.taxonomy),
                                list(pool.loc[pool["source"] == "pool", "prompt_id"]),
                                pd.read_parquet(args.classified), pd.read_parquet(args.attempts),
                                list(removed.iloc[:, 0]), candidates, args.delta)
    write_table(counts, args.table, digits=0, caption=(
        f"Per-domain construction counts ({args.scale} scale): reclassification, expansion, SimHash "
        "dedup, response generation and two-stage rejection sampling."))
    write_table(table_candidate_outcomes(candidates), args.reasons, digits=0, caption=(
        f"Candidate responses by round and outcome ({args.scale} scale); round 0 is candidate filtering, "
        "later rounds are feedback-guided resampling."))
    log.info("wrote %s and %s", args.table, args.reasons)


if __name__ == "__main__":
    from papers.core.cli import run

    run(main)
