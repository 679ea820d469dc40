"""The tiny DAG through SLURM (profiles/slurm) gives the same outputs as a local run.

Needs a running cluster: scripts/slurm_local.sh starts a one-node one on this machine (CI does).
Skipped where no SLURM is reachable, so a laptop without it still runs every other test.
"""
import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_e2e import LINKED, ROOT, SNAKEMAKE

pytestmark = pytest.mark.slow


def cluster_up() -> bool:
    if not shutil.which("sinfo"):
        return False
    states = subprocess.run(["sinfo", "-h", "-o", "%T"], capture_output=True, text=True).stdout
    return any(s in states for s in ("idle", "mixed", "allocated"))


def run_dag(work: Path, *args: str) -> None:
    for name in LINKED:
        (work / name).symlink_to(ROOT / name)
    result = subprocess.run([SNAKEMAKE, "--configfile", "tests/config/test.yaml", *args], cwd=work,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-5000:]


def digests(work: Path) -> dict[str, str]:
    """Every table, figure and data file of the modules, adapters and predictions included."""
    out = work / "results"
    return {str(p.relative_to(out)): hashlib.sha256(p.read_bytes()).hexdigest()
            for module in ("construct", "misalign_bench", "misalign_profile") for p in sorted((out / module).rglob("*"))
            if p.suffix in (".csv", ".md", ".tex", ".parquet", ".png", ".pdf", ".safetensors")}


@pytest.mark.skipif(not cluster_up(), reason="no SLURM cluster (sudo scripts/slurm_local.sh starts one)")
def test_slurm_run_equals_local_run(tmp_path):
    local, cluster = tmp_path / "local", tmp_path / "slurm"
    local.mkdir(), cluster.mkdir()
    run_dag(local, "--cores", "2")
    run_dag(cluster, "--profile", str(ROOT / "profiles/slurm"))
    log = "".join(p.read_text() for p in (cluster / ".snakemake" / "log").glob("*.log"))
    assert log.count("has been submitted with SLURM jobid") >= 6  # every rule ran as a SLURM job
    assert digests(cluster) == digests(local)
    assert len(digests(local)) >= 50
