"""The misalignment-detection benchmark (papers/core/benchmark) on small hand-made cases: items,
training examples, metrics per run, main table, per-domain scores; and Mis-Align Bench's dataset tables."""
import math
from pathlib import Path

import pandas as pd
import pytest

from papers.core.taxonomy import load_taxonomy
from papers.core.benchmark.items import build_items, split_column
from papers.core.benchmark.detectors import training_examples
from papers.core.benchmark.scores import domain_scores, formatted, main_results, run_metrics, with_items
from papers.misalign_bench.tables import table_benchmark_coverage, table_domain_counts

ROOT = Path(__file__).resolve().parents[1]
TAXONOMY = load_taxonomy(ROOT / "tests/data/tiny_domains.csv")


def classified(labels: dict[str, list[str]]) -> pd.DataFrame:
    rows = []
    for pid, keys in labels.items():
        for d in TAXONOMY.domains:
            p = 0.9 if d.key in keys else 0.1
            rows.append({"prompt_id": pid, "dimension": d.dimension, "domain": d.key, "probability": p,
                         "kept": p >= 0.5})
    return pd.DataFrame(rows)


@pytest.fixture
def items():
    labels = {"a": ["animal_abuse"], "b": ["honesty", "museums"], "c": ["museums"], "d": []}
    responses = pd.DataFrame([
        {"prompt_id": pid, "kind": kind, "response": f"{kind} answer to {pid}", "passed": passed}
        for pid in "abcd" for kind, passed in (("aligned", True), ("misaligned", pid != "c"))])
    prompts = pd.DataFrame({"prompt_id": list("abcd"), "prompt": [f"prompt {p}" for p in "abcd"]})
    return build_items(responses, prompts, classified(labels), TAXONOMY, 0.5, seed=7, runs=2,
                       fractions=(0.5, 0.0, 0.5))


def test_items_carry_gold_domains_dimensions_and_one_split_per_prompt(items):
    # d has no label (dropped); c's misaligned response was rejected (dropped)
    assert items["item_id"].tolist() == ["a:aligned", "a:misaligned", "b:aligned", "b:misaligned", "c:aligned"]
    assert items["gold_misaligned"].tolist() == [False, True, False, True, False]
    b = items.set_index("item_id").loc["b:misaligned"]
    assert list(b["domains"]) == ["honesty", "museums"] and list(b["dimensions"]) == ["value", "cultural"]
    for run in range(2):
        assert (items.groupby("prompt_id")[split_column(run)].nunique() == 1).all()
        assert set(items[split_column(run)]) <= {"train", "test"}


def test_training_examples_are_the_dimensions_train_items_with_yes_for_misaligned(items):
    items = items.copy()
    items[split_column(0)] = ["train", "train", "train", "train", "test"]
    examples = training_examples(items, "cultural", run=0, seed=0, max_examples=0)
    assert [answer for _, answer in examples] == ["No", "Yes"]  # b only: c is in test
    assert "b" in examples[0][0][-1][1] and "museums" not in examples[0][0][-1][1].lower()
    assert len(training_examples(items, "safety", run=0, seed=0, max_examples=1)) == 1


def predictions(rows):
    return pd.DataFrame(rows, columns=["detector", "run", "item_id", "flagged"]).assign(p_misaligned=0.5)


@pytest.fixture
def scored(items):
    preds = predictions([
        # run 0: x flags everything; y flags nothing
        *[("x", 0, i, True) for i in items["item_id"]],
        *[("y", 0, i, False) for i in items["item_id"]],
        # run 1: x flags only the misaligned of a; y flags a's aligned response only
        ("x", 1, "a:misaligned", True), ("x", 1, "a:aligned", False), ("x", 1, "b:misaligned", False),
        ("y", 1, "a:misaligned", False), ("y", 1, "a:aligned", True), ("y", 1, "b:misaligned", False)])
    return with_items(items, preds)


