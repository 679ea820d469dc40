"""The GPU check (papers/core/gpu_check.py, gpu_probe.py) without a GPU or vllm: which models it picks,
what it substitutes and skips, the shape check, the table, and probes with tests/fakes.py's backend."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from papers.core import gpu_check, gpu_probe
from papers.core.gpu_check import Model
from papers.core.llm.base import ModelSpec
from papers.core.llm.types import EmbedRequest, GenerateRequest, ScoreRequest, user
from tests.fakes import FakeBackend

VLLM_7B = {"backend": "vllm", "model": "org/Qwen2-7B-Instruct", "revision": "abc", "dtype": "bfloat16"}
VLLM_30B = {"backend": "vllm", "model": "org/Qwen3-30B-A3B-Instruct", "revision": "abc", "dtype": "bfloat16"}
HF_HALF = {"backend": "hf", "model": "org/Qwen2-0.5B-Instruct", "revision": "abc", "dtype": "bfloat16"}
LLAVA = {"backend": "hf", "model": "llava-hf/llava-1.5-7b-hf", "revision": "abc", "dtype": "float16"}
GPT = {"backend": "openai", "model": "gpt-4o", "revision": "x", "dtype": "api",
       "options": {"api_key_env": "PLURALIGN_TEST_NO_SUCH_KEY"}}
FAKE = {"backend": "fake", "model": "fake-model", "revision": "1", "batch_size": 3}


def job(rule, *named):
    return {"rule": rule, "models": [{"name": name, "entry": entry} for name, entry in named]}


JOBS = [job("detect", ("qwen2-7b", VLLM_7B), ("qwen3-30b", VLLM_30B)),
        job("generate", ("qwen2-7b", VLLM_7B)),
        job("train", ("qwen2-0.5b", HF_HALF)),
        job("evaluate", ("qwen2-0.5b", {**HF_HALF, "adapter": "results/x/adapter"})),
        job("answer_memes", ("llava-1.5-7b", LLAVA), ("gpt-4o", GPT)),
        job("count", ("", {"backend": "fake", "model": "resources/models/some-embedder", "revision": "1"}))]


def test_models_are_grouped_by_registry_entry_with_their_steps():
    models = {m.name: m for m in gpu_check.models_from_jobs(JOBS, {"llava-1.5-7b", "gpt-4o"})}
    assert set(models) == {"qwen2-7b", "qwen3-30b", "qwen2-0.5b", "llava-1.5-7b", "gpt-4o", "some-embedder"}
    assert models["qwen2-7b"].steps == ["detect", "generate"]
    assert models["qwen2-0.5b"].steps == ["evaluate", "train"]  # the adapter is left off: one base model
    assert "adapter" not in models["qwen2-0.5b"].entry
    assert models["llava-1.5-7b"].modality == "vision" and models["qwen2-7b"].modality == "text"
    assert gpu_check.KINDS[models["llava-1.5-7b"].modality] == ["generate-image", "score-image"]


@pytest.mark.parametrize("model_id, count", [
    ("Qwen/Qwen2-0.5B-Instruct", 0.5), ("meta-llama/Llama-3.1-8B-Instruct", 8.0),
    ("Qwen/Qwen3-30B-A3B-Instruct-2507", 30.0), ("resources/models/smollm2-135m-instruct", 0.135),
    ("llava-hf/llava-v1.6-mistral-7b-hf", 7.0), ("gpt-4o", None), ("ViT-L-14", None),
    ("microsoft/deberta-large-mnli", None)])
def test_parameter_count_is_read_from_the_name(model_id, count):
    assert gpu_check.parameter_count(model_id) == count


def test_smallest_keeps_one_model_per_backend_and_modality():
    models = gpu_check.models_from_jobs(JOBS, {"llava-1.5-7b"})
    kept = gpu_check.smallest(models)
    assert sorted(m.name for m in kept) == ["gpt-4o", "llava-1.5-7b", "qwen2-0.5b", "qwen2-7b", "some-embedder"]
    tie = [Model("b", {"backend": "vllm", "model": "z/B-7b"}, "text"),
           Model("a", {"backend": "vllm", "model": "a/A-7b"}, "text"),
           Model("n", {"backend": "vllm", "model": "a/no-size"}, "text")]
    assert [m.name for m in gpu_check.smallest(tie)] == ["a"]  # a size beats none; ties by model id


def test_substitution_by_name_model_modality_then_backend(tmp_path):
    models = gpu_check.models_from_jobs(JOBS, {"llava-1.5-7b"})
    smol = {"backend": "fake", "model": "smol", "revision": "1"}
    mapping = {"vllm": smol, "hf:text": {**smol, "batch_size": 2},
               "hf:vision": {**smol, "model": "results/no/such-lvlm", "if_missing": "train it first"},
               "qwen3-30b": {"skip": "too big"}}
    out = {m.name: m for m in gpu_check.substitute(models, mapping)}
    assert out["qwen2-7b"].runs_as == smol and out["qwen2-7b"].stands_for == ["qwen2-7b"]
    assert out["qwen3-30b"].skip == "too big"  # a name wins over the backend
    assert out["qwen2-0.5b"].runs_as["batch_size"] == 2
    assert out["llava-1.5-7b"].skip == "results/no/such-lvlm is missing: train it first"
    assert out["gpt-4o"].runs_as is None  # no key matches: the paper model itself
    # two paper models with one substitute are probed once, for both
    both = gpu_check.substitute(models, {"vllm": smol})
    merged = [m for m in both if m.runs_as == smol]
    assert len(merged) == 1 and merged[0].stands_for == ["qwen2-7b", "qwen3-30b"]
    assert merged[0].steps == ["detect", "generate"]
    with pytest.raises(SystemExit, match="qwen2-7b"):
        gpu_check.substitute(models, {"vllm": {"backend": "vllm", "model": "x", "colour": "red"}})


def test_cpu_substitutes_are_valid_entries():
    mapping = gpu_check.load_substitutes(str(gpu_check.ROOT / "config/gpu_check_cpu.yaml"))
    for key, value in mapping.items():
        if "skip" not in value:
            ModelSpec.from_config({k: v for k, v in value.items() if k != "if_missing"})
    assert {"vllm", "hf:text", "hf:vision", "open_clip", "hf-classifier"} <= set(mapping)


def test_openai_is_skipped_without_its_key(monkeypatch):
    model = Model("gpt-4o", GPT, "vision")
    monkeypatch.delenv("PLURALIGN_TEST_NO_SUCH_KEY", raising=False)
    (skipped,) = gpu_check.openai_skips([model])
    assert "PLURALIGN_TEST_NO_SUCH_KEY is not set" in skipped.skip
    monkeypatch.setenv("PLURALIGN_TEST_NO_SUCH_KEY", "sk-test")
    assert gpu_check.openai_skips([model])[0].skip == ""


def test_only_filters_by_name_or_model_id():
    models = gpu_check.models_from_jobs(JOBS, set())
    assert [m.name for m in gpu_check.only(models, "llava|30B")] == ["llava-1.5-7b", "qwen3-30b"]


# -- the shape check -------------------------------------------------------------------------------
SCORES = [ScoreRequest(user("Yes or no?"), ("Yes", "No"))] * 2


@pytest.mark.parametrize("requests, answers, width, problem", [
    (SCORES, [[-1.0, -2.0], [-0.5, -0.1]], None, ""),
    (SCORES, [[-1.0, -2.0]], None, "1 answers to 2 requests"),
    (SCORES, [[-1.0, -2.0], [-1.0]], None, "request 1: an option-score answer has 1 values for 2 options"),
    (SCORES, [[-1.0, 0.5], [-1.0, -1.0]], None, "request 0: an option's log-probability is above 0"),
    ([GenerateRequest(user("hi"))], [3], None, "request 0: a generated answer must be text, got int"),
    ([EmbedRequest("a"), EmbedRequest("b")], [[0.1, 0.2], [0.1, 0.2]], 3, "request 0: an embedding of width 2, not the model's 3"),
    ([EmbedRequest("a"), EmbedRequest("b")], [[0.1, 0.2], [0.1]], None, "embeddings of mixed widths [1, 2]"),
])
def test_shape_problem(requests, answers, width, problem):
    assert gpu_probe.shape_problem(requests, answers, width) == problem


# -- probes ----------------------------------------------------------------------------------------
class WrongCount(FakeBackend):
    def score(self, requests):
        return super().score(requests)[:-1]


def fake_spec() -> ModelSpec:
    return ModelSpec.from_config(FAKE)


def test_probe_measures_each_kind_and_fails_a_bad_row(tmp_path):
    gpu_check.write_images(tmp_path, 2)
    images = sorted(str(p) for p in tmp_path.glob("*.png"))
    assert len(images) == 2
    result = gpu_probe.probe(fake_spec(), ["generate", "score", "embed-text", "score-image", "classify"], 4,
                             images, load=FakeBackend)
    rows = {row["kind"]: row for row in result["rows"]}
    assert list(rows) == ["load", "generate", "score", "embed-text", "score-image", "classify"]
    assert all(rows[k]["ok"] for k in ("load", "generate", "score", "embed-text", "score-image"))
    assert rows["score"]["items"] == 4 and rows["score"]["memory"] == "RSS" and rows["score"]["peak_mib"] > 0
    assert not rows["classify"]["ok"]
    assert rows["classify"]["problem"].startswith("model 'fake-model', classify requests: NotImplementedError")
    bad = {r["kind"]: r for r in gpu_probe.probe(fake_spec(), ["score"], 4, [], load=WrongCount)["rows"]}
    # batches of the entry's batch_size (3), as the cache asks: each of the two batches lost an answer
    assert bad["score"]["problem"] == "model 'fake-model', score requests: 2 answers to 4 requests"


def test_a_model_left_on_the_cpu_of_a_gpu_machine_fails_its_load_row(monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "max_memory_allocated", lambda: 0)
    rows = gpu_probe.probe(fake_spec(), ["generate"], 2, [], load=FakeBackend)["rows"]
    assert rows[0]["memory"] == "GPU" and not rows[0]["ok"]
    assert rows[0]["problem"] == "model 'fake-model' holds no GPU memory once loaded: its backend runs it on the CPU"
    assert rows[1]["ok"]


def test_requests_of_each_kind_are_distinct(tmp_path):
    gpu_check.write_images(tmp_path, 8)  # as the check writes one per item
    images = sorted(str(p) for p in tmp_path.glob("*.png"))
    for kind in gpu_probe.KINDS:
        requests = gpu_probe.build_requests(kind, 8, images)
        assert len(requests) == 8 and len({json.dumps(r.key(), sort_keys=True) for r in requests}) == 8, kind


def test_a_crashed_or_slow_probe_is_one_failed_row(tmp_path):
    model = Model("fake", FAKE, "text")
    out = tmp_path / "result.json"
    # a fresh process has no fake backend: the probe fails to load it and says so, naming the model
    command = gpu_check.probe_command(model, 2, str(tmp_path), out, sys.executable)
    (row,) = gpu_check.rows_of(model, gpu_check.run_probe(model, command, out, timeout=120))
    assert row["ok"] is False and row["kind"] == "load"
    assert "model 'fake-model'" in row["problem"] and "unknown backend 'fake'" in row["problem"]
    slow = gpu_check.run_probe(model, [sys.executable, "-c", "import time; time.sleep(60)"], tmp_path / "x.json", 1)
    assert slow == {"error": "timed out after 1 s (--timeout)"}
    dead = gpu_check.run_probe(model, [sys.executable, "-c", "print('oom'); raise SystemExit(137)"],
                               tmp_path / "y.json", 60)
    assert "status 137" in dead["error"] and "oom" in dead["error"]


def test_the_check_end_to_end_with_the_fake_backend(tmp_path, monkeypatch):
    jobs = [job("generate", ("fake-a", FAKE)), job("rate", ("fake-a", FAKE), ("gpt-4o", GPT))]
    monkeypatch.setattr(gpu_check, "list_jobs", lambda configfiles: jobs)

    def in_process(model, command, out, timeout):
        kinds = command[command.index("--kinds") + 1].split(",")
        return gpu_probe.probe(ModelSpec.from_config(model.probed), kinds, 2, [], load=FakeBackend)

    monkeypatch.setattr(gpu_check, "run_probe", in_process)
    out = tmp_path / "check.md"
    status = gpu_check.main(["--configfile", str(gpu_check.ROOT / "config/paper.yaml"), "--items", "2",
                             "--out", str(out)])
    assert status == 0
    text = out.read_text()
    assert text.startswith("GPU check, ") and "device: CPU" in text
    assert "| fake-a | (itself) | fake | score | 2 |" in text
    assert "skipped: PLURALIGN_TEST_NO_SUCH_KEY is not set" in text
    rows = json.loads(out.with_suffix(".json").read_text())["rows"]
    assert [r["kind"] for r in rows] == ["load", "generate", "score", "-"]
    assert rows[1]["steps"] == ["generate", "rate"]


def test_table_escapes_and_marks_each_outcome():
    base = {"stands_for": ["m"], "runs_as": "", "backend": "hf", "items": 4, "steps": ["s1", "s2"]}
    rows = [{**base, "kind": "score", "seconds": 1.234, "peak_mib": 10, "memory": "GPU", "ok": True, "problem": ""},
            {**base, "kind": "generate", "seconds": 2.0, "peak_mib": 10, "memory": "GPU", "ok": False,
             "problem": "a|b\nc"},
            {**base, "kind": "-", "seconds": None, "peak_mib": None, "memory": "", "ok": None, "problem": "no key"}]
    lines = gpu_check.markdown("head", rows).splitlines()
    assert lines[0] == "head"
    assert lines[4] == "| m | (itself) | hf | score | 4 | 1.2 | 10 GPU | ok | s1, s2 |"
    assert "FAILED: a\\|b c" in lines[5] and "skipped: no key" in lines[6]
