"""The real DAG, end to end, on the tiny test config with the real embedded models.

It runs in a scratch working directory whose data/, resources/ (the materialised models) and code
are links to this checkout, so results/ and the call cache are fresh for the test (tests/dag.py;
the run itself is the session fixture `dag_run` of tests/conftest.py, shared with the crash tests).
"""
import hashlib
import json
import math
import re

import pandas as pd
import pytest

from papers import PAPERS
from papers.core.claims import load_claims
from tests.dag import LINKED, ROOT, SNAKEMAKE, snakemake  # noqa: F401 (LINKED, SNAKEMAKE: once defined here)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def work(dag_run):
    return dag_run.work


def test_classification_probabilities(work):
    import yaml

    from papers.core.config import model_entry
    from papers.core.construct.reclassify import classification_request
    from papers.core.llm.base import ModelSpec, load_backend
    from papers.core.taxonomy import load_taxonomy
    from papers.core.verdict import CONTENT_FREE, softmax

    classified = pd.read_parquet(work / "results/construct/classified.parquet")
    assert len(classified) == 6 * 6  # six prompts, six domains
    sums = classified.groupby(["prompt_id", "dimension"])["probability"].sum()
    assert ((sums > 0) & (sums < 1)).all()  # the remainder is "None of these"
    assert (classified["kept"] == (classified["probability"] >= 0.5)).all()
    # The DAG's number for one (prompt, dimension) equals a direct call to the model.
    taxonomy = load_taxonomy(ROOT / "tests/data/tiny_domains.csv")
    prompt = "Which museums in Paris are free on the first Sunday of the month?"
    config = yaml.safe_load((ROOT / "config/config.yaml").read_text())
    classifier = load_backend(ModelSpec.from_config(model_entry(config, "classifier")))
    assert config["construct"]["calibration"] == "content_free"
    scores, free = classifier.score([classification_request(p, "cultural", taxonomy) for p in (prompt, CONTENT_FREE)])
    direct = softmax([s - b for s, b in zip(scores, free)])
    got = classified.query("prompt_id == 't3' and dimension == 'cultural'")["probability"].tolist()
    assert got == pytest.approx(direct[:-1], abs=1e-4)


def test_counts_table_agrees_with_classification(work):
    counts = pd.read_csv(work / "results/construct/table_domain_counts.csv")
    classified = pd.read_parquet(work / "results/construct/classified.parquet")
    assert len(counts) == 6 and counts["Dimension"].value_counts().to_dict() == {
        "value": 2, "cultural": 1, "safety": 3}
    assert counts["Gold (pool)"].sum() == 6  # t1, t3, t4, t5 one label each; t6 two
    assert counts["Classified"].sum() == classified["kept"].sum()
    museums = counts.set_index("Domain").loc["Museums"]
    assert museums["Released (paper)"] == 28 and museums["Gold (pool)"] == 1
    md = (work / "results/construct/table_domain_counts.md").read_text()
    assert md.count("\n| safety |") == 3
    assert (work / "results/construct/figure_domain_counts.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (work / "results/construct/figure_domain_counts.pdf").read_bytes()[:5] == b"%PDF-"


def test_manifest_hashes_match_outputs(work):
    manifest = json.loads((work / "results/construct/manifest.json").read_text())
    assert manifest["config"]["scale"] == "test" and manifest["seeds"] == {"seed": 42}
    assert len(manifest["outputs"]) == 22
    for path, digest in manifest["outputs"].items():
        assert hashlib.sha256((work / path).read_bytes()).hexdigest() == digest


def test_rerun_is_free_and_report_builds(work):
    assert "Nothing to be done" in snakemake(work)
    snakemake(work, "--forcerun", "construct_classify_prompts")
    log = (work / "results/logs/construct/classify_prompts.log").read_text()
    assert re.search(r"; 0 model calls$", log.strip()), log[-500:]
    snakemake(work, "--report", "results/report.html")
    html = (work / "results/report.html").read_text(errors="replace")
    assert "Shared construction" in html and "per-domain counts" in html


def test_every_rule_is_benchmarked(work):
    for module in ("construct", "misalign_bench", "misalign_profile", "demo_safetybench"):
        rules = re.findall(r"^(?:use )?rule (?:\w+ as )?(\w+)", (ROOT / f"workflow/rules/{module}.smk").read_text(), re.M)
        # and the rules its declaration gets from workflow/rules/paper.smk (construct has no claims)
        rules += [f"{module}_report"] + ([f"{module}_check_claims"] if module != "construct" else [])
        benchmarks = {p.stem for p in (work / f"results/benchmarks/{module}").glob("*.tsv")}
        for rule in rules:
            if rule.endswith("_all"):
                continue
            step = rule.removeprefix(f"{module}_")
            assert any(b == step or b.startswith(step + "_") for b in benchmarks), rule
        for path in (work / f"results/benchmarks/{module}").glob("*.tsv"):
            bench = pd.read_csv(path, sep="\t")
            assert float(bench["s"].iloc[0]) >= 0, path


def test_rerunning_the_tables_and_figure_gives_identical_bytes(work):
    outputs = sorted((work / "results/construct").glob("t*.*")) + sorted((work / "results/construct").glob("f*.*"))
    assert len(outputs) == 14
    before = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in outputs}
    snakemake(work, "--forcerun", "construct_count_domains", "construct_count_construction")
    after = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in outputs}
    assert before == after


