"""The content-addressed cache of every model call (SQLite in WAL mode).

Key: sha256 of the canonical JSON of the model's identity (backend, model, revision, dtype, chat
template) and the whole request (messages, options or sampling settings, sample index). Entries
never expire. Each batch's answers are committed as soon as the batch is answered, so a run killed
mid-way loses at most the batch in flight, and a rerun asks the model only for what is missing.
WAL plus a busy timeout lets several processes (parallel Snakemake jobs) share one file.

The cache is the one truth about an answer: after a batch is committed its answers are read back,
so when two processes raced on a key, both use the answer that was stored (and that a rerun gets).

Witness of real model calls (for tests): when the environment variable PLURALIGN_CALL_LOG names a
file, the key of every call answered by a backend is appended to it, one line per call, once the
answer is committed. Unset (the default) nothing is written and nothing else changes.
"""
from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import sys
import time
from pathlib import Path
from typing import Callable, Sequence

from tqdm import tqdm

from .llm.base import Backend, ModelSpec, load_backend
from .llm.types import GenerateRequest, ScoreRequest

SCHEMA = """
CREATE TABLE IF NOT EXISTS calls (
    key TEXT PRIMARY KEY,
    request TEXT NOT NULL,   -- canonical JSON of model identity + request, for inspection
    response TEXT NOT NULL   -- JSON of the raw answer: a string (generate) or a list of floats (score)
)
"""


CALL_LOG = "PLURALIGN_CALL_LOG"


def log_answered(path: str, keys: Sequence[str]) -> None:
    """Append `keys` to `path` in one unbuffered O_APPEND write: concurrent jobs cannot interleave
    their lines, and a process killed right after still leaves every line it reported."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, "".join(f"{k}\n" for k in keys).encode())
    finally:
        os.close(fd)


def canonical(obj) -> str:
    return json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def call_key(model: dict, request: dict) -> tuple[str, str]:
    text = canonical({"model": model, "request": request})
    return hashlib.sha256(text.encode()).hexdigest(), text


class CallCache:
    """get_many / put_many over one SQLite file that several processes may share."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, timeout=120, isolation_level=None)
        # Switching to WAL and creating the table can meet another process doing the same: SQLite
        # then answers "locked" at once, without waiting on the busy timeout, so retry.
        for attempt in range(100):
            try:
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA synchronous=NORMAL")  # with WAL: durable against process death
                self._db.execute(SCHEMA)
                break
            except sqlite3.OperationalError as err:
                if "locked" not in str(err) or attempt == 99:
                    raise
                time.sleep(0.05 + 0.01 * attempt)

    def get_many(self, keys: Sequence[str]) -> dict[str, object]:
        found: dict[str, object] = {}
        unique = list(dict.fromkeys(keys))
        for i in range(0, len(unique), 500):  # stay under SQLite's bound-parameter limit
            part = unique[i:i + 500]
            rows = self._db.execute(
                f"SELECT key, response FROM calls WHERE key IN ({','.join('?' * len(part))})", part)
            found.update((k, json.loads(v)) for k, v in rows)
        return found

    def put_many(self, items: Sequence[tuple[str, str, object]]) -> None:
        """Store (key, request_json, response) triples in one transaction."""
        with self._db:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.executemany("INSERT OR IGNORE INTO calls VALUES (?, ?, ?)",
                                 [(k, req, canonical(resp)) for k, req, resp in items])

    def close(self) -> None:
        self._db.close()


class CachedModel:
    """A model behind the cache, with the backend's interface.

    The backend is loaded only when the cache misses, so a fully cached rerun never loads weights.
    `calls` counts the requests actually sent to the backend.
    """

    def __init__(self, spec: ModelSpec, cache: CallCache,
                 loader: Callable[[ModelSpec], Backend] = load_backend, desc: str = ""):
        self.spec, self.cache, self._loader = spec, cache, loader
        self._backend: Backend | None = None
        self.calls = 0
        self.desc = desc or Path(spec.model).name
        self.call_log = os.environ.get(CALL_LOG, "")

    @property
    def backend(self) -> Backend:
        if self._backend is None:
            self._backend = self._loader(self.spec)
        return self._backend

    def generate(self, requests: Sequence[GenerateRequest]) -> list[str]:
        return self._answer(requests, lambda batch: self.backend.generate(batch))

    def score(self, requests: Sequence[ScoreRequest]) -> list[list[float]]:
        return self._answer(requests, lambda batch: self.backend.score(batch))

    def _answer(self, requests, ask):
        model = self.spec.key()
        keyed = [call_key(model, r.key()) for r in requests]
        found = self.cache.get_many([k for k, _ in keyed])
        todo: dict[str, tuple[str, object]] = {}
        for (key, text), request in zip(keyed, requests):
            if key not in found:
                todo.setdefault(key, (text, request))
        pending = list(todo.items())
        size = max(1, self.spec.batch_size)
        batches = range(0, len(pending), size)
        for i in tqdm(batches, desc=f"{self.desc} ({len(pending)} calls)", file=sys.stderr,
                      disable=not pending, mininterval=5):
            batch = pending[i:i + size]
            answers = ask([request for _, (_, request) in batch])
            self.cache.put_many([(key, text, a) for (key, (text, _)), a in zip(batch, answers)])
            keys = [key for key, _ in batch]
            found.update(self.cache.get_many(keys))  # another process may have stored its answer first
            self.calls += len(batch)
            if self.call_log:
                log_answered(self.call_log, keys)
        return [found[k] for k, _ in keyed]

    def close(self) -> None:
        if self._backend is not None:
            self._backend.close()
