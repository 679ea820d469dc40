"""Two modules of the tiny DAG through SLURM (profiles/slurm) give the same outputs as a local run.

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


# Two modules that between them have every kind of job (the shared construction's classification and
# expansion, fan-out model steps, the vision core's rendering and CLIP training, the embedders and the
# ledger-free results steps), not the whole DAG: on 2 cores each DAG run costs a quarter of an hour.
TARGETS = ("demo_safetybench_all", "missing_modality_all")


@pytest.mark.skipif(not cluster_up(), reason="no SLURM cluster (sudo scripts/slurm_local.sh starts one)")
def test_slurm_run_equals_local_run(dag_run, tmp_path):
    cluster = link_work(tmp_path / "slurm")
    run(cluster, "--profile", str(ROOT / "profiles/slurm"), *TARGETS)
    log = "".join(p.read_text() for p in (cluster / ".snakemake" / "log").glob("*.log"))
    assert log.count("has been submitted with SLURM jobid") >= 6  # every rule ran as a SLURM job
    # Every output but logs, benchmarks and the cache file (tests/dag.py EXCLUDED says why), against the
    # same files of the local run the end-to-end tests share (tests/conftest.py dag_run).
    got = result_digests(cluster)
    modules = [p for p in dag_run.digests if p.startswith(("demo_safetybench/", "missing_modality/"))]
    assert len(modules) >= 20 and set(modules) <= got.keys(), "the SLURM run lacks some of the two modules' outputs"
    assert_same_results({p: dag_run.digests.get(p, "absent") for p in got}, got, "the SLURM run")