def test_expansion_tops_up_low_domains_and_keeps_only_on_domain_prompts(work):
    out = work / "results/construct"
    classified = pd.read_parquet(out / "classified.parquet")
    attempts = pd.read_parquet(out / "expansion_attempts.parquet")
    kept_per_domain = classified[classified["kept"]]["domain"].value_counts()
    asked = attempts["domain"].value_counts()
    for domain in classified["domain"].unique():
        assert asked.get(domain, 0) == max(0, 2 - kept_per_domain.get(domain, 0)), domain
    pool = pd.read_parquet(out / "pool_expanded.parquet")
    expanded = pd.read_parquet(out / "classified_expanded.parquet")
    kept = attempts[attempts["status"] == "kept"]
    assert set(pool.loc[pool["source"] == "expansion", "prompt_id"]) == set(kept["prompt_id"])
    assert len(expanded) == 6 * len(pool)
    for row in kept.itertuples():  # each kept prompt landed in the domain it was written for
        p = expanded.query("prompt_id == @row.prompt_id and domain == @row.domain")["probability"].item()
        assert p >= 0.5
    assert set(attempts["status"]) <= {"kept", "rejected"}
    assert (attempts.loc[attempts["status"] == "rejected", "reason"] != "").all()


def test_dedup_partitions_the_pool(work):
    out = work / "results/construct"
    pool = pd.read_parquet(out / "pool_expanded.parquet")
    kept = pd.read_parquet(out / "prompts_dedup.parquet")
    removed = pd.read_parquet(out / "dedup_removed.parquet")
    assert sorted(kept["prompt_id"].tolist() + removed["id"].tolist()) == sorted(pool["prompt_id"])
    assert set(removed["duplicate_of"]) <= set(kept["prompt_id"])
    assert (removed["distance"] <= 10).all()


