"""Demo-SafetyBench's results: every table and figure from the items, the human ratings and each
LLM rater's ratings.

    python -m papers.demo_safetybench.results --help

When no item reaches delta (a weak classifier, or construct.delta: 1.0) there is no benchmark to
rate: the step stops with a message saying so, before it writes anything. Run from its command line
(papers.core.cli.run) its outputs are written all or none. Each table is the function named after its
file (table_<stem>), here or in tables.py and reliability.py; the figures are in figures.py.
"""
from __future__ import annotations

import pandas as pd

from .reliability import icc_rank, rater_table, table_fairness_by_axis
from .sweep import items_at, sweep

MODES = {"score": "p_unsafe from the option log-probabilities of Yes and No",
         "parsed": ("p_unsafe 0 or 1 from the answer's words, so its ICC is the agreement of binary verdicts "
                    "across framings and its DS the share of items some framing flips; neither is comparable "
                    "with a score rater's")}


def reliability_caption(table: pd.DataFrame, axes: list[str], where: str) -> str:
    """The reliability table's caption; it says what each rater's `mode` makes of its ICC and DS, since
    a parsed rater's (GPT-4o at paper scale) numbers measure something else than a scored rater's."""
    modes = "; ".join(f"{m}: {MODES[m]}" for m in dict.fromkeys(table["mode"]))
    return (f"LLM raters' reliability ({where}). Raters of the ICC: the {table['framings'].max()} demographic "
            f"framings ({' x '.join(axes)}), targets: the items. ICC(2,1) is the headline; ICC rank 1 = the "
            "most reliable rater. rho: mean pairwise Spearman between framings. DS: mean spread of the unsafe "
            "probability across framings. DPD, EOD: worst axis (fairlearn conventions). rho_human, agree_human: "
            f"against the crowd (framing-mean verdict). mode ({modes}).")


def table_reliability(ratings: pd.DataFrame, items: pd.DataFrame, agreement: pd.DataFrame, axes: list[str],
                      headline: str) -> pd.DataFrame:
    """Per rater: ICC, rho, DS, DPD and EOD (reliability.py), the headline rater flagged, the ICC rank and
    the agreement with the crowd (the rows of table_group_agreement for group 'all')."""
    table = rater_table(ratings, items, axes)
    table.insert(1, "headline", table["rater"] == headline)
    table["ICC rank"] = icc_rank(table["ICC(2,1)"])
    crowd = agreement[agreement["group"] == "all"].set_index("rater")
    table["agree_human"] = table["rater"].map(crowd["agree_framed"])
    table["agree_human_unframed"] = table["rater"].map(crowd["agree_unframed"])
    return table


def table_threshold_sweep(items: pd.DataFrame, ratings: pd.DataFrame, deltas: list[float], taus: list[int],
                          balanced: tuple[float, int], headline: str) -> pd.DataFrame:
    """Items kept, ICC and DS per rater at each (delta, tau) of the grid (sweep.py), the headline rater
    flagged."""
    grid = sweep(items, ratings, deltas, taus, balanced)
    grid.insert(1, "headline", grid["rater"] == headline)
    return grid


