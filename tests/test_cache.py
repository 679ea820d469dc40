"""The model-call cache: reruns are free, a SIGKILL loses nothing answered, writers can share it."""
import os
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

from papers.core.cache import CALL_LOG, CachedModel, CallCache, call_key
from papers.core.llm.types import EmbedRequest, GenerateRequest, Sampling, ScoreRequest, user
from tests.fakes import FAKE_SPEC, FakeBackend, fake_answer, fake_scores

WORKER = Path(__file__).with_name("cache_worker.py")


def cached(tmp_path, spec=FAKE_SPEC):
    backend = FakeBackend(spec)
    return CachedModel(spec, CallCache(tmp_path / "c.sqlite"), loader=lambda s: backend), backend


def test_second_run_makes_no_model_calls(tmp_path):
    requests = [GenerateRequest(user(f"q{i}")) for i in range(10)]
    scores = [ScoreRequest(user(f"s{i}"), ("a", "bb", "ccc")) for i in range(5)]
    first, backend = cached(tmp_path)
    assert first.generate(requests) == [fake_answer(r) for r in requests]
    assert first.score(scores) == [fake_scores(r) for r in scores]
    assert first.calls == 15
    second, backend2 = cached(tmp_path)
    assert second.generate(requests) == [fake_answer(r) for r in requests]
    assert second.score(scores) == [fake_scores(r) for r in scores]
    assert second.calls == 0 and backend2.requests == 0
    assert second._backend is None  # a fully cached run never even loads the model


def test_identical_requests_in_one_call_are_asked_once(tmp_path):
    model, backend = cached(tmp_path)
    out = model.generate([GenerateRequest(user("same"))] * 5)
    assert out == ["same#0"] * 5 and backend.requests == 1


def test_texts_are_embedded_in_batches_of_similar_length_and_returned_in_call_order(tmp_path):
    texts = ["x" * n for n in (9, 1, 7, 3, 8, 2, 6, 4)]
    backend = FakeBackend(replace(FAKE_SPEC, batch_size=4))
    batches = []
    backend.embed = lambda requests: batches.append([r.input for r in requests]) or [[float(len(r.input)), 1.0]
                                                                                      for r in requests]
    model = CachedModel(backend.spec, CallCache(tmp_path / "c.sqlite"), loader=lambda s: backend)
    assert model.embed([EmbedRequest(t) for t in texts]) == [[float(len(t)), 1.0] for t in texts]
    assert [sorted(map(len, b)) for b in batches] == [[1, 2, 3, 4], [6, 7, 8, 9]]  # padding to the batch's longest


def test_key_covers_model_and_every_output_changing_field():
    base = GenerateRequest(user("x"), Sampling(temperature=0.7, top_p=0.9, seed=1))
    variants = [replace(base, sample_index=1), replace(base, sampling=replace(base.sampling, seed=2)),
                replace(base, sampling=replace(base.sampling, top_p=0.8)),
                replace(base, messages=user("x", system="s"))]
    model = FAKE_SPEC.key()
    keys = {call_key(model, r.key())[0] for r in [base, *variants]}
    assert len(keys) == 5
    other_models = [replace(FAKE_SPEC, revision="2"), replace(FAKE_SPEC, dtype="bfloat16"),
                    replace(FAKE_SPEC, model="other")]
    assert len({call_key(m.key(), base.key())[0] for m in [FAKE_SPEC, *other_models]}) == 4
    # a bf16 answer can depend on its padded batch, so the batch size is keyed (tests/test_cache_key.py)
    assert call_key(replace(FAKE_SPEC, batch_size=99).key(), base.key()) != call_key(model, base.key())
    # greedy decoding ignores top_p and seed
    g1 = GenerateRequest(user("x"), Sampling(temperature=0, top_p=0.5, seed=3))
    g2 = GenerateRequest(user("x"), Sampling(temperature=0, top_p=1.0, seed=9))
    assert call_key(model, g1.key()) == call_key(model, g2.key())