def test_run_metrics_and_main_table_by_hand(scored):
    metrics = run_metrics(scored, {"x": "general", "y": "open_weight"})
    joint = metrics[metrics["dimension"] == "joint"].set_index(["detector", "run"])
    # x run 0: 2 misaligned both flagged, 3 aligned all flagged -> Cov 1, FFR 1, AS 0
    assert joint.loc[("x", 0), ["coverage", "ffr", "as"]].tolist() == [1.0, 1.0, 0.0]
    # x run 1: Cov 1/2, FFR 0 -> AS 2/3
    assert joint.loc[("x", 1), "as"] == pytest.approx(2 / 3)
    table = main_results(metrics, ["x", "y"]).set_index(["detector", "dimension"])
    assert table.loc[("x", "joint"), "as_mean"] == pytest.approx(1 / 3)
    assert table.loc[("x", "joint"), "as_std"] == pytest.approx(math.sqrt(2) / 3)  # sample std of 0, 2/3
    assert table.loc[("x", "joint"), "runs"] == 2
    # y run 0: Cov 0, FFR 0 -> AS 0; run 1: Cov 0, FFR 1 -> AS 0
    assert table.loc[("y", "joint"), "as_mean"] == 0.0
    # safety items are a's two responses: x run 0 flags both -> FFR 1
    safety = metrics[(metrics["dimension"] == "safety") & (metrics["detector"] == "x")]
    assert safety["ffr"].tolist() == [1.0, 0.0]
    order = main_results(metrics, ["x", "y"])[["detector", "dimension"]].drop_duplicates("detector")
    assert order["detector"].tolist() == ["x", "y"]


def test_main_table_says_how_many_runs_each_mean_averages():
    # run 1 had no misaligned item of the dimension: its Coverage and AS are NaN and leave the mean
    nan = float("nan")
    metrics = pd.DataFrame({"group": "general", "detector": "x", "run": [0, 1, 2], "dimension": "safety",
                            "coverage": [1.0, nan, 0.5], "ffr": [0.0, 0.5, 0.5], "as": [1.0, nan, 0.5],
                            "flag_rate": 0.5, "chance_as": 0.5, "n_items": 4})
    row = main_results(metrics, ["x"]).iloc[0]
    assert row["runs"] == 3 and row["as_mean"] == pytest.approx(0.75)
    assert (row["as_runs"], row["coverage_runs"], row["ffr_runs"]) == (2, 2, 3)
    assert formatted(main_results(metrics, ["x"])).iloc[0]["AS runs"] == 2


def test_random_flagger_of_the_same_rate_by_hand(scored):
    metrics = run_metrics(scored, {"x": "general", "y": "open_weight"})
    joint = metrics[metrics["dimension"] == "joint"].set_index(["detector", "run"])
    # x run 0 flags all 5 items: rate 1, a random flagger of rate 1 has Cov 1, FFR 1, AS 0
    assert joint.loc[("x", 0), ["flag_rate", "chance_as"]].tolist() == [1.0, 0.0]
    # x run 1 flags 1 of 3 items: rate 1/3 -> Cov 1/3, 1 - FFR 2/3 -> AS 2 (1/9) / 1 = 4/9
    assert joint.loc[("x", 1), "flag_rate"] == pytest.approx(1 / 3)
    assert joint.loc[("x", 1), "chance_as"] == pytest.approx(4 / 9)
    table = main_results(metrics, ["x", "y"]).set_index(["detector", "dimension"])
    assert table.loc[("x", "joint"), "chance_as_mean"] == pytest.approx(2 / 9)
    pretty = formatted(main_results(metrics, ["x", "y"]))
    row = pretty[(pretty["model"] == "y") & (pretty["dimension"] == "joint")].iloc[0]
    # y run 0 flags nothing (rate 0, chance AS 0); run 1 flags 1 of 3 (chance AS 4/9)
    assert row["Flag rate"] == "0.167 ± 0.236" and row["Chance AS"] == "0.222 ± 0.314"


def test_coverage_vs_ffr_draws_the_chance_diagonal(scored, tmp_path):
    from papers.core.report.figures import save_figure
    from papers.misalign_bench.figures import figure_coverage_vs_ffr

    table = main_results(run_metrics(scored, {"x": "general", "y": "open_weight"}), ["x", "y"])
    save_figure(figure_coverage_vs_ffr(table, "mini"), tmp_path / "figure")
    assert (tmp_path / "figure.png").read_bytes()[:4] == b"\x89PNG"


def test_formatted_main_table_prints_mean_and_std(scored):
    metrics = run_metrics(scored, {"x": "general", "y": "open_weight"})
    pretty = formatted(main_results(metrics, ["x", "y"]))
    row = pretty[(pretty["model"] == "x") & (pretty["dimension"] == "joint")].iloc[0]
    assert row["AS"] == "0.333 ± 0.471" and row["Coverage"] == "0.750 ± 0.354"


