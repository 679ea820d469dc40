"""PersoPilot's state: one SQLite file at a path the user chooses.

Tables: users (persona text, gold class where the users CSV gives one), chat messages, the persona
facts extracted from each message, recommendations with the facts that led to each, the analyst's
labels (the suggestion shown, accept or decline, the label that results) and the classifier's
history (version, labels used, accuracy). Each public write is one transaction, and its input is
checked before anything is written, so bad input changes nothing stored.

A Store opens a connection per operation: the web server calls it from worker threads, and SQLite
connections may not cross threads.
"""
from __future__ import annotations

import contextlib
import math
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence

from papers.core.io import InputError, UserError, csv_records, decode_text

from .extract import Triplet

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    user_id TEXT PRIMARY KEY,
    persona TEXT NOT NULL DEFAULT '',
    gold TEXT                                  -- the class the users CSV gives, for accuracy only
);
CREATE TABLE IF NOT EXISTS messages (
    message_id INTEGER PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(user_id),
    role TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
    text TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS facts (
    fact_id INTEGER PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(user_id),
    subject TEXT NOT NULL,
    relation TEXT NOT NULL,
    object TEXT NOT NULL,
    message_id INTEGER NOT NULL REFERENCES messages(message_id)
);
CREATE TABLE IF NOT EXISTS recommendations (
    recommendation_id INTEGER PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(user_id),
    message_id INTEGER NOT NULL REFERENCES messages(message_id),
    rank INTEGER NOT NULL,
    item_id TEXT NOT NULL,
    score REAL NOT NULL,
    persona_class TEXT,                        -- the classifier's class that added to the score, if any
    classifier_version INTEGER
);
CREATE TABLE IF NOT EXISTS recommendation_facts (
    recommendation_id INTEGER NOT NULL REFERENCES recommendations(recommendation_id),
    fact_id INTEGER NOT NULL REFERENCES facts(fact_id),
    matched TEXT NOT NULL,                     -- the catalogue tag the fact matched
    PRIMARY KEY (recommendation_id, fact_id)
);
CREATE TABLE IF NOT EXISTS labels (
    label_id INTEGER PRIMARY KEY,
    user_id TEXT NOT NULL UNIQUE REFERENCES users(user_id),
    suggested TEXT NOT NULL,
    decision TEXT NOT NULL CHECK (decision IN ('accept', 'decline')),
    label TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS classifier_history (
    version INTEGER PRIMARY KEY,
    labels_used INTEGER NOT NULL,
    accuracy REAL,                             -- on users with a gold class the analyst has not labelled
    evaluated_on INTEGER NOT NULL
);
"""

USER_ID = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
MAX_TEXT = 2000          # characters of one chat message
MAX_PERSONA = 4000       # characters of one persona text
DECISIONS = ("accept", "decline")


class StoreInputError(UserError, ValueError):
    """Input the store refuses; nothing was written."""


@dataclass(frozen=True)
class StoredFact:
    fact_id: int
    message_id: int
    triplet: Triplet


@dataclass(frozen=True)
class Recommended:
    """One recommendation to store: item, score, and (fact_id, matched tag) pairs as its reasons."""
    item_id: str
    score: float
    reasons: tuple[tuple[int, str], ...]
    persona_class: str | None = None
    classifier_version: int | None = None


def pending_facts(triplets: Sequence[Triplet]) -> list[StoredFact]:
    """New triplets as facts before they are stored: the k-th has id -(k + 1) (record_exchange)."""
    return [StoredFact(-(k + 1), 0, t) for k, t in enumerate(triplets)]


def check_user_id(user_id) -> str:
    if not isinstance(user_id, str):
        raise TypeError(f"user_id must be str, got {type(user_id).__name__}")
    if not USER_ID.match(user_id):
        raise StoreInputError(f"user id {user_id[:80]!r}: use 1-64 letters, digits, '_', '-' or '.'")
    return user_id


def check_text(text, what: str = "message", limit: int = MAX_TEXT, empty_ok: bool = False) -> str:
    if not isinstance(text, str):
        raise TypeError(f"{what} must be str, got {type(text).__name__}")
    if not text.strip() and not empty_ok:
        raise StoreInputError(f"the {what} is empty")
    if len(text) > limit:
        raise StoreInputError(f"the {what} has {len(text)} characters; at most {limit}")
    return text


def parse_users_csv(data: bytes, source: str, classes: Sequence[str]) -> list[dict]:
    """Users from CSV bytes with columns user_id and persona, and optionally label (a gold class, or
    empty). Any problem is an InputError naming `source`, the row and the field; nothing is returned
    for a file with one bad row (import_users then stores all rows or none)."""
    if not isinstance(data, bytes):
        raise TypeError(f"data must be bytes, got {type(data).__name__}")
    users, seen = [], set()
    for r in csv_records(decode_text(data, source), source, ["user_id", "persona"]):
        uid, persona, gold = r["user_id"].strip(), r["persona"].strip(), r.get("label", "").strip()
        where = {"row": r["_row"], "line": r["_line"]}
        if not USER_ID.match(uid):
            raise InputError(source, f"{uid[:40]!r} is not a user id (1-64 letters, digits, '_', '-', '.')",
                             field="user_id", **where)
        if uid in seen:
            raise InputError(source, f"user {uid!r} appears twice", field="user_id", **where)
        if not persona:
            raise InputError(source, "the persona is empty", field="persona", **where)
        if len(persona) > MAX_PERSONA:
            raise InputError(source, f"the persona has {len(persona)} characters; at most {MAX_PERSONA}",
                             field="persona", **where)
        if gold and gold not in classes:
            raise InputError(source, f"label {gold[:40]!r} is not one of {', '.join(classes)} (or empty)",
                             field="label", **where)
        seen.add(uid)
        users.append({"user_id": uid, "persona": persona, "gold": gold or None})
    return users


class Store:
    def __init__(self, path: str | Path):
        if not isinstance(path, (str, Path)):
            raise TypeError(f"path must be str or Path, got {type(path).__name__}")
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.executescript(SCHEMA)

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        try:
            db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        except sqlite3.DatabaseError as err:
            raise UserError(f"{self.path}: cannot open the PersoPilot database ({err})") from None
        try:
            db.execute("PRAGMA foreign_keys=ON")
            yield db
        finally:
            db.close()

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: committed when the block ends, rolled back on any error."""
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    # --- users ---------------------------------------------------------------------------------
    def import_users(self, users: Sequence[dict]) -> int:
        """Insert or update users from dicts with user_id, persona and optional gold; all or none.
        Returns how many rows were written."""
        if isinstance(users, (str, dict)) or not all(isinstance(u, dict) for u in users):
            raise TypeError("users must be a sequence of dicts")
        rows = []
        for u in users:
            gold = u.get("gold") or None
            if gold is not None and not isinstance(gold, str):
                raise TypeError(f"user {u.get('user_id')!r}: gold must be str, got {type(gold).__name__}")
            rows.append((check_user_id(u.get("user_id")),
                         check_text(u.get("persona"), "persona", MAX_PERSONA, empty_ok=True), gold))
        with self._transaction() as db:
            db.executemany("INSERT INTO users (user_id, persona, gold) VALUES (?, ?, ?) ON CONFLICT(user_id) "
                           "DO UPDATE SET persona = excluded.persona, gold = excluded.gold", rows)
        return len(rows)

    def users(self) -> list[dict]:
        with self._connect() as db:
            rows = db.execute("SELECT user_id, persona, gold FROM users ORDER BY user_id").fetchall()
        return [{"user_id": u, "persona": p, "gold": g} for u, p, g in rows]

    def user(self, user_id: str) -> dict | None:
        check_user_id(user_id)
        with self._connect() as db:
            row = db.execute("SELECT user_id, persona, gold FROM users WHERE user_id = ?", (user_id,)).fetchone()
        return None if row is None else {"user_id": row[0], "persona": row[1], "gold": row[2]}

    def persona_text(self, user_id: str) -> str:
        """What the classifier reads of a user: the persona text and every message the user wrote."""
        check_user_id(user_id)
        with self._connect() as db:
            row = db.execute("SELECT persona FROM users WHERE user_id = ?", (user_id,)).fetchone()
            said = [t for (t,) in db.execute("SELECT text FROM messages WHERE user_id = ? AND role = 'user' "
                                             "ORDER BY message_id", (user_id,))]
        return " ".join(([row[0]] if row and row[0] else []) + said)

    # --- chat ----------------------------------------------------------------------------------
    def record_exchange(self, user_id: str, text: str, triplets: Sequence[Triplet], reply: str,
                        recommended: Sequence[Recommended]) -> int:
        """Store one exchange in one transaction: the user's message, the facts extracted from it, the
        assistant's reply and the recommendations with their reasons (the user is created if new).
        A reason names a stored fact by its id, or the k-th new triplet by -(k + 1) (pending_facts).
        Returns the message's id."""
        check_user_id(user_id)
        check_text(text)
        check_text(reply, "reply", limit=20 * MAX_TEXT)
        if not all(isinstance(t, Triplet) for t in triplets):
            raise TypeError("triplets must be Triplet objects")
        if not all(isinstance(r, Recommended) for r in recommended):
            raise TypeError("recommended must be Recommended objects")
        for r in recommended:
            for fact_id, _ in r.reasons:
                if fact_id < 0 and -fact_id > len(triplets):
                    raise StoreInputError(f"item {r.item_id}: reason {fact_id} names no new triplet")
        with self._transaction() as db:
            db.execute("INSERT OR IGNORE INTO users (user_id) VALUES (?)", (user_id,))
            message_id = db.execute("INSERT INTO messages (user_id, role, text) VALUES (?, 'user', ?)",
                                    (user_id, text)).lastrowid
            new_ids = [db.execute("INSERT INTO facts (user_id, subject, relation, object, message_id) "
                                  "VALUES (?, ?, ?, ?, ?)", (user_id, t.subject, t.relation, t.object,
                                                             message_id)).lastrowid for t in triplets]
            db.execute("INSERT INTO messages (user_id, role, text) VALUES (?, 'assistant', ?)", (user_id, reply))
            for rank, r in enumerate(recommended, start=1):
                rec_id = db.execute(
                    "INSERT INTO recommendations (user_id, message_id, rank, item_id, score, persona_class, "
                    "classifier_version) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (user_id, message_id, rank, r.item_id, float(r.score), r.persona_class,
                     r.classifier_version)).lastrowid
                for fact_id, tag in r.reasons:
                    fact_id = new_ids[-fact_id - 1] if fact_id < 0 else fact_id
                    owner = db.execute("SELECT user_id FROM facts WHERE fact_id = ?", (fact_id,)).fetchone()
                    if owner is None or owner[0] != user_id:
                        raise StoreInputError(f"item {r.item_id}: fact {fact_id} is not a fact of user {user_id!r}")
                    db.execute("INSERT INTO recommendation_facts VALUES (?, ?, ?)", (rec_id, fact_id, tag))
        return message_id

    def messages(self, user_id: str) -> list[dict]:
        check_user_id(user_id)
        with self._connect() as db:
            rows = db.execute("SELECT message_id, role, text FROM messages WHERE user_id = ? ORDER BY message_id",
                              (user_id,)).fetchall()
        return [{"message_id": m, "role": r, "text": t} for m, r, t in rows]

    def facts(self, user_id: str) -> list[StoredFact]:
        check_user_id(user_id)
        with self._connect() as db:
            rows = db.execute("SELECT fact_id, message_id, subject, relation, object FROM facts WHERE user_id = ? "
                              "ORDER BY fact_id", (user_id,)).fetchall()
        return [StoredFact(f, m, Triplet(s, r, o)) for f, m, s, r, o in rows]

    def recommendations(self, user_id: str, message_id: int) -> list[dict]:
        """The recommendations made in answer to one message, in rank order, each with its reasons."""
        check_user_id(user_id)
        with self._connect() as db:
            recs = db.execute("SELECT recommendation_id, rank, item_id, score, persona_class, classifier_version "
                              "FROM recommendations WHERE user_id = ? AND message_id = ? ORDER BY rank",
                              (user_id, message_id)).fetchall()
            out = []
            for rec_id, rank, item_id, score, cls, version in recs:
                reasons = db.execute(
                    "SELECT f.fact_id, f.subject, f.relation, f.object, rf.matched FROM recommendation_facts rf "
                    "JOIN facts f ON f.fact_id = rf.fact_id WHERE rf.recommendation_id = ? ORDER BY f.fact_id",
                    (rec_id,)).fetchall()
                out.append({"rank": rank, "item_id": item_id, "score": score, "persona_class": cls,
                            "classifier_version": version,
                            "reasons": [{"fact_id": f, "triplet": Triplet(s, r, o), "matched": m}
                                        for f, s, r, o, m in reasons]})
        return out

    # --- analyst -------------------------------------------------------------------------------
    def add_label(self, user_id: str, suggested: str, decision: str, classes: Sequence[str]) -> str:
        """The analyst's answer about user_id's suggested class: accept keeps it, decline gives the
        other class (the task is binary). Returns the resulting label."""
        check_user_id(user_id)
        if len(classes) != 2 or not all(isinstance(c, str) for c in classes):
            raise TypeError(f"classes must be two class names, got {classes!r}")
        if suggested not in classes:
            raise StoreInputError(f"suggested class {suggested!r} is not one of {', '.join(classes)}")
        if decision not in DECISIONS:
            raise StoreInputError(f"decision {decision!r} is not one of {', '.join(DECISIONS)}")
        label = suggested if decision == "accept" else next(c for c in classes if c != suggested)
        with self._transaction() as db:
            if db.execute("SELECT 1 FROM users WHERE user_id = ?", (user_id,)).fetchone() is None:
                raise StoreInputError(f"no user {user_id!r}")
            db.execute("INSERT INTO labels (user_id, suggested, decision, label) VALUES (?, ?, ?, ?) "
                       "ON CONFLICT(user_id) DO UPDATE SET suggested = excluded.suggested, "
                       "decision = excluded.decision, label = excluded.label", (user_id, suggested, decision, label))
        return label

    def labels(self) -> list[dict]:
        with self._connect() as db:
            rows = db.execute("SELECT user_id, suggested, decision, label FROM labels ORDER BY label_id").fetchall()
        return [{"user_id": u, "suggested": s, "decision": d, "label": lab} for u, s, d, lab in rows]

    def add_classifier_version(self, labels_used: int, accuracy: float | None, evaluated_on: int) -> int:
        """Append one retraining to the history; returns its version (1, 2, ...)."""
        if isinstance(labels_used, bool) or not isinstance(labels_used, int) or labels_used < 0:
            raise TypeError(f"labels_used must be an int >= 0, got {labels_used!r}")
        if accuracy is not None and (not isinstance(accuracy, float) or not 0 <= accuracy <= 1):
            raise TypeError(f"accuracy must be a float in [0, 1] or None, got {accuracy!r}")
        with self._transaction() as db:
            version = db.execute("SELECT COALESCE(MAX(version), 0) + 1 FROM classifier_history").fetchone()[0]
            db.execute("INSERT INTO classifier_history VALUES (?, ?, ?, ?)",
                       (version, labels_used, accuracy, evaluated_on))
        return version

    def history(self) -> list[dict]:
        with self._connect() as db:
            rows = db.execute("SELECT version, labels_used, accuracy, evaluated_on FROM classifier_history "
                              "ORDER BY version").fetchall()
        return [{"version": v, "labels_used": n, "accuracy": (math.nan if a is None else a), "evaluated_on": e}
                for v, n, a, e in rows]
