"""A paper is a template: a module that declares one table and has one claim gets its check_claims,
report and `_all` rules from workflow/rules/paper.smk, and a claim reading a table that no rule of the
module writes stops the DAG when it is built.

The paper is a tiny synthetic workflow in a scratch directory: the checkout's common.smk (with the
mini config) and paper.smk, one rule writing the toy paper's table, its declaration and claims.yaml.
Only dry runs: nothing executes.
"""
import os
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
SNAKEMAKE = str(Path(sys.executable).with_name("snakemake"))

SNAKEFILE = """\
configfile: "{root}/config/config.yaml"


include: "{root}/workflow/rules/common.smk"
include: "{root}/workflow/rules/paper.smk"


rule toy_count_items:
    \"\"\"The toy paper's one table.\"\"\"
    output:
        table=multiext("results/toy/table_items", ".csv", ".md", ".tex"),
    log:
        "results/logs/toy/count_items.log",
    benchmark:
        "results/benchmarks/toy/count_items.tsv"
    threads: 1
    resources:
        mem_mb=100,
        runtime=1,
    conda:
        "../../envs/main.yaml"
    shell:
        "touch {{output}} 2> {{log}}"


paper_rules(
    "toy",
    category="9 Toy",
    sections=["construct"],
    inputs=["papers/toy/claims.yaml"],
    manifest=[rules.toy_count_items.output],
    outputs=[table(rules.toy_count_items, "table", "toy_items.rst", "items")],
)
"""


def claim(table):
    return {"id": "items_counted", "claim": "The toy paper counts 3 items.", "paper_value": 3,
            "table": table, "column": "items", "reduce": "value", "test": {"approx": 0}}


def toy(tmp_path, table):
    (tmp_path / "Snakefile").write_text(SNAKEFILE.format(root=ROOT))
    (tmp_path / "papers" / "toy").mkdir(parents=True)
    (tmp_path / "papers" / "toy" / "claims.yaml").write_text(
        yaml.safe_dump({"paper": "Toy", "claims": [claim(table)]}))
    return tmp_path


def snakemake(work, *args):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([SNAKEMAKE, "--cores", "1", *args],
                          capture_output=True, text=True, cwd=work, env=env)


def test_declared_paper_gets_claims_report_and_all_rules(tmp_path):
    work = toy(tmp_path, "results/toy/table_items.csv")
    listed = snakemake(work, "--list-rules")
    assert listed.returncode == 0, listed.stderr
    assert {"toy_count_items", "toy_check_claims", "toy_report", "toy_all"} <= set(listed.stdout.split())

    plan = snakemake(work, "-n", "-p", "toy_all")
    assert plan.returncode == 0, plan.stderr
    out = plan.stdout
    for rule in ("toy_count_items", "toy_check_claims", "toy_report", "toy_all"):
        assert f"rule {rule}:" in out, rule
    # the claim's table is the check's input; the claims table and the declared table are the report's
    assert "input: papers/toy/claims.yaml, results/toy/table_items.csv" in out
    assert ("python -m papers.core.claims --claims papers/toy/claims.yaml --scale mini"
            " --out results/toy/table_claims") in out
    assert "--outputs results/toy/table_items.csv results/toy/table_items.md results/toy/table_items.tex" \
           " results/toy/table_claims.csv results/toy/table_claims.md results/toy/table_claims.tex" in out
    assert "--out results/toy/manifest.json" in out


def test_claim_reading_a_table_no_rule_writes_fails_when_the_dag_is_built(tmp_path):
    work = toy(tmp_path, "results/toy/table_missing.csv")
    result = snakemake(work, "-n", "--list-rules")
    assert result.returncode != 0
    message = result.stdout + result.stderr
    assert ("papers/toy/claims.yaml: claim 'items_counted' reads results/toy/table_missing.csv, which no rule"
            " of toy writes") in message