def test_rejection_sampling_records_every_round(work):
    out = work / "results/construct"
    cands = pd.read_parquet(out / "response_candidates.parquet")
    responses = pd.read_parquet(out / "responses.parquet")
    expanded = pd.read_parquet(out / "classified_expanded.parquet")
    kept_prompts = set(pd.read_parquet(out / "prompts_dedup.parquet")["prompt_id"])
    labelled = set(expanded.loc[expanded["kept"], "prompt_id"]) & kept_prompts
    first = cands[cands["round"] == 0]
    assert set(first["prompt_id"]) == labelled and len(first) == 2 * len(labelled)
    assert cands["round"].max() <= 2
    for (pid, kind), group in cands.groupby(["prompt_id", "kind"]):
        rounds = group.sort_values("round")
        assert rounds["round"].tolist() == list(range(len(rounds)))
        assert not rounds["passed"].iloc[:-1].any()  # resampled only after a rejection
        assert (rounds.loc[~rounds["passed"], "reason"] != "").all()
        assert (rounds.loc[rounds["passed"], "reason"] == "").all()
    judged = cands[cands["reason"].str.startswith("judge") | cands["passed"]]
    assert judged["p_yes"].between(0, 1).all()
    assert len(responses) == cands["passed"].sum()
    table = pd.read_csv(out / "table_construction.csv")
    total = table[table["Dimension"] == "all"].iloc[0]
    assert total["Generated"] == sum(expanded.query("prompt_id in @labelled")["kept"])


def test_misalign_bench_items_and_splits(work):
    out = work / "results/misalign_bench"
    items = pd.read_parquet(out / "items.parquet")
    responses = pd.read_parquet(work / "results/construct/responses.parquet")
    assert len(items) == len(responses[responses["passed"] & responses["prompt_id"].isin(items["prompt_id"])])
    assert (items["gold_misaligned"] == (items["kind"] == "misaligned")).all()
    for run in (0, 1):
        assert (items.groupby("prompt_id")[f"split_run{run}"].nunique() == 1).all()
        preds = pd.read_parquet(out / f"predictions/smollm2-135m-instruct/run{run}.parquet")
        assert sorted(preds["item_id"]) == sorted(items.loc[items[f"split_run{run}"] == "test", "item_id"])


def test_misalign_bench_lora_detector_differs_from_its_base(work):
    out = work / "results/misalign_bench"
    base = pd.read_parquet(out / "predictions/smollm2-135m-instruct/run0.parquet").set_index("item_id")
    tuned = pd.read_parquet(out / "predictions/safety-lora/run0.parquet").set_index("item_id")
    assert (base.index == tuned.index).all()
    assert (base["p_misaligned"] - tuned["p_misaligned"]).abs().max() > 1e-3
    training = json.loads((out / "adapters/safety/run0/training.json").read_text())
    assert training["examples"] > 0 and training["settings"]["seed"] == 42


def test_misalign_bench_main_table_recomputes_from_predictions(work):
    from papers.core.metrics.alignment import Counts, alignment_score, coverage, false_failure_rate

    out = work / "results/misalign_bench"
    items = pd.read_parquet(out / "items.parquet").set_index("item_id")
    table = pd.read_csv(out / "table_main_results.csv")
    assert set(table["detector"]) == {"smollm2-135m-instruct", "safety-lora", "gemma-3-270m"}
    assert table["detector"].drop_duplicates().tolist() == ["smollm2-135m-instruct", "safety-lora", "gemma-3-270m"]
    per_run = []
    for run in (0, 1):
        preds = pd.read_parquet(out / f"predictions/gemma-3-270m/run{run}.parquet")
        c = Counts.of(items.loc[preds["item_id"], "gold_misaligned"].to_numpy(), preds["flagged"].to_numpy())
        per_run.append((coverage(c), false_failure_rate(c), alignment_score(c)))
    row = table.query("detector == 'gemma-3-270m' and dimension == 'joint'").iloc[0]
    for i, name in enumerate(("coverage", "ffr", "as")):
        values = [r[i] for r in per_run]
        assert row[f"{name}_mean"] == pytest.approx(sum(values) / 2, abs=1e-3)
    assert (out / "figure_coverage_vs_ffr.png").read_bytes()[:4] == b"\x89PNG"
    assert (out / "figure_domain_alignment.pdf").read_bytes()[:5] == b"%PDF-"


