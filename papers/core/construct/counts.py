"""The per-domain counts table and figure of the reclassification step.

For each domain: the authors' released count (paper scale, data/taxonomy), the prompts of the pool
whose gold labels include it, the prompts the classifier kept it for at delta, and how many of
those agree with gold. At paper scale the pool has no gold labels and those columns are empty.
The agreement table puts the classifier next to two trivial baselines (agreement.py); the
nearest-name baseline embeds the pool with the `embedder` role, through the call cache.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..report.figures import new_figure
from ..taxonomy import Taxonomy
from .agreement import agreement_table, most_frequent_labels, nearest_name_labels
from .reclassify import labels_at


def table_domain_counts(pool: pd.DataFrame, classified: pd.DataFrame, taxonomy: Taxonomy,
                        delta: float) -> pd.DataFrame:
    predicted = labels_at(classified, delta)
    gold = dict(zip(pool["prompt_id"], pool["gold_domains"]))
    has_gold = any(len(g) for g in gold.values())
    rows = []
    for d in taxonomy.domains:
        in_gold = {pid for pid, g in gold.items() if d.key in g}
        in_pred = {pid for pid, p in predicted.items() if d.key in p}
        rows.append({"Dimension": d.dimension, "Domain": d.display_name,
                     "Released (paper)": d.paper_count,
                     "Gold (pool)": len(in_gold) if has_gold else np.nan,
                     "Classified": len(in_pred),
                     "Agree with gold": len(in_gold & in_pred) if has_gold else np.nan})
    frame = pd.DataFrame(rows)
    for col in ("Gold (pool)", "Agree with gold"):
        frame[col] = frame[col].astype("Int64")
    return frame


def table_classifier_agreement(pool: pd.DataFrame, classified: pd.DataFrame, taxonomy: Taxonomy,
                         delta: float, embedder) -> pd.DataFrame:
    """Per dimension, three rows: the classifier's kept labels, the most frequent gold domain and
    the nearest domain name (agreement.py), each with micro precision, recall and F1 against gold.
    Here the most frequent domain is read from the same pool (the baseline's best case). Without
    gold labels (paper scale) every score is empty and nothing is embedded."""
    gold = {pid: list(g) for pid, g in zip(pool["prompt_id"], pool["gold_domains"])}
    has_gold = any(len(g) for g in gold.values())
    prompts = dict(zip(pool["prompt_id"], pool["prompt"]))
    results = {"classifier": labels_at(classified, delta),
               "most frequent": most_frequent_labels(gold, taxonomy, list(gold)),
               "nearest name": nearest_name_labels(prompts, taxonomy, embedder) if has_gold else {}}
    return agreement_table(results, gold, taxonomy)


def figure_domain_counts(counts: pd.DataFrame, delta: float):
    """Three panels (one per dimension): gold vs classified prompts per domain."""
    dims = list(dict.fromkeys(counts["Dimension"]))
    heights = [max(2.0, 0.16 * (counts["Dimension"] == d).sum() + 0.8) for d in dims]
    fig, axes = new_figure(7.5, sum(heights), nrows=len(dims), squeeze=False,
                           gridspec_kw={"height_ratios": heights})
    for ax, dim in zip(axes[:, 0], dims):
        part = counts[counts["Dimension"] == dim]
        y = np.arange(len(part))
        if part["Gold (pool)"].notna().any():
            ax.barh(y + 0.2, part["Gold (pool)"].fillna(0), height=0.4, color="#bbbbbb",
                    label="gold (pool)")
        ax.barh(y - 0.2, part["Classified"], height=0.4, color="#1f77b4",
                label=f"classified (p >= {delta:g})")
        ax.set_yticks(y, part["Domain"], fontsize=6)
        ax.set_ylim(len(part) - 0.5, -0.5)  # first domain on top, no empty band
        ax.set_title(f"{dim} ({len(part)} domains)")
        ax.set_xlabel("prompts")
        ax.legend(loc="lower right", fontsize=7)
    fig.tight_layout()
    return fig


def main(argv=None) -> None:
    import pandas as pd

    from ..cli import add_model_args, open_model, parser, setup_logging
    from ..prompt_pool import load_prompt_pool
    from ..report import save_figure, write_table
    from ..taxonomy import load_taxonomy

    p = parser(__doc__)
    p.add_argument("--pool", required=True)
    p.add_argument("--taxonomy", required=True)
    p.add_argument("--classified", required=True)
    p.add_argument("--delta", type=float, required=True)
    p.add_argument("--scale", required=True, help="mini or paper: written into captions")
    p.add_argument("--table", required=True, help="stem of the per-domain counts table")
    p.add_argument("--agreement", required=True, help="stem of the classifier agreement table")
    p.add_argument("--figure", required=True, help="stem of the per-domain counts figure")
    add_model_args(p, "embedder")
    args = p.parse_args(argv)
    log = setup_logging()
    taxonomy = load_taxonomy(args.taxonomy)
    pool = load_prompt_pool(args.pool, taxonomy)
    classified = pd.read_parquet(args.classified)
    counts = table_domain_counts(pool, classified, taxonomy, args.delta)
    write_table(counts, args.table, caption=f"Prompts per domain after multi-label reclassification "
                f"(delta = {args.delta:g}, {args.scale} scale).", digits=0)
    embedder = open_model(args.embedder, args.cache, args.threads, desc="embed")
    write_table(table_classifier_agreement(pool, classified, taxonomy, args.delta, embedder), args.agreement,
                digits=3, caption=f"Classifier labels (delta = {args.delta:g}) against the pool's gold labels, "
                f"next to two baselines: the most frequent gold domain for every prompt, and the domain "
                f"name nearest the prompt by embedding cosine; micro-averaged per dimension "
                f"({args.scale} scale).")
    save_figure(figure_domain_counts(counts, args.delta), args.figure)
    log.info("wrote %s, %s, %s", args.table, args.agreement, args.figure)


if __name__ == "__main__":
    from papers.core.cli import run

    run(main)
