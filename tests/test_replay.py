"""Replay mode (config `replay`): answers from the cache only, no model loaded, no model trained; and
the bundle that carries a run's call cache and trained models to a fresh working folder.
The whole DAG replayed byte for byte is tests/test_e2e_replay.py (slow)."""
import json
import os
import sqlite3
import subprocess
import sys

import pytest

from papers.core import replay
from papers.core.cache import REPLAY, CachedModel, CallCache, ReplayMiss
from papers.core.cli import USER_ERROR_STATUS, run
from papers.core.llm.base import TRAINING_RECORD
from papers.core.llm.types import EmbedRequest, GenerateRequest, user
from tests.fakes import FAKE_SPEC, FakeBackend, fake_answer


def no_loading(spec):
    raise AssertionError(f"replay loaded {spec.model}")


def test_a_hit_is_answered_without_loading(tmp_path):
    requests = [GenerateRequest(user(f"q{i}")) for i in range(5)]
    CachedModel(FAKE_SPEC, CallCache(tmp_path / "c.sqlite"), loader=FakeBackend).generate(requests)
    replayed = CachedModel(FAKE_SPEC, CallCache(tmp_path / "c.sqlite"), loader=no_loading, replay=True)
    assert replayed.generate(requests) == [fake_answer(r) for r in requests]
    assert replayed.calls == 0 and replayed._backend is None


def test_a_miss_names_the_model_and_the_request(tmp_path):
    cache = CallCache(tmp_path / "c.sqlite")
    CachedModel(FAKE_SPEC, cache, loader=FakeBackend).generate([GenerateRequest(user("known"))])
    replayed = CachedModel(FAKE_SPEC, cache, loader=no_loading, replay=True)
    with pytest.raises(ReplayMiss) as err:
        replayed.generate([GenerateRequest(user("known")), GenerateRequest(user("never asked")),
                           GenerateRequest(user("nor this"))])
    message = str(err.value)
    assert "model 'fake-model' (revision '1', backend fake)" in message
    assert "never asked" in message and "nor this" not in message  # the first miss, in call order
    assert "2 call(s)" in message and str(tmp_path / "c.sqlite") in message


def test_a_long_request_is_shortened(tmp_path):
    replayed = CachedModel(FAKE_SPEC, CallCache(tmp_path / "c.sqlite"), loader=no_loading, replay=True)
    with pytest.raises(ReplayMiss, match=r"\.\.\. \(\d+ characters\)") as err:
        replayed.embed([EmbedRequest("word " * 5000)])
    assert len(str(err.value)) < 1000


def test_the_environment_switches_replay_on(tmp_path, monkeypatch):
    monkeypatch.setenv(REPLAY, "1")
    model = CachedModel(FAKE_SPEC, CallCache(tmp_path / "c.sqlite"), loader=no_loading)
    with pytest.raises(ReplayMiss, match="would be loaded"):
        model.backend
    monkeypatch.delenv(REPLAY)
    assert not CachedModel(FAKE_SPEC, CallCache(tmp_path / "c.sqlite"), loader=FakeBackend).replay


