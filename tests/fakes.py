"""A deterministic stand-in backend for cache and pipeline tests: answers are functions of the
request, so any answer can be checked, and it can be slowed down to be killed mid-batch."""
from __future__ import annotations

import time

from papers.core.llm.base import BACKENDS, Backend, BackendInfo, ModelSpec

# Registered in the one map of backends, like any real one.
BACKENDS.setdefault("fake", BackendInfo("tests.fakes", "FakeBackend", 1, ()))
FAKE_SPEC = ModelSpec(backend="fake", model="fake-model", revision="1", batch_size=4)


def fake_answer(request) -> str:
    return f"{request.messages[-1][1]}#{request.sample_index}"


def fake_scores(request) -> list[float]:
    return [-float(len(o)) for o in request.options]


class FakeBackend(Backend):
    def __init__(self, spec: ModelSpec = FAKE_SPEC, delay: float = 0.0):
        super().__init__(spec)
        self.delay = delay
        self.requests = 0

    def generate(self, requests):
        time.sleep(self.delay)
        self.requests += len(requests)
        return [fake_answer(r) for r in requests]

    def score(self, requests):
        time.sleep(self.delay)
        self.requests += len(requests)
        return [fake_scores(r) for r in requests]

    def embed(self, requests):
        self.requests += len(requests)
        return [[float(len(r.input)), 1.0] for r in requests]