def assert_every_claim_measured(claims: pd.DataFrame) -> None:
    """A "not measured" verdict (rows selected, no value in them) fails, naming the claims: it must
    not pass as a verdict like any other."""
    unmeasured = claims.loc[claims["verdict"] == "not measured", "id"].tolist()
    assert not unmeasured, f"claims not measured: {unmeasured}"
    assert claims["measured"].notna().all()


def test_misalign_bench_claims_and_report(work):
    out = work / "results/misalign_bench"
    claims = pd.read_csv(out / "table_claims.csv")
    assert len(claims) == 7 and set(claims["scale"]) == {"test"}
    assert_every_claim_measured(claims)
    assert set(claims["verdict"]) == {"not comparable at test scale"}
    manifest = json.loads((out / "manifest.json").read_text())
    for path, digest in manifest["outputs"].items():
        assert hashlib.sha256((work / path).read_bytes()).hexdigest() == digest
    snakemake(work, "--report", "results/report.html")
    html = (work / "results/report.html").read_text(errors="replace")
    assert "1 Mis-Align Bench" in html and "Coverage vs FFR" in html
    assert "3 Demo-SafetyBench" in html and "ICC and DS heatmaps" in html


def test_misalign_profile_classifies_nothing_twice(work):
    out = work / "results/misalign_profile"
    shared = pd.read_parquet(work / "results/construct/classified.parquet")
    mine = pd.read_parquet(out / "classified_expanded.parquet")
    pool = mine[mine["prompt_id"].isin(shared["prompt_id"])].reset_index(drop=True)
    pd.testing.assert_frame_equal(pool, shared)  # the pool's classification is paper 1's, as is
    attempts = pd.read_parquet(out / "expansion_attempts.parquet")
    log = (work / "results/logs/misalign_profile/expand_domains.log").read_text()
    made = int(attempts["made"].sum())
    calls = re.search(r"; (\d+) \+ (\d+) model calls", log)
    expander_calls, classifier_calls = int(calls.group(1)), int(calls.group(2))
    # The classifier saw only the new prompts, once per dimension; a rerun replays all from the cache.
    assert classifier_calls == 3 * made or expander_calls == classifier_calls == 0, log[-400:]


def test_misalign_profile_items_types_and_tradeoffs(work):
    out = work / "results/misalign_profile"
    items = pd.read_parquet(out / "items.parquet")
    candidates = pd.read_parquet(out / "response_candidates.parquet")
    assert set(candidates["generator"]) == {"smollm2-135m-instruct", "gemma-3-270m"}
    assert set(items["generator"]) <= set(candidates["generator"])  # a generator may have nothing accepted
    assert items.groupby("prompt_id")["semantic_type"].nunique().eq(1).all()
    assert set(items["semantic_type"]) <= {"object", "attribute", "relation"}
    assert len(items) <= candidates["passed"].sum()
    tradeoffs = pd.read_csv(out / "table_tradeoffs.csv")
    assert len(tradeoffs) == 6 * 3  # three detectors, six ordered pairs
    by_type = pd.read_csv(out / "table_results_by_type.csv")
    assert {"all"} <= set(by_type["semantic_type"]) <= {"object", "attribute", "relation", "all"}
    first = candidates[candidates["round"] == 0]
    per_generator = first.groupby("generator")["prompt_id"].apply(lambda s: sorted(s))
    assert per_generator.iloc[0] == per_generator.iloc[1]  # both generators answer every prompt, both kinds
    construction = pd.read_csv(out / "table_construction.csv")
    total = construction[construction["Dimension"] == "all"].iloc[0]
    rejected = first[~first["passed"]]
    assert total["Rejected (aligned)"] >= (rejected["kind"] == "aligned").sum()  # each rejected prompt has a domain
    assert (out / "figure_tradeoffs.png").read_bytes()[:4] == b"\x89PNG"
    claims = pd.read_csv(out / "table_claims.csv")
    assert len(claims) == 5
    assert_every_claim_measured(claims)
    ledger = pd.read_csv(work / "results/claims.csv")
    declared = [load_claims(ROOT / "papers" / paper / "claims.yaml") for paper in PAPERS]  # every paper, once
    assert ledger.groupby("paper").size().to_dict() == {d["paper"]: len(d["claims"]) for d in declared}
    assert_every_claim_measured(ledger)