def _rows(path):
    try:
        with sqlite3.connect(path) as db:
            return db.execute("SELECT COUNT(*) FROM calls").fetchone()[0]
    except sqlite3.OperationalError:  # the worker has not created the table yet
        return 0


def test_sigkill_mid_run_loses_nothing_answered(tmp_path):
    db, log = tmp_path / "c.sqlite", tmp_path / "calls.log"
    env = {**os.environ, CALL_LOG: str(log)}
    n = 60
    proc = subprocess.Popen([sys.executable, WORKER, db, "0", str(n), "0.15", "4"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    deadline = time.time() + 60
    while time.time() < deadline:
        if db.exists() and _rows(db) >= 12:
            break
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    stored = _rows(db)
    assert 12 <= stored < n, stored
    with sqlite3.connect(db) as con:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        keys = {k for (k,) in con.execute("SELECT key FROM calls")}
    reported = log.read_text().splitlines()
    assert set(reported) <= keys  # every call reported as answered survived the kill
    rerun = subprocess.run([sys.executable, WORKER, db, "0", str(n), "0", "4"],
                           capture_output=True, text=True, check=True, env=env)
    lines = rerun.stdout.splitlines()
    assert lines[0] == f"calls={n - stored}"  # nothing already answered is asked again
    assert lines[1:] == [f"q{i}#0" for i in range(n)]
    reported = log.read_text().splitlines()
    assert len(reported) == len(set(reported)) == n  # each call answered exactly once over both runs


def test_call_log_lists_each_answered_call_once(tmp_path, monkeypatch):
    requests = [GenerateRequest(user(f"q{i}")) for i in range(10)]
    model, _ = cached(tmp_path)
    model.generate(requests)
    assert not (tmp_path / "calls.log").exists()  # unset: nothing written
    log = tmp_path / "calls.log"
    monkeypatch.setenv(CALL_LOG, str(log))
    more = [GenerateRequest(user(f"q{i}")) for i in range(5, 15)]
    model, _ = cached(tmp_path)
    assert model.generate(more) == [fake_answer(r) for r in more]
    keys = [call_key(FAKE_SPEC.key(), r.key())[0] for r in more[5:]]
    assert log.read_text().splitlines() == keys  # only the cache misses, in the order answered
    cached(tmp_path)[0].generate(more)
    assert log.read_text().splitlines() == keys  # a cached rerun answers nothing


class RacedBackend(FakeBackend):
    """Another process stores its own answer to every request while this one is computing."""

    def __init__(self, spec, cache):
        super().__init__(spec)
        self.cache = cache

    def generate(self, requests):
        self.cache.put_many([(call_key(self.spec.key(), r.key())[0], "{}", "theirs") for r in requests])
        return super().generate(requests)


def test_the_stored_answer_wins_a_race(tmp_path):
    cache = CallCache(tmp_path / "c.sqlite")
    model = CachedModel(FAKE_SPEC, cache, loader=lambda s: RacedBackend(s, cache))
    requests = [GenerateRequest(user(f"q{i}")) for i in range(6)]
    # This run uses what a rerun will read from the cache, not its own answer that lost the race.
    assert model.generate(requests) == ["theirs"] * 6
    assert cached(tmp_path)[0].generate(requests) == ["theirs"] * 6


def test_two_processes_writing_at_once_do_not_corrupt(tmp_path):
    db = tmp_path / "c.sqlite"
    procs = [subprocess.Popen([sys.executable, WORKER, db, str(a), str(b), "0", "1"],
                              stdout=subprocess.PIPE, text=True)
             for a, b in [(0, 300), (150, 450)]]
    outs = [p.communicate(timeout=300)[0].splitlines() for p in procs]
    assert all(p.returncode == 0 for p in procs)
    assert outs[0][1:] == [f"q{i}#0" for i in range(0, 300)]
    assert outs[1][1:] == [f"q{i}#0" for i in range(150, 450)]
    with sqlite3.connect(db) as con:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert con.execute("SELECT COUNT(*) FROM calls").fetchone()[0] == 450
