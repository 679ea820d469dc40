"""The content-addressed cache of every model call (SQLite in WAL mode).

Key: sha256 of the canonical JSON of the model's identity (every field of its registry entry but the
transport fields of llm.base.NOT_IN_KEY, plus the weights digest of the adapter a request names) and
the whole request (messages with each image's pixel digest, options or sampling settings, sample
index). Entries never expire. Each batch's answers are committed as soon as the batch is answered, so a run killed
mid-way loses at most the batch in flight, and a rerun asks the model only for what is missing.
WAL plus a busy timeout lets several processes (parallel Snakemake jobs) share one file.

The cache is the one truth about an answer: after a batch is committed its answers are read back,
so when two processes raced on a key, both use the answer that was stored (and that a rerun gets).

Witness of real model calls (for tests): when the environment variable PLURALIGN_CALL_LOG names a
file, the key of every call answered by a backend is appended to it, one line per call, once the
answer is committed. Unset (the default) nothing is written and nothing else changes.

Replay (PLURALIGN_REPLAY=1, which config `replay: true` exports to every job): every call must be
answered by the cache. No backend is loaded; the first request the cache lacks stops the step with a
ReplayMiss naming the model's registry entry and the request (papers/core/replay.py ships a cache).
"""
from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import sys
import time
from pathlib import Path
from urllib.parse import quote
from typing import Callable, Sequence

from tqdm import tqdm

from .io import UserError
from .llm.base import Backend, ModelSpec, load_backend
from .llm.types import ClassifyRequest, EmbedRequest, GenerateRequest, Request, ScoreRequest

SCHEMA = """
CREATE TABLE IF NOT EXISTS calls (
    key TEXT PRIMARY KEY,
    request TEXT NOT NULL,   -- canonical JSON of model identity + request, for inspection
    response TEXT NOT NULL   -- JSON of the raw answer: a string (generate) or a list of floats (score)
)
"""


CALL_LOG = "PLURALIGN_CALL_LOG"
REPLAY = "PLURALIGN_REPLAY"
SHOWN_CHARS = 400  # of a missed request's canonical JSON in a ReplayMiss (a chat can be pages long)


def replaying() -> bool:
    """Whether this process runs in replay mode: answers from the cache only, no model loaded."""
    return os.environ.get(REPLAY, "") == "1"


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


class CacheError(UserError, RuntimeError):
    """A call cache that cannot be opened, read or trusted; the message names the file (and key)."""


class ReplayMiss(UserError, RuntimeError):
    """Replay mode met a call its cache cannot answer, or a step that would load a model."""

    @classmethod
    def of_request(cls, spec: ModelSpec, cache: Path, request: Request, missing: int) -> "ReplayMiss":
        shown = canonical(request.key())
        if len(shown) > SHOWN_CHARS:
            shown = shown[:SHOWN_CHARS] + f"... ({len(shown)} characters)"
        return cls(f"replay: {cache} has no answer for {missing} call(s) of {model_named(spec)}; the first: "
                   f"{shown}. Replay loads no model: use the call cache of the bundle this run replays, or run "
                   "without replay to compute the missing answers")


def model_named(spec: ModelSpec) -> str:
    return f"model {spec.model!r} (revision {spec.revision!r}, backend {spec.backend})"


class CallCache:
    """get_many / put_many over one SQLite file that several processes may share.

    A cache in a folder this process cannot write (a shipped cache, read-only media) is opened
    read-only and immutable: it answers what it holds, and storing into it is a CacheError.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.read_only = self.path.is_file() and not (os.access(self.path, os.W_OK)
                                                      and os.access(self.path.parent, os.W_OK))
        try:
            if self.read_only:
                # Read-only WAL files cannot be read without writing their index; immutable=1 reads
                # the committed pages alone (a shipped cache is complete and nobody writes it).
                self._db = sqlite3.connect(f"file:{quote(str(self.path.resolve()))}?mode=ro&immutable=1",
                                           uri=True, isolation_level=None)
                self._db.execute("SELECT key, response FROM calls LIMIT 1").fetchall()
            else:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._db = sqlite3.connect(self.path, timeout=120, isolation_level=None)
                self._set_up()
        except sqlite3.DatabaseError as err:
            raise CacheError(f"{self.path}: not a readable call cache ({err})") from None

    def _set_up(self) -> None:
        # Switching to WAL and creating the table can meet another process doing the same: SQLite
        # then answers "locked" at once, without waiting on the busy timeout, so retry.
        for attempt in range(100):
            try:
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA synchronous=NORMAL")  # with WAL: durable against process death
                self._db.execute(SCHEMA)
                return
            except sqlite3.OperationalError as err:
                if "locked" not in str(err) or attempt == 99:
                    raise
                time.sleep(0.05 + 0.01 * attempt)

    def get_many(self, keys: Sequence[str]) -> dict[str, object]:
        found: dict[str, object] = {}
        unique = list(dict.fromkeys(keys))
        try:
            for i in range(0, len(unique), 500):  # stay under SQLite's bound-parameter limit
                part = unique[i:i + 500]
                rows = self._db.execute(
                    f"SELECT key, response FROM calls WHERE key IN ({','.join('?' * len(part))})", part)
                for key, value in rows:
                    try:
                        found[key] = json.loads(value)
                    except (TypeError, json.JSONDecodeError):
                        raise CacheError(f"{self.path}: key {key}: the stored answer is not JSON") from None
        except sqlite3.DatabaseError as err:
            raise CacheError(f"{self.path}: cannot read the call cache ({err})") from None
        return found

    def put_many(self, items: Sequence[tuple[str, str, object]]) -> None:
        """Store (key, request_json, response) triples in one transaction."""
        if self.read_only:
            raise CacheError(f"{self.path}: the call cache is read-only and lacks {len(items)} answer(s), "
                             f"first key {items[0][0]}; run with a writable copy to compute them")
        try:
            with self._db:
                self._db.execute("BEGIN IMMEDIATE")
                self._db.executemany("INSERT OR IGNORE INTO calls VALUES (?, ?, ?)",
                                     [(k, req, canonical(resp)) for k, req, resp in items])
        except sqlite3.DatabaseError as err:
            raise CacheError(f"{self.path}: cannot write to the call cache ({err})") from None

    def close(self) -> None:
        self._db.close()


def _text_length(request: EmbedRequest) -> int:
    """A text's length in characters (images: 0), the order embedding requests are batched in."""
    return len(request.input) if isinstance(request.input, str) else 0


