"""The one interface every model backend implements, the map of backends, and a model's identity.

A backend answers *lists* of requests (llm/types.py), so it controls batching:
- generate(requests) -> list[str]: the generated text of each request;
- score(requests) -> list[list[float]]: per request, the summed log-probability of each option;
- embed(requests) -> list[list[float]]: per request, one vector;
- classify(requests) -> list[list[float]]: per request, the log-probability of each named label.
A backend that cannot do one of them says so with a clear error (Backend's defaults).

Adding a backend touches one place: BACKENDS below (its module, class, implementation number and the
options its registry entry may set).
"""
from __future__ import annotations

import abc
import functools
import hashlib
import importlib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Sequence

from papers.core.io import UserError

from .types import ClassifyRequest, EmbedRequest, GenerateRequest, ScoreRequest

# What may go in a registry entry's `options`, per backend. The vLLM engine's keyword arguments are
# passed to LLM() as they are (never trust_remote_code: DESIGN.md).
VLLM_ENGINE_OPTIONS = ("max_model_len", "gpu_memory_utilization", "kv_cache_memory_bytes", "enforce_eager",
                       "tensor_parallel_size", "block_size", "max_num_seqs", "max_num_batched_tokens",
                       "quantization", "cpu_offload_gb", "max_lora_rank")


@dataclass(frozen=True)
class BackendInfo:
    module: str                  # imported only when the backend is loaded: each pulls heavy packages
    cls: str
    impl: int                    # bump when the answer to the same request changes (a new sampling
                                 # scheme, a tokenisation fix): part of every cache key
    options: tuple[str, ...]     # the keys spec.options may hold; any other is a config error
    keys_weights: bool = False   # a local model directory's weights enter the key by their sha256: a model
                                 # trained in the DAG changes at the same path and revision


BACKENDS = {
    # text or vision (hf_vision.py)
    "hf": BackendInfo("papers.core.llm.hf", "load_hf", 3, ("generate_dtype", "mixed_adapter_batches")),
    "vllm": BackendInfo("papers.core.llm.vllm_backend", "VLLMBackend", 2,
                        (*VLLM_ENGINE_OPTIONS, "engine_args", "seed")),
    "openai": BackendInfo("papers.core.llm.openai_backend", "OpenAIBackend", 1,
                          ("base_url", "api_key_env", "tokenizer", "concurrency", "timeout", "max_retries",
                           "score_by_answer")),
    "sentence-transformers": BackendInfo("papers.core.llm.sentence_backend", "SentenceTransformersBackend", 1,
                                         ()),
    "open_clip": BackendInfo("papers.core.llm.clip_backend", "OpenCLIPBackend", 1, ("pretrained",),
                             keys_weights=True),
    "hf-classifier": BackendInfo("papers.core.llm.classifier_backend", "SequenceClassifierBackend", 1,
                                 ("max_length",)),
}

# Registry fields that cannot change an answer, left out of the cache key (every other field of an
# entry, options included, is in it: tests/test_cache_key.py walks them all).
NOT_IN_KEY = {
    "timeout": "how long the client waits for a server",
    "max_retries": "how often the client retries a failed call",
    "concurrency": "how many calls the client has in flight",
    "api_key_env": "the name of the variable that holds the API key",
    "gpus": "what a SLURM job asks for; the engine's tensor_parallel_size is an option, and keyed",
    "mem_mb": "what a SLURM job asks for",
    "runtime": "what a SLURM job asks for",
}


DEFAULT_ADAPTER = "default"  # the name the entry's `adapter` goes by; `adapters` may not reuse it


class ModelConfigError(UserError, ValueError):
    """A registry entry that cannot describe a model (unknown backend, unknown option)."""


