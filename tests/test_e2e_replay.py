"""Replay of the tiny DAG from a bundle (issue 21, "Replay without GPUs"), with the real models.

The session's cold run (fixture `dag_run`) is bundled (papers.core.replay: its call cache and every
model trained in the DAG), the bundle restored into a fresh working folder that has no embedded
models at all (resources/ empty: nothing there to load), and the DAG run there with replay on. Then:
- every result file is byte-identical to the cold run's (tests/dag.py EXCLUDED: logs, timings, the
  cache file, whose rows are compared instead: replay adds none);
- no backend answered a call (PLURALIGN_CALL_LOG stays empty), no training rule and no model
  materialisation ran;
- a call the cache lacks stops its step with the one message naming the model and the request.
"""
from __future__ import annotations

import os
import re
import sqlite3
import subprocess

import pytest

from papers.core import replay
from papers.core.cache import CALL_LOG
from tests.dag import CACHE, assert_same_results, cache_rows, command, link_work, result_digests, snakemake

pytestmark = pytest.mark.slow
REPLAY = ("--config", "replay=True")  # last: --config takes every argument after it


def rules_run(output: str) -> set[str]:
    return set(re.findall(r"^(?:local)?rule (\w+):$", output, re.M))


def test_replay_from_a_bundle_is_byte_identical_and_loads_no_model(dag_run, tmp_path):
    bundle = tmp_path / "bundle"
    manifest = replay.bundle(dag_run.work, bundle)
    assert CACHE in manifest["files"]
    trained = manifest["trained_models"]
    assert any("mini-clip" in m for m in trained) and any("mini-lvlm" in m for m in trained)
    assert any("/adapters/" in m for m in trained)

    work = link_work(tmp_path / "replayed", without=("resources",))
    replay.restore(bundle, work)
    log = tmp_path / "calls.log"
    output = snakemake(work, *REPLAY, env={**os.environ, CALL_LOG: str(log)})

    assert_same_results(dag_run.digests, result_digests(work), "the replay")
    assert cache_rows(work) == dag_run.cache
    assert not log.exists(), f"replay asked a backend {len(log.read_text().splitlines())} call(s)"
    ran = rules_run(output)
    assert ran, output[-3000:]
    assert not {r for r in ran if "_train_" in r or r == "models_materialise"}, sorted(ran)

    # A call the cache lacks: its step stops with the message alone, naming model and request.
    db = sqlite3.connect(work / CACHE)
    with db:
        db.execute("DELETE FROM calls")
    db.close()
    target = sorted((work / "results/persodpo/candidates").glob("*.parquet"))[0]
    failed = subprocess.run(command("--cores", "1", str(target.relative_to(work)), "--forcerun",
                                    "persodpo_generate_candidates", *REPLAY),
                            cwd=work, capture_output=True, text=True)
    assert failed.returncode != 0, failed.stdout[-2000:]
    step_log = (work / f"results/logs/persodpo/generate_candidates_{target.stem}.log").read_text()
    assert "Traceback" not in step_log, step_log[-3000:]
    assert re.search(r"^replay: results/cache/llm_calls\.sqlite has no answer for \d+ call\(s\) of model "
                     r"'resources/models/[^']+' \(revision '[^']+', backend hf\); the first: \{.*\"messages\"",
                     step_log, re.M), step_log[-3000:]