class CachedModel:
    """A model behind the cache, with the backend's interface.

    The backend is loaded only when the cache misses, so a fully cached rerun never loads weights.
    In replay mode (`replay`, by default from PLURALIGN_REPLAY) a miss is a ReplayMiss instead, and
    the backend is never loaded. `calls` counts the requests actually sent to the backend. Every
    answer, from the cache or the backend, is checked against its request (a score answer has one
    number per option...): a bad cached row is a CacheError naming the file and the key, never an
    answer silently used.
    """

    def __init__(self, spec: ModelSpec, cache: CallCache,
                 loader: Callable[[ModelSpec], Backend] = load_backend, desc: str = "",
                 replay: bool | None = None):
        self.spec, self.cache, self._loader = spec, cache, loader
        self.replay = replaying() if replay is None else replay
        self._backend: Backend | None = None
        self.calls = 0
        self.desc = desc or Path(spec.model).name
        self.call_log = os.environ.get(CALL_LOG, "")

    @property
    def backend(self) -> Backend:
        if self._backend is None:
            if self.replay:
                raise ReplayMiss(f"replay: {model_named(self.spec)} would be loaded; replay answers from "
                                 f"{self.cache.path} only")
            self._backend = self._loader(self.spec)
        return self._backend

    def generate(self, requests: Sequence[GenerateRequest]) -> list[str]:
        return self._answer(requests, lambda batch: self.backend.generate(batch))

    def score(self, requests: Sequence[ScoreRequest]) -> list[list[float]]:
        return self._answer(requests, lambda batch: self.backend.score(batch))

    def embed(self, requests: Sequence[EmbedRequest]) -> list[list[float]]:
        # Texts batched by length: a batch pads to its longest text, and meme OCR text is long-tailed
        # (Harm-C's 1,060 texts: 30k tokens, 135k once padded in call order, 38k sorted).
        return self._answer(requests, lambda batch: self.backend.embed(batch), order=_text_length)

    def classify(self, requests: Sequence[ClassifyRequest]) -> list[list[float]]:
        # Batched by length too: an NLI premise (a reply) is long-tailed, its hypothesis short.
        return self._answer(requests, lambda batch: self.backend.classify(batch),
                            order=lambda r: len(r.text) + len(r.text_pair))

    def request_key(self, request: Request) -> tuple[str, str]:
        """(sha256, canonical JSON) of the model's identity and the whole request; a request naming
        an adapter, or a mixture of adapters, adds each one's weights digest."""
        model = self.spec.key()
        if request.adapter:
            model = {**model, **self.spec.adapter_key(request.adapter)}
        for name, _ in getattr(request, "adapter_weights", ()):
            model = {**model, f"mixture:{name}": self.spec.adapter_key(name)}
        return call_key(model, request.key())

    def _answer(self, requests, ask, order=None):
        keyed = [self.request_key(r) for r in requests]
        found = self.cache.get_many([k for k, _ in keyed])
        for (key, _), request in zip(keyed, requests):
            if key in found:
                self._check(request, found[key], f"{self.cache.path}: key {key}: the cached answer")
        todo: dict[str, tuple[str, object]] = {}
        for (key, text), request in zip(keyed, requests):
            if key not in found:
                todo.setdefault(key, (text, request))
        pending = list(todo.items())
        if pending and self.replay:  # the first miss in call order
            raise ReplayMiss.of_request(self.spec, self.cache.path, pending[0][1][1], len(pending))
        if order is not None:
            pending.sort(key=lambda item: order(item[1][1]))  # stable: equal keys keep call order
        size = max(1, self.spec.batch_size)
        batches = range(0, len(pending), size)
        for i in tqdm(batches, desc=f"{self.desc} ({len(pending)} calls)", file=sys.stderr,
                      disable=not pending, mininterval=5):
            batch = pending[i:i + size]
            answers = ask([request for _, (_, request) in batch])
            if len(answers) != len(batch):
                raise RuntimeError(f"{self.desc}: the backend gave {len(answers)} answers to {len(batch)} requests")
            for (key, (_, request)), answer in zip(batch, answers):
                self._check(request, answer, f"{self.desc}: key {key}: the backend's answer")
            self.cache.put_many([(key, text, a) for (key, (text, _)), a in zip(batch, answers)])
            keys = [key for key, _ in batch]
            found.update(self.cache.get_many(keys))  # another process may have stored its answer first
            self.calls += len(batch)
            if self.call_log:
                log_answered(self.call_log, keys)
        return [found[k] for k, _ in keyed]

    @staticmethod
    def _check(request, answer, where: str) -> None:
        problem = request.answer_problem(answer)
        if problem:
            raise CacheError(f"{where} does not fit its request: {problem}")

    def close(self) -> None:
        if self._backend is not None:
            self._backend.close()
