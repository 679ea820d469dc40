"""A module's cold result does not depend on which other targets ran in the same run.

An outside review found paper 3's numbers differ between `snakemake demo_safetybench_all` and the
whole DAG from the same empty cache: requests shared between modules were first answered in other
batches, and a bf16 answer depends on its batchmates' padding. The mini registry runs in float32, where
it does not; scoring runs one request at a time. This test runs one
module alone from an empty cache and compares its files with the same module's in the whole tiny DAG
(the session fixture `dag_run`).
"""
from __future__ import annotations

import pytest

from tests.dag import assert_same_results, link_work, result_digests, snakemake

pytestmark = pytest.mark.slow
MODULE = "demo_safetybench"


def test_a_module_alone_writes_what_it_writes_in_the_whole_dag(dag_run, tmp_path):
    work = link_work(tmp_path / "alone")
    snakemake(work, f"{MODULE}_all")
    prefix = f"{MODULE}/"
    alone = {p: d for p, d in result_digests(work).items() if p.startswith(prefix)}
    whole = {p: d for p, d in dag_run.digests.items() if p.startswith(prefix)}
    # The manifest records the code and config, the same in both; it is compared like every file.
    assert alone, f"the {MODULE}_all run wrote nothing under results/{prefix}"
    assert_same_results(whole, alone, f"results/{prefix} of `snakemake {MODULE}_all` alone")
