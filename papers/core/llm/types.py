"""Requests to a language model, as frozen (hashable, serialisable) dataclasses.

A chat is a tuple of (role, content) pairs. Every backend answers lists of these requests, so the
backend controls batching (the lm-evaluation-harness shape).
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field

Chat = tuple[tuple[str, str], ...]

ROLES = ("system", "user", "assistant")


def chat(*turns: tuple[str, str]) -> Chat:
    """Build a chat, checking roles: chat(("system", "..."), ("user", "..."))."""
    for role, content in turns:
        if role not in ROLES:
            raise ValueError(f"unknown chat role {role!r}; expected one of {ROLES}")
        if not isinstance(content, str):
            raise TypeError(f"chat content must be str, got {type(content).__name__}")
    return tuple((r, c) for r, c in turns)


def user(text: str, system: str | None = None) -> Chat:
    """The common case: one user turn, optionally after a system turn."""
    return chat(("system", system), ("user", text)) if system else chat(("user", text))


@dataclass(frozen=True)
class Sampling:
    """Decoding settings. temperature 0 means greedy (and then top_p and seed do not matter)."""

    temperature: float = 0.0
    top_p: float = 1.0
    max_new_tokens: int = 128
    seed: int = 0

    @property
    def greedy(self) -> bool:
        return self.temperature <= 0.0

    def key(self) -> dict:
        """The fields that can change the output: greedy decoding ignores top_p and seed."""
        if self.greedy:
            return {"temperature": 0.0, "max_new_tokens": self.max_new_tokens}
        return asdict(self)


@dataclass(frozen=True)
class GenerateRequest:
    """Generate one continuation of `messages`; `sample_index` tells repeated samples apart."""

    messages: Chat
    sampling: Sampling = field(default_factory=Sampling)
    sample_index: int = 0

    def key(self) -> dict:
        return {"kind": "generate", "messages": [list(m) for m in self.messages],
                "sampling": self.sampling.key(), "sample_index": self.sample_index}


def request_seed(request: GenerateRequest) -> int:
    """A 31-bit seed from the config seed, the sample index and the prompt: every backend samples a
    request from its own seed, so an answer does not depend on the batch it was computed in, and
    different prompts do not share one random stream."""
    blob = json.dumps([request.sampling.seed, request.sample_index,
                       [list(m) for m in request.messages]], sort_keys=True).encode()
    return int.from_bytes(hashlib.sha256(blob).digest()[:4], "little") & 0x7FFFFFFF


@dataclass(frozen=True)
class ScoreRequest:
    """Log-likelihood of each option as the assistant's reply to `messages`.

    Options are tokenized on their own (no special tokens) and appended to the rendered prompt,
    so every backend and every scoring method sees the same token ids.
    """

    messages: Chat
    options: tuple[str, ...]

    def __post_init__(self):
        if not self.options:
            raise ValueError("ScoreRequest needs at least one option")

    def key(self) -> dict:
        return {"kind": "score", "messages": [list(m) for m in self.messages],
                "options": list(self.options)}