def test_demo_safetybench_keeps_the_human_ratings_and_rates_every_framing(work):
    out = work / "results/demo_safetybench"
    human = pd.read_parquet(out / "human_ratings.parquet")
    assert len(human) == 32 and human["rater_gender"].notna().all()  # the fixture's 8 x 4, demographics kept
    items = pd.read_parquet(out / "items.parquet")
    assert set(human["item_id"]) <= set(items["item_id"])
    assert (items.loc[items["source"] == "dices", "human_ratings"] == 4).all()
    for rater in ("smollm2-135m-instruct", "gemma-3-270m"):
        ratings = pd.read_parquet(out / f"ratings/{rater}.parquet")
        assert len(ratings) == len(items) * 3  # unframed, Man, Woman
        assert ratings["p_unsafe"].between(0, 1).all() and (ratings["mode"] == "score").all()
    counts = pd.read_csv(out / "table_domain_counts.csv").set_index("Domain")
    assert counts.at["All items", "Human ratings"] == 32 and counts.at["All items", "DICES conversations"] == 8


def test_demo_safetybench_rating_equals_a_direct_call(work):
    import yaml

    from papers.core.llm.base import ModelSpec, load_backend
    from papers.core.llm.types import ScoreRequest
    from papers.demo_safetybench.framing import framings
    from papers.demo_safetybench.rate import rating_prompt

    out = work / "results/demo_safetybench"
    items = pd.read_parquet(out / "items.parquet").set_index("item_id")
    ratings = pd.read_parquet(out / "ratings/smollm2-135m-instruct.parquet")
    row = ratings[ratings["framing"] == "gender=Woman"].iloc[0]
    config = yaml.safe_load((ROOT / "config/config.yaml").read_text())
    model = load_backend(ModelSpec.from_config(config["models"]["smollm2-135m-instruct"]))
    woman = [f for f in framings(["gender"]) if f.name == "gender=Woman"][0]
    yes, no = model.score([ScoreRequest(rating_prompt(items.at[row["item_id"], "text"], woman), ("Yes", "No"))])[0]
    assert row["p_unsafe"] == pytest.approx(1 / (1 + math.exp(no - yes)), abs=1e-4)


def test_demo_safetybench_tables_recompute_from_the_ratings(work):
    from papers.core.metrics.reliability import demographic_sensitivity, icc

    out = work / "results/demo_safetybench"
    benchmark = pd.read_parquet(out / "benchmark_ratings.parquet")
    table = pd.read_csv(out / "table_reliability.csv").set_index("rater")
    for rater, own in benchmark.groupby("rater"):
        matrix = own[own["framing"] != "none"].pivot(index="item_id", columns="framing", values="p_unsafe")
        if len(matrix) >= 2:
            assert table.at[rater, "ICC(2,1)"] == pytest.approx(icc(matrix.to_numpy())["ICC(2,1)"], abs=1e-3)
            assert table.at[rater, "DS"] == pytest.approx(demographic_sensitivity(matrix.to_numpy()), abs=1e-3)
    assert table["headline"].sum() == 1 and bool(table.at["smollm2-135m-instruct", "headline"])
    sweep = pd.read_csv(out / "table_threshold_sweep.csv")
    assert len(sweep) == 2 * 2 * 2 and sweep["balanced"].sum() == 2  # a 2 x 2 grid, two raters
    balanced = sweep[sweep["balanced"]].set_index("rater")
    assert (balanced["items"] == table["n_items"].reindex(balanced.index)).all()
    agreement = pd.read_csv(out / "table_group_agreement.csv")
    assert {"all", "Man", "Woman"} <= set(agreement["group"])  # the CSV fixture names who rated what
    claims = pd.read_csv(out / "table_claims.csv")
    assert len(claims) == 6 and set(claims["scale"]) == {"test"}
    assert_every_claim_measured(claims)
    counts = pd.read_csv(out / "table_domain_counts.csv").set_index("Domain")
    assert counts.at["All items", "Stage I yield"] <= counts.at["All items", "Human ratings"]
    assert table["mode"].eq("score").all() and "ICC rank" in table.columns
    for name in ("figure_threshold_sweep.png", "figure_unsafe_rates.png"):
        assert (out / name).read_bytes()[:4] == b"\x89PNG"


