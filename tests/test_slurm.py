"""The tiny DAG through SLURM (profiles/slurm) gives the same outputs as a local run.

Needs a running cluster: scripts/slurm_local.sh starts a one-node one on this machine (CI does).
Skipped where no SLURM is reachable, so a laptop without it still runs every other test.
"""
import shutil
import subprocess

import pytest

from tests.dag import ROOT, assert_same_results, link_work, result_digests, run

pytestmark = pytest.mark.slow


def cluster_up() -> bool:
    if not shutil.which("sinfo"):
        return False
    states = subprocess.run(["sinfo", "-h", "-o", "%T"], capture_output=True, text=True).stdout
    return any(s in states for s in ("idle", "mixed", "allocated"))


@pytest.mark.skipif(not cluster_up(), reason="no SLURM cluster (sudo scripts/slurm_local.sh starts one)")
def test_slurm_run_equals_local_run(dag_run, tmp_path):
    cluster = link_work(tmp_path / "slurm")
    run(cluster, "--profile", str(ROOT / "profiles/slurm"))
    log = "".join(p.read_text() for p in (cluster / ".snakemake" / "log").glob("*.log"))
    assert log.count("has been submitted with SLURM jobid") >= 6  # every rule ran as a SLURM job
    # Every output but logs, benchmarks and the cache file (tests/dag.py EXCLUDED says why).
    # The local run is the one the end-to-end tests share (tests/conftest.py dag_run).
    assert_same_results(dag_run.digests, result_digests(cluster), "the SLURM run")
    assert len(dag_run.digests) >= 50