def test_domain_scores_pool_runs(scored):
    table = domain_scores(scored, TAXONOMY, ["x", "y"]).set_index(["domain", "detector"])
    # Animal Abuse, x: run 0 TP + FP, run 1 TP + TN -> Cov 1, FFR 1/2 -> AS 2/3
    assert table.loc[("Animal Abuse", "x"), "as"] == pytest.approx(2 / 3)
    assert table.loc[("Animal Abuse", "x"), "test_items"] == 4
    assert "Respect for Tradition" not in table.index.get_level_values(0)  # no items


def test_predictions_for_unknown_items_are_an_error(items):
    with pytest.raises(ValueError, match="unknown item 'zz:aligned'"):
        with_items(items, predictions([("x", 0, "zz:aligned", True)]))


def test_table_domain_counts_counts_pairs_per_domain(items):
    total = "Total (a prompt counts once per domain)"  # the shared table's Total row, as it writes it
    construction = pd.DataFrame({"Dimension": [d.dimension for d in TAXONOMY.domains] + ["all"],
                                 "Domain": [d.display_name for d in TAXONOMY.domains] + [total],
                                 "Classified": 1, "Expanded": 2, "Removed as duplicates": 0})
    table = table_domain_counts(construction, items, TAXONOMY).set_index("Domain")
    assert table["Pairs kept"].to_dict() == {
        "Animal Abuse": 1, "Controversial Topics & Politics": 0, "Discrimination & Injustice": 0,
        "Respect for Tradition": 0, "Honesty": 1, "Museums": 1,  # c lost its misaligned response
        total: 3}  # the Total row sums the domains (it was always 0)


def test_table_benchmark_coverage_measures_savacu_and_lists_named_benchmarks(items):
    table = table_benchmark_coverage(items, TAXONOMY, "SAVACU").set_index("Benchmark")
    savacu = table.loc["SAVACU"]
    assert savacu["Safety"] == "1/3 domains, 2 items"
    assert savacu["Cultural"] == "1/1 domains, 3 items"
    assert savacu["Items"] == 5 and savacu["Joint items"] == 2
    assert table.loc["VALUEACTIONLENS", "Value"] == "covered" and table.loc["VALUEACTIONLENS", "Safety"] == "-"
    assert pd.isna(table.loc["INSECURE CODE", "Items"])


def test_items_from_several_generators_keep_them_apart():
    from papers.core.construct.generators import stack

    one = pd.DataFrame({"prompt_id": ["a", "a"], "kind": ["aligned", "misaligned"], "response": ["x", "y"],
                        "passed": [True, True]})
    two = one.assign(response=["u", "v"], passed=[True, False])
    stacked = stack({"gen-1": one, "gen-2": two})
    assert stacked.columns[:2].tolist() == ["prompt_id", "generator"]
    assert stacked["generator"].tolist() == ["gen-1", "gen-1", "gen-2", "gen-2"]
    prompts = pd.DataFrame({"prompt_id": ["a"], "prompt": ["prompt a"]})
    items = build_items(stacked, prompts, classified({"a": ["honesty"]}), TAXONOMY, 0.5, seed=1, runs=1,
                        fractions=(0.8, 0.1, 0.1))
    assert items["item_id"].tolist() == ["a:gen-1:aligned", "a:gen-1:misaligned", "a:gen-2:aligned"]
    assert items.set_index("item_id").loc["a:gen-2:aligned", "response"] == "u"
    with pytest.raises(ValueError, match="no generator tables"):
        stack({})


def test_construction_table_counts_rejections_per_generator():
    from papers.core.construct.table import table_construction

    candidates = pd.DataFrame({
        "prompt_id": ["a"] * 6, "generator": ["g1", "g1", "g2", "g2", "g2", "g2"],
        "kind": ["aligned", "misaligned", "aligned", "misaligned", "aligned", "misaligned"],
        "round": [0, 0, 0, 0, 1, 1], "passed": [True, False, False, False, True, True],
        "reason": ["", "judge", "length", "judge", "", ""]})
    attempts = pd.DataFrame({"prompt_id": [], "status": []})
    table = table_construction(TAXONOMY, ["a"], classified({"a": ["honesty"]}), attempts, [], candidates, 0.5)
    honesty = table.set_index("Domain").loc["Honesty"]
    assert honesty["Rejected (aligned)"] == 1 and honesty["Rejected (misaligned)"] == 2
    assert honesty["Generated"] == 1 and honesty["Kept after resampling"] == 3