def test_alignx_tables_recompute_from_the_steps(work):
    from papers.alignx.answers import METHODS, TIMED
    from papers.alignx.evaluate import win_rate
    from papers.alignx.experts import ADAPTERS

    out, timing = work / "results/alignx", work / "results/benchmarks/alignx"
    axes = pd.read_parquet(out / "axes.parquet")
    test = axes[axes["split"] == "test"]
    assert test.groupby("axis").size().to_dict() == {"helpful": 2, "harmless": 2, "honest": 2}  # the tiny config
    assert test.groupby("axis")["answered"].sum().to_dict() == {"helpful": 1, "harmless": 1, "honest": 1}
    assert axes.groupby("axis")["trains_expert"].sum().to_dict() == {"helpful": 1, "harmless": 1, "honest": 1}
    examples = {name: json.loads((out / f"adapters/smollm2-135m-instruct/{name}/training.json").read_text())["examples"]
                for name in ADAPTERS}
    axes_names = ("helpful", "harmless", "honest")
    assert examples["helpful"] == examples["honest"] == 1 and examples["harmless"] <= 1  # harmless: accepted targets
    assert all(examples[f"{axis}_plain"] == examples[axis] for axis in axes_names)
    assert examples["sft"] == sum(examples[axis] for axis in axes_names)
    gates = pd.read_parquet(out / "router_gates.parquet")
    assert len(gates) == 4 * len(test) and set(gates["split"]) == {"test"}
    answers = pd.read_parquet(out / "answers/smollm2-135m-instruct.parquet")
    assert sorted(answers["method"].unique()) == sorted(METHODS) and len(answers) == len(METHODS) * 3
    judgments = pd.read_parquet(out / "judgments.parquet")
    assert judgments.groupby("measure").size().to_dict() == {m: len(METHODS) for m in
                                                             ("win", "p_unsafe", "p_true", "p_info")}
    main = pd.read_csv(out / "table_main_results.csv").set_index("method")
    assert list(main.index) == ["base", "sft", "softmax", "topk_moe", "alignx"]
    for method, row in main.iterrows():
        wins = judgments.query("method == @method and measure == 'win'")["value"]
        assert row["win_rate"] == pytest.approx(win_rate(wins.tolist()).value, abs=1e-3)
    assert main.at["base", "win_rate_vs_base"] == 0 or math.isnan(main.at["base", "win_rate_vs_base"])
    ablations = pd.read_csv(out / "table_ablations.csv")
    assert ablations["method"].tolist() == ["alignx", "no_injection", "no_natural", "no_fractal"]
    calibration = pd.read_csv(out / "table_router_calibration.csv")
    assert calibration["router"].tolist()[-1] == "uniform" and (calibration["prompts"] == len(test)).all()
    # the timings are kept apart from the results (they differ run to run): table and claims
    efficiency = pd.read_csv(timing / "table_efficiency.csv")
    assert efficiency["method"].tolist() == list(TIMED) and (efficiency["prompts"] == 1).all()
    assert (efficiency["peak_memory_mb"] >= efficiency["loaded_memory_mb"]).all()
    assert not list(out.glob("*efficiency*"))
    claims = pd.read_csv(out / "table_claims.csv")
    assert len(claims) == 6 and set(claims["scale"]) == {"test"}
    assert_every_claim_measured(claims)
    timed_claims = pd.read_csv(timing / "table_claims_efficiency.csv")
    assert timed_claims["id"].tolist() == ["lower_latency_than_moe", "lower_memory_than_moe"]
    assert_every_claim_measured(timed_claims)
    manifest = json.loads((out / "manifest.json").read_text())
    assert not [path for path in manifest["outputs"] if "benchmarks" in path]
    for path, digest in manifest["outputs"].items():
        assert hashlib.sha256((work / path).read_bytes()).hexdigest() == digest
    for name in ("figure_router_reliability.png", "figure_feature_overlap.png"):
        assert (out / name).read_bytes()[:4] == b"\x89PNG"


