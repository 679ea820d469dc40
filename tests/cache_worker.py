"""Subprocess body for the cache tests: answer N generate requests through a CachedModel.

    python tests/cache_worker.py CACHE START STOP DELAY BATCH
prints 'calls=<backend calls>' and one answer per line, so the parent can check both."""
import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from papers.core.cache import CachedModel, CallCache  # noqa: E402
from papers.core.llm.types import GenerateRequest, user  # noqa: E402
from tests.fakes import FAKE_SPEC, FakeBackend  # noqa: E402

cache, start, stop, delay, batch = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
spec = replace(FAKE_SPEC, batch_size=batch)
model = CachedModel(spec, CallCache(cache), loader=lambda s: FakeBackend(s, delay))
answers = model.generate([GenerateRequest(user(f"q{i}")) for i in range(start, stop)])
print(f"calls={model.calls}")
print("\n".join(answers))
