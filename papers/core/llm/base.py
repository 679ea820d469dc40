"""The one interface every language-model backend implements, and the registry of backends.

A backend answers *lists* of requests:
- generate(requests) -> list[str]: the generated text of each request;
- score(requests) -> list[list[float]]: per request, the summed log-probability of each option.
Backends register themselves by name with @register("name").
"""
from __future__ import annotations

import abc
import functools
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

from .types import GenerateRequest, ScoreRequest


# Bump a backend's number when its answer to the same request changes (a new sampling scheme, a
# tokenisation fix): it is part of every cache key, so old answers are never served for new code.
BACKEND_IMPL = {"hf": 3, "vllm": 2, "openai": 1}


@dataclass(frozen=True)
class ModelSpec:
    """One entry of the config's model registry: which model plays a role, and how it is run."""

    backend: str                 # hf | vllm | openai
    model: str                   # local path (hf, vllm) or served model id (openai)
    revision: str = "local"      # commit or tag of the weights; part of every cache key
    dtype: str = "float32"
    batch_size: int = 16
    chat_template: str = "auto"  # auto: the tokenizer's own; plain: "User: ...\nAssistant:" text
    options: dict = field(default_factory=dict)  # backend-specific (base_url, api_key_env, ...)
    adapter: str = ""            # a peft LoRA adapter directory on top of the model (hf backend)

    def key(self) -> dict:
        """Identity of the model for the cache: what can change an answer, nothing else."""
        key = {"backend": self.backend, "impl": BACKEND_IMPL.get(self.backend, 1), "model": self.model,
               "revision": self.revision, "dtype": self.dtype, "chat_template": self.chat_template}
        if self.adapter:
            # The adapter's weights, not its path: a retrained adapter at the same path is a new model.
            key["adapter_sha256"] = adapter_digest(self.adapter)
        return key

    @classmethod
    def from_config(cls, entry: dict) -> "ModelSpec":
        known = {k: entry[k] for k in ("backend", "model", "revision", "dtype", "batch_size",
                                       "chat_template", "adapter") if k in entry}
        return cls(**known, options=dict(entry.get("options", {})))


ADAPTER_WEIGHTS = "adapter_model.safetensors"


@functools.lru_cache(maxsize=None)
def adapter_digest(directory: str) -> str:
    path = Path(directory) / ADAPTER_WEIGHTS
    if not path.is_file():
        raise FileNotFoundError(f"{directory}: no {ADAPTER_WEIGHTS}; is this a peft LoRA adapter directory?")
    return hashlib.sha256(path.read_bytes()).hexdigest()


class Backend(abc.ABC):
    """A loaded model. Subclasses implement the two batch methods."""

    def __init__(self, spec: ModelSpec):
        self.spec = spec

    @abc.abstractmethod
    def generate(self, requests: Sequence[GenerateRequest]) -> list[str]: ...

    @abc.abstractmethod
    def score(self, requests: Sequence[ScoreRequest]) -> list[list[float]]: ...

    def close(self) -> None:
        """Release the model (servers, GPU memory). Default: nothing to do."""


_BACKENDS: dict[str, Callable[[ModelSpec], Backend]] = {}


def register(name: str):
    def wrap(cls):
        _BACKENDS[name] = cls
        return cls
    return wrap


def load_backend(spec: ModelSpec) -> Backend:
    if spec.adapter and spec.backend != "hf":
        raise ValueError(f"{spec.model}: LoRA adapters are served by the hf backend only, not {spec.backend!r}")
    # Import lazily: each backend pulls heavy, optional dependencies.
    if spec.backend == "hf":
        from . import hf  # noqa: F401
    elif spec.backend == "vllm":
        from . import vllm_backend  # noqa: F401
    elif spec.backend == "openai":
        from . import openai_backend  # noqa: F401
    if spec.backend not in _BACKENDS:
        raise ValueError(f"unknown backend {spec.backend!r}; known: hf, vllm, openai")
    return _BACKENDS[spec.backend](spec)