def test_a_replayed_step_stops_with_the_message_alone(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(REPLAY, "1")
    from papers.core.cli import open_model

    def step(argv):
        open_model(json.dumps({"backend": "fake", "model": "fake-model"}), str(tmp_path / "none.sqlite"), 1)

    with pytest.raises(SystemExit) as exit_:
        run(step, [])
    assert exit_.value.code == USER_ERROR_STATUS
    assert capsys.readouterr().err.startswith(f"replay: no call cache at {tmp_path / 'none.sqlite'}")


def train_argv(out):
    return ["--memes", "--settings", "{}", "--seed", "1", "--out", *map(str, out)]


def test_a_training_step_in_replay_needs_its_trained_model(tmp_path):
    """The real command line of a training step, as a rule calls it in replay (its inputs empty)."""
    out = tmp_path / "results/vision/models/mini-clip"
    env = {**os.environ, REPLAY: "1"}
    done = subprocess.run([sys.executable, "-m", "papers.core.vision.clip_train", *train_argv([out])],
                          capture_output=True, text=True, env=env)
    assert done.returncode == USER_ERROR_STATUS, done.stderr
    assert done.stderr.strip() == (
        f"replay: the trained model(s) {out} are missing (no {TRAINING_RECORD}); replay does not train: it needs "
        "the trained models of the bundle it replays, restored first (python -m papers.core.replay restore BUNDLE .)")
    assert not out.exists()


def test_a_training_step_in_replay_keeps_a_restored_model(tmp_path, monkeypatch):
    monkeypatch.setenv(REPLAY, "1")
    outs = [tmp_path / "a", tmp_path / "b"]
    for out in outs:
        out.mkdir()
        (out / TRAINING_RECORD).write_text("{}")
    run(lambda argv: pytest.fail("replay trained a model"), train_argv(outs), trains=True)
    (outs[1] / TRAINING_RECORD).unlink()
    with pytest.raises(SystemExit):
        run(lambda argv: pytest.fail("replay trained a model"), train_argv(outs), trains=True)


def finished_run(root):
    """A working folder as a run leaves it: a WAL call cache with uncheckpointed rows, two trained models,
    other results, and a crashed step's hidden staging folder."""
    cache = CallCache(root / replay.DEFAULT_CACHE)
    CachedModel(FAKE_SPEC, cache, loader=FakeBackend).generate([GenerateRequest(user(f"q{i}")) for i in range(3)])
    for model in ("results/vision/models/mini-clip", "results/alignx/adapters/m/sft", "results/x/.staged"):
        (root / model).mkdir(parents=True)
        (root / model / TRAINING_RECORD).write_text(json.dumps({"model": model}))
        (root / model / "adapter_model.safetensors").write_bytes(model.encode())
    (root / "results/alignx/table_main.csv").write_text("a,b\n")
    return cache


def rows(path):
    db = sqlite3.connect(path)
    try:
        return dict(db.execute("SELECT key, response FROM calls"))
    finally:
        db.close()


def test_bundle_and_restore_round_trip(tmp_path):
    run_dir, bundle, work = tmp_path / "run", tmp_path / "bundle", tmp_path / "fresh"
    cache = finished_run(run_dir)  # still open: its rows may be in the WAL alone
    manifest = replay.bundle(run_dir, bundle)
    cache.close()
    assert manifest["trained_models"] == ["results/alignx/adapters/m/sft", "results/vision/models/mini-clip"]
    assert sorted(manifest["files"]) == sorted([replay.DEFAULT_CACHE, *(
        f"{m}/{f}" for m in manifest["trained_models"] for f in (TRAINING_RECORD, "adapter_model.safetensors"))])
    assert json.loads((bundle / replay.MANIFEST).read_text()) == manifest
    replay.restore(bundle, work)
    assert len(rows(work / replay.DEFAULT_CACHE)) == 3
    assert rows(work / replay.DEFAULT_CACHE) == rows(run_dir / replay.DEFAULT_CACHE)
    for model in manifest["trained_models"]:
        for f in (run_dir / model).iterdir():
            assert (work / model / f.name).read_bytes() == f.read_bytes()
    assert not (work / "results/alignx/table_main.csv").exists()
    replay.restore(bundle, work)  # again: the same files are kept


def test_restore_checks_the_manifest_before_copying(tmp_path):
    run_dir, bundle, work = tmp_path / "run", tmp_path / "bundle", tmp_path / "fresh"
    finished_run(run_dir).close()
    replay.bundle(run_dir, bundle)
    damaged = bundle / replay.FILES / "results/vision/models/mini-clip" / TRAINING_RECORD
    damaged.write_text("{}")
    with pytest.raises(replay.BundleError, match=f"{damaged}: sha256 differs"):
        replay.restore(bundle, work)
    assert not work.exists()


def test_restore_never_overwrites_a_different_file(tmp_path):
    run_dir, bundle, work = tmp_path / "run", tmp_path / "bundle", tmp_path / "fresh"
    finished_run(run_dir).close()
    replay.bundle(run_dir, bundle)
    mine = work / "results/vision/models/mini-clip" / TRAINING_RECORD
    mine.parent.mkdir(parents=True)
    mine.write_text("mine")
    with pytest.raises(replay.BundleError, match=f"{mine}: already there"):
        replay.restore(bundle, work)
    assert mine.read_text() == "mine"


def test_bundle_needs_a_finished_run_and_a_new_folder(tmp_path):
    with pytest.raises(replay.BundleError, match="no call cache"):
        replay.bundle(tmp_path, tmp_path / "bundle")
    finished_run(tmp_path / "run").close()
    (tmp_path / "bundle").mkdir()
    with pytest.raises(replay.BundleError, match="already exists"):
        replay.bundle(tmp_path / "run", tmp_path / "bundle")
