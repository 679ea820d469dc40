"""Determinism and crash safety of the tiny DAG, with the real models.

- Determinism: the run below, from an empty cache, ends with results/ byte-identical to the session's
  clean run (tests/dag.py EXCLUDED names the parts that may differ, and why) and the same cache rows.
  (A second clean run used to check this on its own; on a 2-core machine it cost a whole DAG run.)
- A run killed with SIGKILL (Snakemake and all its jobs: the whole process group) at seeded random
  points, then rerun with what a user types (`snakemake --unlock`, as the lock error says, then
  `snakemake --rerun-incomplete`), ends with the results/ of an uninterrupted run; and after each
  kill, every output in sight already has its final bytes (outputs are renamed into place whole).
- No model call that had been answered is asked again. PLURALIGN_CALL_LOG (papers/core/cache.py)
  makes every job append the key of each call a backend answered, once it is committed: no key may
  appear twice over the killed runs and the rerun, and each key logged before a kill must be in the
  cache right after it.

The reference run is the session fixture `dag_run` (tests/conftest.py), shared with test_e2e.py.
The kills are chained in one work directory (each rerun is killed in turn, the last one finishes),
so KILLS crash points cost about one DAG run. PLURALIGN_CRASH_SEED draws other kill points.
"""
from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest

from papers.core.cache import CALL_LOG
from tests.dag import (assert_same_results, cache_differences, cache_rows, command, differences, link_work,
                       result_digests, snakemake)

pytestmark = pytest.mark.slow
KILLS = 3
SEED = int(os.environ.get("PLURALIGN_CRASH_SEED", "1"))
# Where each run is killed: once this fraction of its jobs is done, and then this many seconds into
# whatever runs next (loading a model, answering a batch, writing an output). Progress, not wall
# time, so a slower or faster machine kills at the same points of the DAG.
FRACTION_DONE = (0.0, 0.5)
DELAY_S = (0.0, 20.0)


def answered(log: Path) -> list[str]:
    return log.read_text().splitlines() if log.exists() else []


def repeated(keys: list[str]) -> list[str]:
    return [k for k, n in Counter(keys).items() if n > 1]


def kill_group(leader: subprocess.Popen) -> None:
    """SIGKILL every process of the leader's group, and wait until none is left to write anything."""
    pgid = leader.pid
    os.killpg(pgid, signal.SIGKILL)
    leader.wait()  # reaped here; the orphaned jobs are reaped by init
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    raise AssertionError(f"process group {pgid} still alive 30 s after SIGKILL")


def jobs_done(output: str) -> tuple[int, int] | None:
    """(jobs done, jobs to do) in this invocation, once Snakemake has printed its job stats."""
    total = re.search(r"^total\s+(\d+)$", output, re.M)
    done = re.findall(r"^(\d+) of \d+ steps", output, re.M)
    return (int(done[-1]) if done else 0, int(total.group(1))) if total else None


def run_until_killed(work: Path, env: dict, out: Path, fraction: float, delay: float) -> bool:
    """Run the DAG (Snakemake in a new process group, which its jobs join) and SIGKILL the whole
    group `delay` seconds after `fraction` of its jobs are done; False if it ended by itself first.
    Snakemake's output goes to `out`."""
    with open(out, "w") as log:
        proc = subprocess.Popen(command("--cores", "2", "--rerun-incomplete"), cwd=work, env=env, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
    while proc.poll() is None:
        progress = jobs_done(out.read_text())
        if progress and progress[0] >= int(fraction * progress[1]):
            try:
                proc.wait(timeout=delay)
            except subprocess.TimeoutExpired:
                kill_group(proc)
                return True
        time.sleep(0.2)
    return False


def running_jobs(output: str) -> list[str]:
    """The rules Snakemake had started and not finished, from its output."""
    started = {jobid: rule for rule, jobid in re.findall(r"^(?:local)?rule (\w+):\n(?:\s.*\n)*?\s+jobid: (\d+)",
                                                         output, re.M)}
    finished = set(re.findall(r"Finished jobid: (\d+)", output))
    return sorted(rule for jobid, rule in started.items() if jobid not in finished)


def test_killed_runs_resume_to_identical_results(dag_run, tmp_path):
    work = link_work(tmp_path / "killed")
    log = tmp_path / "calls.log"
    env = {**os.environ, CALL_LOG: str(log)}
    rng = random.Random(SEED)
    for kill in range(KILLS):
        fraction, delay = rng.uniform(*FRACTION_DONE), rng.uniform(*DELAY_S)
        out = tmp_path / f"run{kill}.out"
        if kill:
            snakemake(work, "--unlock")
        killed = run_until_killed(work, env, out, fraction, delay)
        output = out.read_text()
        assert killed, f"kill {kill}: the run ended before it could be killed:\n{output[-3000:]}"
        print(f"kill {kill}: {delay:.1f} s after {jobs_done(output)[0]} of {jobs_done(output)[1]} jobs were done;"
              f" running: {', '.join(running_jobs(output)) or 'nothing'}")
        keys, rows = answered(log), cache_rows(work)
        lost = set(keys) - rows.keys()
        assert not lost, f"kill {kill}: {len(lost)} answered call(s) not in the cache after the kill"
        # Outputs are renamed into place whole: whatever is visible already has its final bytes.
        visible = {p: d for p, d in result_digests(work).items() if not any(s.startswith(".") for s in Path(p).parts)}
        torn = [d for d in differences(dag_run.digests, visible) if not d.endswith(": missing")]
        assert not torn, f"kill {kill}: outputs that are not the reference's:\n" + "\n".join(torn)
    snakemake(work, "--unlock")
    snakemake(work, "--rerun-incomplete", env=env)
    assert_same_results(dag_run.digests, result_digests(work), f"the run killed {KILLS} times and resumed")
    rows = cache_rows(work)
    assert not cache_differences(dag_run.cache, rows), "\n".join(cache_differences(dag_run.cache, rows))
    keys = answered(log)
    assert not repeated(keys), f"{len(repeated(keys))} answered call(s) asked again after a kill"
    assert set(keys) <= rows.keys()  # a kill between a batch's commit and its log line leaves a row unlogged
