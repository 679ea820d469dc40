"""PersoPilot's tables and figure from the extractions and the learning curves.

    python -m papers.persopilot.results --help

table_extractor: each extractor's precision, recall and F1 against the labelled set's gold
triplets, exact and lenient (extract.prf). table_active_learning and figure_active_learning: mean
and standard deviation over seeds of the accuracy after each round, uncertainty sampling (the 0.65
rule's order) against random sampling.
"""
from __future__ import annotations

import json

import pandas as pd

from .extract import Triplet, prf

EXTRACTORS = {"model": "model (few-shot prompt, strict parser)", "rules": "rule-based baseline"}


def _triplets(cell: str) -> list[Triplet]:
    return [Triplet(*t) for t in json.loads(cell)]


def table_extractor(extractions: pd.DataFrame) -> pd.DataFrame:
    """Per extractor: messages, gold and predicted triplets, reply lines the parser dropped, and
    exact and lenient micro precision, recall and F1."""
    rows = []
    for name in [e for e in EXTRACTORS if e in set(extractions["extractor"])]:
        part = extractions[extractions["extractor"] == name]
        predicted, gold = [_triplets(c) for c in part["triplets"]], [_triplets(c) for c in part["gold"]]
        exact, lenient = prf(predicted, gold), prf(predicted, gold, lenient=True)
        rows.append({"extractor": name, "kind": EXTRACTORS[name], "messages": len(part),
                     "gold": sum(map(len, gold)), "predicted": sum(map(len, predicted)),
                     "dropped_lines": int(part["dropped"].sum()),
                     "precision": exact["precision"], "recall": exact["recall"], "f1": exact["f1"],
                     "precision_lenient": lenient["precision"], "recall_lenient": lenient["recall"],
                     "f1_lenient": lenient["f1"]})
    return pd.DataFrame(rows)


def table_active_learning(curve: pd.DataFrame) -> pd.DataFrame:
    """Per labels used: each strategy's mean and standard deviation of accuracy over seeds, the
    difference, how many pool users the 0.65 rule would still send to the analyst, and the trivial
    predictors' accuracy on the same test splits (most frequent class, chance; mean over seeds)."""
    stats = curve.groupby(["labels", "strategy"]).agg(accuracy=("accuracy", "mean"), sd=("accuracy", "std"),
                                                      under=("under_threshold", "mean"), seeds=("seed", "nunique"),
                                                      most_frequent=("most_frequent", "mean"),
                                                      chance=("chance", "mean"))
    wide = stats.unstack("strategy")
    out = pd.DataFrame({"labels": wide.index,
                        "seeds": wide[("seeds", "uncertainty")].to_numpy(),
                        "uncertainty": wide[("accuracy", "uncertainty")].to_numpy(),
                        "uncertainty_sd": wide[("sd", "uncertainty")].to_numpy(),
                        "random": wide[("accuracy", "random")].to_numpy(),
                        "random_sd": wide[("sd", "random")].to_numpy(),
                        "under_threshold": wide[("under", "uncertainty")].to_numpy()})
    out["difference"] = out["uncertainty"] - out["random"]
    # the test splits depend on the seed only, so both strategies share these
    out["most_frequent"] = wide[("most_frequent", "uncertainty")].to_numpy()
    out["chance"] = wide[("chance", "uncertainty")].to_numpy()
    return out


def figure_active_learning(curve: pd.DataFrame, scale: str):
    """Accuracy against labels used, mean and one standard deviation over seeds, per strategy, with
    the most-frequent-class predictor as a grey line."""
    from papers.core.report.figures import new_figure

    table = table_active_learning(curve)
    fig, ax = new_figure(4.5, 3.0)
    for name, colour in (("uncertainty", "C0"), ("random", "C1")):
        mean, sd = table[name], table[f"{name}_sd"].fillna(0)
        ax.plot(table["labels"], mean, color=colour, marker="o", markersize=3,
                label="uncertainty (confidence < 0.65 first)" if name == "uncertainty" else "random")
        ax.fill_between(table["labels"], mean - sd, mean + sd, color=colour, alpha=0.15, linewidth=0)
    ax.axhline(table["most_frequent"].mean(), color="grey", linestyle="--", linewidth=0.8,
               label="most frequent class (trivial)")
    ax.set_xlabel("analyst labels used")
    ax.set_ylabel("held-out accuracy")
    ax.set_title(f"TF-IDF persona classifier, {int(table['seeds'].max())} seeds ({scale} scale)")
    ax.legend(frameon=False, loc="lower right")
    return fig


def main(argv=None) -> None:
    from papers.core.cli import parser, setup_logging
    from papers.core.report.figures import save_figure
    from papers.core.report.tables import write_table

    p = parser(__doc__)
    p.add_argument("--extractions", required=True, help="extract.py's rows")
    p.add_argument("--curve", required=True, help="active.py's rounds")
    p.add_argument("--scale", required=True)
    p.add_argument("--extractor-table", required=True)
    p.add_argument("--active-table", required=True)
    p.add_argument("--active-figure", required=True)
    a = p.parse_args(argv)
    log = setup_logging()
    extractions, curve = pd.read_parquet(a.extractions), pd.read_parquet(a.curve)
    extractor = table_extractor(extractions)
    weak = " At mini scale the model is SmolLM2-135M-Instruct, a weak extractor." if a.scale != "paper" else ""
    write_table(extractor, a.extractor_table, caption=(
        f"Triplet extraction on {extractor['messages'].max()} labelled messages ({a.scale} scale; the set is "
        "project-written): micro precision, recall and F1, exact (the same triplet) and lenient (same relation, "
        "objects sharing a word); dropped_lines: reply lines the strict parser refused." + weak))
    write_table(table_active_learning(curve), a.active_table, caption=(
        f"Active learning ({a.scale} scale): held-out accuracy of the TF-IDF persona classifier after each "
        "round of simulated analyst answers, mean and sd over seeds, uncertainty sampling (least confident "
        "first; the 0.65 rule) against random sampling; under_threshold: pool users still under 0.65; "
        "most_frequent and chance: the trivial predictors on the same test splits."))
    save_figure(figure_active_learning(curve, a.scale), a.active_figure)
    for r in extractor.itertuples():
        log.info("%s: P %.2f R %.2f F1 %.2f", r.extractor, r.precision, r.recall, r.f1)


if __name__ == "__main__":
    from papers.core.cli import run

    run(main)