@dataclass(frozen=True)
class ModelSpec:
    """One entry of the config's model registry: which model plays a role, and how it is run."""

    backend: str                 # a key of BACKENDS
    model: str                   # local path (hf, vllm) or served model id (openai)
    revision: str = "local"      # commit or tag of the weights; part of every cache key
    dtype: str = "float32"
    batch_size: int = 16
    chat_template: str = "auto"  # auto: the tokenizer's own; plain: "User: ...\nAssistant:" text
    options: dict = field(default_factory=dict)  # backend-specific (BACKENDS[backend].options)
    adapter: str = ""            # a peft LoRA adapter directory applied to every request naming none
    adapters: dict = field(default_factory=dict)  # name -> adapter directory, chosen per request

    def __post_init__(self):
        if self.backend not in BACKENDS:
            raise ModelConfigError(f"model {self.model!r}: unknown backend {self.backend!r}; "
                                   f"known: {', '.join(BACKENDS)}")
        unknown = sorted(set(self.options) - set(BACKENDS[self.backend].options))
        if unknown:
            allowed = ", ".join(BACKENDS[self.backend].options) or "none"
            raise ModelConfigError(f"model {self.model!r}: unknown option(s) {', '.join(unknown)} for the "
                                   f"{self.backend} backend (allowed: {allowed})")
        if DEFAULT_ADAPTER in self.adapters:
            raise ModelConfigError(f"model {self.model!r}: adapters may not be named {DEFAULT_ADAPTER!r}, the "
                                   "name of the entry's `adapter`")

    def key(self) -> dict:
        """Identity of the model for the cache: every field but those NOT_IN_KEY and the adapter
        directories (a request's adapter enters its key as the adapter's weights, `adapter_key`)."""
        key = {"impl": BACKENDS[self.backend].impl}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in ("adapter", "adapters"):
                continue
            if f.name == "options":
                value = {k: v for k, v in value.items() if k not in NOT_IN_KEY}
                if not value:
                    continue  # an entry without options keys as it did before options were keyed
            key[f.name] = value
        if Path(self.model).is_dir() and (BACKENDS[self.backend].keys_weights or trained_in_dag(self.model)):
            key["weights_sha256"] = weights_digest(self.model)
        if self.adapter:
            # The adapter's weights, not its path: a retrained adapter at the same path is a new model.
            key["adapter_sha256"] = adapter_digest(self.adapter)
        return key

    def adapter_path(self, name: str) -> str:
        if name not in self.adapters:
            known = ", ".join(self.adapters) or "none"
            raise ModelConfigError(f"model {self.model!r} has no adapter named {name!r} (known: {known})")
        return self.adapters[name]

    def adapter_key(self, name: str) -> dict:
        """What a request naming adapter `name` adds to its cache key."""
        return {"adapter_sha256": adapter_digest(self.adapter_path(name))}

    @classmethod
    def from_config(cls, entry: dict) -> "ModelSpec":
        if not isinstance(entry, dict):
            raise ModelConfigError(f"a registry entry must be a mapping, got {type(entry).__name__}")
        plain = ("backend", "model", "revision", "dtype", "batch_size", "chat_template", "adapter")
        known = {k: entry[k] for k in plain if k in entry}
        scheduler = {"gpus", "mem_mb", "runtime"}  # what a SLURM job asks for; no model sees it
        other = sorted(set(entry) - set(plain) - scheduler - {"options", "adapters"})
        if other:
            raise ModelConfigError(f"model {entry.get('model')!r}: unknown registry field(s) {', '.join(other)}")
        return cls(**known, options=dict(entry.get("options", {})), adapters=dict(entry.get("adapters", {})))


ADAPTER_WEIGHTS = "adapter_model.safetensors"
TRAINING_RECORD = "training.json"  # what every model trained in the DAG writes beside its weights


def trained_in_dag(directory: str) -> bool:
    """A model directory written by a training step (the mini CLIP, the mini LVLM): it changes at the
    same path and revision, so its weights enter the cache key whatever its backend."""
    return (Path(directory) / TRAINING_RECORD).is_file()


@functools.lru_cache(maxsize=None)
def adapter_digest(directory: str) -> str:
    path = Path(directory) / ADAPTER_WEIGHTS
    if not path.is_file():
        raise FileNotFoundError(f"{directory}: no {ADAPTER_WEIGHTS}; is this a peft LoRA adapter directory?")
    return hashlib.sha256(path.read_bytes()).hexdigest()


def weights_digest(directory: str) -> str:
    """The sha256 of a model directory's weights (its *.safetensors files, by name), cached per file
    state so a retrained model is digested again."""
    files = sorted(Path(directory).glob("*.safetensors"))
    if not files:
        raise FileNotFoundError(f"{directory}: no *.safetensors weights; is this a model directory?")
    return _files_digest(tuple((str(f), f.stat().st_mtime_ns, f.stat().st_size) for f in files))


@functools.lru_cache(maxsize=None)
def _files_digest(files: tuple) -> str:
    h = hashlib.sha256()
    for path, _, _ in files:
        h.update(Path(path).name.encode() + b"\0" + hashlib.sha256(Path(path).read_bytes()).digest())
    return h.hexdigest()


class Backend(abc.ABC):
    """A loaded model. Subclasses implement what their models can do."""

    def __init__(self, spec: ModelSpec):
        self.spec = spec

    def _cannot(self, what: str):
        raise NotImplementedError(f"model {self.spec.model!r} ({self.spec.backend} backend) cannot {what}")

    def generate(self, requests: Sequence[GenerateRequest]) -> list[str]:
        self._cannot("generate text")

    def score(self, requests: Sequence[ScoreRequest]) -> list[list[float]]:
        self._cannot("score options")

    def embed(self, requests: Sequence[EmbedRequest]) -> list[list[float]]:
        self._cannot("embed inputs")

    def classify(self, requests: Sequence[ClassifyRequest]) -> list[list[float]]:
        self._cannot("classify text (it is not a sequence classifier)")

    def close(self) -> None:
        """Release the model (servers, GPU memory). Default: nothing to do."""


def load_backend(spec: ModelSpec) -> Backend:
    info = BACKENDS[spec.backend]  # ModelSpec checked the name
    return getattr(importlib.import_module(info.module), info.cls)(spec)
