"""The real DAG, end to end, on the tiny test config with the real embedded models.

It runs in a scratch working directory whose data/, resources/ (the materialised models) and code
are links to this checkout, so results/ and the call cache are fresh for the test.
"""
import hashlib
import json
import math
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]
SNAKEMAKE = str(Path(sys.executable).with_name("snakemake"))
LINKED = ["Snakefile", "config", "data", "papers", "profiles", "resources", "tests", "workflow"]


def snakemake(work: Path, *args: str) -> str:
    result = subprocess.run([SNAKEMAKE, "--configfile", "tests/config/test.yaml", "--cores", "2", *args],
                            cwd=work, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-5000:]
    return result.stdout + result.stderr


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    work = tmp_path_factory.mktemp("dag")
    for name in LINKED:
        (work / name).symlink_to(ROOT / name)
    snakemake(work)
    return work


def test_classification_probabilities(work):
    import yaml

    from papers.core.config import model_entry
    from papers.core.construct.reclassify import CONTENT_FREE, classification_request, softmax
    from papers.core.llm.base import ModelSpec, load_backend
    from papers.core.taxonomy import load_taxonomy

    classified = pd.read_parquet(work / "results/construct/classified.parquet")
    assert len(classified) == 6 * 111
    sums = classified.groupby(["prompt_id", "dimension"])["probability"].sum()
    assert ((sums > 0) & (sums < 1)).all()  # the remainder is "None of these"
    assert (classified["kept"] == (classified["probability"] >= 0.5)).all()
    # The DAG's number for one (prompt, dimension) equals a direct call to the model.
    taxonomy = load_taxonomy(ROOT / "data/taxonomy/domains.csv")
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
    assert len(counts) == 111 and counts["Dimension"].value_counts().to_dict() == {
        "value": 56, "cultural": 41, "safety": 14}
    assert counts["Gold (pool)"].sum() == 6  # t1, t3, t4, t5 one label each; t6 two
    assert counts["Classified"].sum() == classified["kept"].sum()
    museums = counts.set_index("Domain").loc["Museums"]
    assert museums["Released (paper)"] == 28 and museums["Gold (pool)"] == 1
    md = (work / "results/construct/table_domain_counts.md").read_text()
    assert md.count("\n| safety |") == 14
    assert (work / "results/construct/figure_domain_counts.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (work / "results/construct/figure_domain_counts.pdf").read_bytes()[:5] == b"%PDF-"


def test_manifest_hashes_match_outputs(work):
    manifest = json.loads((work / "results/construct/manifest.json").read_text())
    assert manifest["config"]["scale"] == "test" and manifest["seeds"] == {"seed": 42}
    assert len(manifest["outputs"]) == 9
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
    for name in ("classify_prompts", "count_domains", "report"):
        bench = pd.read_csv(work / f"results/benchmarks/construct/{name}.tsv", sep="\t")
        assert math.isfinite(bench["max_rss"].iloc[0]) or bench["max_rss"].iloc[0] == "-"


def test_rerunning_the_tables_and_figure_gives_identical_bytes(work):
    outputs = sorted((work / "results/construct").glob("t*.*")) + sorted((work / "results/construct").glob("f*.*"))
    assert len(outputs) == 8
    before = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in outputs}
    snakemake(work, "--forcerun", "construct_count_domains")
    after = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in outputs}
    assert before == after