def test_persodpo_tables_recompute_from_the_steps(work):
    out = work / "results/persodpo"
    turns = pd.read_parquet(out / "turns.parquet")
    assert turns["split"].value_counts().to_dict() == {"train": 3, "test": 1}  # the tiny config's sample
    candidates = pd.read_parquet(out / "candidate_quality.parquet")
    assert len(candidates) == 3 * 3 and candidates["quality"].between(0, 1).all()  # 3 generators (prompt variants)
    pairs = pd.read_parquet(out / "pairs.parquet")
    training = pd.read_csv(out / "table_training.csv").set_index("policy")
    assert list(training.index) == ["persodpo", "standard", "simple", "random"]
    for policy, row in training.iterrows():
        own = pairs[pairs["policy"] == policy]
        assert row["pairs"] == len(own)
        summary = json.loads((out / f"adapters/{policy}/training.json").read_text())
        assert summary["pairs"] == len(own) and summary["trained"] == bool(len(own))
        assert row["steps"] == len(summary["log_history"])
    persodpo = pairs[pairs["policy"] == "persodpo"]
    assert persodpo["weight"].between(0.5, 0.74).all() and (pairs[pairs["policy"] != "persodpo"]["weight"] == 1).all()
    signals = pd.read_parquet(out / "test_signals.parquet")
    policies = pd.read_csv(out / "table_policies.csv").set_index("model")
    assert list(policies.index) == ["base", "persodpo", "standard", "simple", "random", "gold"]
    assert (policies["replies"] == 1).all()
    for model, own in signals.groupby("generator"):
        assert policies.at[model, "quality"] == pytest.approx(own["quality"].mean(), abs=1e-3)
        assert policies.at[model, "failure_ratio"] == pytest.approx(own["failure"].mean(), abs=1e-3)
    wins = pd.read_parquet(out / "test_wins.parquet")
    assert set(wins["model"]) == set(policies.index) - {"gold"}
    assert policies.at["persodpo", "win_rate_vs_base"] == pytest.approx(
        wins.loc[wins["model"] == "persodpo", "win"].mean(), abs=1e-3)
    nli = pd.read_csv(out / "table_nli_check.csv").set_index("label")
    assert nli.at["all", "statements"] == 6 and nli.at["chance", "accuracy"] == pytest.approx(1 / 3, abs=1e-3)
    claims = pd.read_csv(out / "table_claims.csv")
    assert len(claims) == 5 and set(claims["scale"]) == {"test"}
    for name in ("figure_failures_and_length.png", "figure_training.png", "figure_rewards.png"):
        assert (out / name).read_bytes()[:4] == b"\x89PNG"