def main(argv=None) -> None:
    from papers.core.cli import parser, setup_logging
    from papers.core.io import InputError, write_parquet
    from papers.core.report.figures import save_figure
    from papers.core.report.tables import write_table
    from papers.core.taxonomy import load_taxonomy

    from .figures import figure_threshold_sweep, figure_unsafe_rates
    from .tables import table_domain_counts, table_group_agreement, table_unsafe_rates

    p = parser(__doc__)
    p.add_argument("--items", required=True)
    p.add_argument("--classified", required=True)
    p.add_argument("--taxonomy", required=True)
    p.add_argument("--human", required=True, help="the human ratings (Parquet)")
    p.add_argument("--ratings", nargs="+", required=True, help="one Parquet file per LLM rater, in table order")
    p.add_argument("--axes", nargs="+", required=True)
    p.add_argument("--delta", type=float, required=True)
    p.add_argument("--tau", type=int, required=True)
    p.add_argument("--threshold", type=float, required=True)
    p.add_argument("--headline", required=True, help="the rater the claims read")
    p.add_argument("--sweep-delta", type=float, nargs="+", required=True)
    p.add_argument("--sweep-tau", type=int, nargs="+", required=True)
    p.add_argument("--scale", required=True)
    p.add_argument("--out-ratings", required=True, help="Parquet: every rater's ratings of the benchmark items")
    for stem in ("counts", "reliability", "fairness", "agreement", "rates", "sweep"):
        p.add_argument(f"--{stem}-table", required=True)
    p.add_argument("--sweep-figure", required=True)
    p.add_argument("--rates-figure", required=True)
    a = p.parse_args(argv)
    log = setup_logging()
    items, classified = pd.read_parquet(a.items), pd.read_parquet(a.classified)
    human = pd.read_parquet(a.human)
    ratings = pd.concat([pd.read_parquet(f) for f in a.ratings], ignore_index=True)
    raters = list(dict.fromkeys(ratings["rater"]))
    where = f"{a.scale} scale, delta = {a.delta:g}, tau = {a.tau}"

    kept = items_at(items, a.delta, a.tau)
    if not kept:  # every table below is per rated item: say why there are none instead of a KeyError
        best = items["top_probability"].max() if len(items) else float("nan")
        raise InputError(a.items, f"no item reaches delta = {a.delta:g} (the highest top_probability is "
                         f"{best:.3f}), so the benchmark is empty and no result is written; lower "
                         "construct.delta or use a stronger classifier", field="top_probability")
    staged = items_at(items, 0.0, a.tau)  # Stage I's output: every item deduplicated, before the delta cut
    counts = table_domain_counts(items, classified, load_taxonomy(a.taxonomy), a.delta, kept, staged)
    write_table(counts, a.counts_table,
                caption=(f"Demo-SafetyBench per-domain counts ({where}): DICES conversations and new prompts "
                         "labelled with each of the 14 safety domains, those left after SimHash dedup, and the "
                         "crowd's share of unsafe answers on the domain's conversations. Stage I yield: the "
                         "(conversation, rater) human ratings after dedup, each under its top domain only, the "
                         "'no domain' row being the authors' 'None' class (the paper's 43,050)."))
    benchmark = ratings[ratings["item_id"].isin(kept)]
    write_parquet(a.out_ratings, benchmark)

    agreement = table_group_agreement(benchmark, items, human, a.axes, a.threshold)
    table = table_reliability(benchmark, items, agreement, a.axes, a.headline)
    write_table(table, a.reliability_table, caption=reliability_caption(table, a.axes, where))
    write_table(table_fairness_by_axis(benchmark, items, a.axes), a.fairness_table, caption=(
        f"Demographic parity and equalized odds differences of each rater's verdicts per framing axis ({where}); "
        "EOD against the crowd majority, ties and new prompts left out."))
    write_table(agreement, a.agreement_table, caption=(
        f"Agreement with human majorities ({where}): group 'all' is the whole crowd; other rows compare the "
        "rater framed as a group with that group's own majority (only where the data names who rated what: "
        "the released DICES CSVs, not the mini sample)."))
    rates = table_unsafe_rates(benchmark, human[human["item_id"].isin(kept)], a.axes)
    write_table(rates, a.rates_table, caption=(
        f"Share of unsafe verdicts per demographic framing and rater ({where}), beside the unframed share."))
    grid = table_threshold_sweep(items, ratings, a.sweep_delta, a.sweep_tau, (a.delta, a.tau), a.headline)
    write_table(grid, a.sweep_table, caption=(
        f"Threshold sweep ({a.scale} scale): items kept, ICC and DS at each (delta, tau); balanced = the "
        f"paper's point ({a.delta:g}, {a.tau}); ICC rank: 1 = the rater's highest ICC(2,1) over the grid."))
    save_figure(figure_threshold_sweep(grid, raters, a.scale), a.sweep_figure)
    save_figure(figure_unsafe_rates(rates, a.axes, a.scale), a.rates_figure)
    for _, r in table.iterrows():
        log.info("%s: ICC(2,1) %.3f, DS %.3f over %d items", r["rater"], r["ICC(2,1)"], r["DS"], r["n_items"])


if __name__ == "__main__":
    from papers.core.cli import run

    run(main)