def test_cross_align_tables_recompute_from_the_answers(work):
    from sklearn.metrics import f1_score

    out = work / "results/cross_align"
    answers = pd.read_parquet(out / "answers/mini-lvlm.parquet")
    variants = pd.read_csv(out / "table_variants.csv")
    model_rows = variants[variants["kind"] == "model"].set_index(["benchmark", "variant"])
    for (benchmark, variant), own in answers.groupby(["benchmark", "variant"]):
        # every answer of Stage II and III goes through the benchmark's own adapter, none before
        assert set(own["adapter"]) == ({benchmark} if variant.startswith(("+I+II", "full")) else {""})
        if (benchmark, variant) in model_rows.index:
            f1 = f1_score(own["gold"], own["prediction"], average="macro", labels=[0, 1], zero_division=0)
            assert model_rows.loc[(benchmark, variant), "macro_f1"] == pytest.approx(f1, abs=1e-3)
        assert ((own["p_positive"] >= 0.5) == (own["prediction"] == 1)).all()
    assert (answers.loc[answers["variant"] == "base", "knowledge"] == "").all()
    assert (answers.loc[answers["variant"] == "+I", "knowledge"] != "").any()  # the tiny memes link facts
    # the stage-III verdict is the explanations' verdict: the cascade's last step, not a fresh prompt
    explanations = pd.read_parquet(out / "explanations/mini-lvlm.parquet").set_index(["benchmark", "id"])
    full = answers[answers["variant"] == "full"].set_index(["benchmark", "id"])
    assert full["p_positive"].to_dict() == pytest.approx(explanations.loc[full.index, "p_positive"].to_dict())
    assert (explanations["evidence"] != "").all() and (explanations["reasoning"] != "").all()
    trivial = variants[variants["kind"] == "trivial"]
    assert set(trivial["model"]) == {"most frequent", "chance"}
    claims = pd.read_csv(out / "table_claims.csv")
    assert len(claims) == 4 and set(claims["scale"]) == {"test"}
    assert_every_claim_measured(claims)
    assert (out / "figure_gains.png").read_bytes()[:4] == b"\x89PNG"


def test_persopilot_tables_recompute_and_screenshots_exist(work):
    from papers.persopilot.extract import Triplet, prf

    out = work / "results/persopilot"
    extractions = pd.read_parquet(out / "extractions.parquet")
    table = pd.read_csv(out / "table_extractor.csv").set_index("extractor")
    assert list(table.index) == ["model", "rules"]  # the rule-based baseline beside the model
    assert (table["messages"] == 36).all() and (table["gold"] == 37).all()  # the mini labelled set
    for name, own in extractions.groupby("extractor"):
        predicted = [[Triplet(*t) for t in json.loads(c)] for c in own["triplets"]]
        gold = [[Triplet(*t) for t in json.loads(c)] for c in own["gold"]]
        assert table.at[name, "f1"] == pytest.approx(prf(predicted, gold)["f1"], abs=1e-3)
        assert table.at[name, "f1_lenient"] == pytest.approx(prf(predicted, gold, lenient=True)["f1"], abs=1e-3)
    curve = pd.read_parquet(out / "learning_curve.parquet")
    active = pd.read_csv(out / "table_active_learning.csv")
    assert active["labels"].tolist() == [2, 4, 6, 8] and (active["seeds"] == 2).all()  # the tiny config's curve
    assert active["difference"].iloc[0] == 0  # both strategies of a seed start from the same two labels
    mean = curve.groupby(["strategy", "labels"])["accuracy"].mean()
    assert active["uncertainty"].tolist() == pytest.approx(mean["uncertainty"].tolist(), abs=1e-3)
    assert active["most_frequent"].between(0.5, 1).all() and active["chance"].between(0, 1).all()
    claims = pd.read_csv(out / "table_claims.csv")
    assert len(claims) == 2 and set(claims["scale"]) == {"test"}
    assert_every_claim_measured(claims)
    assert set(claims["verdict"]) == {"not comparable at test scale"}
    for name in ("figure_active_learning", "figure_screenshot_chat", "figure_screenshot_analyst"):
        assert (out / f"{name}.png").read_bytes()[:4] == b"\x89PNG"
        assert (out / f"{name}.pdf").read_bytes()[:5] == b"%PDF-"
    manifest = json.loads((out / "manifest.json").read_text())
    assert {"results/persopilot/figure_screenshot_chat.png", "results/persopilot/table_claims.csv"} <= set(manifest["outputs"])
    for path, digest in manifest["outputs"].items():
        assert hashlib.sha256((work / path).read_bytes()).hexdigest() == digest
