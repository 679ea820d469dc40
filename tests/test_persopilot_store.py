"""PersoPilot's SQLite state and the linking that fills it: exchanges stored whole or not at all,
users CSVs read with errors naming row and field, labels, history; recommendations by hand."""
import sqlite3
from pathlib import Path

import pytest

from papers.core.io import InputError
from papers.persopilot.extract import Triplet
from papers.persopilot.recommend import Item, load_catalogue, matched_tag, recommend, reply_text
from papers.persopilot.store import (Recommended, Store, StoreInputError, StoredFact, parse_users_csv,
                                     pending_facts)

ROOT = Path(__file__).resolve().parents[1]
CLASSES = ("indoor", "outdoor")
HIKING = Triplet("user", "likes", "hiking")


def rows(path, table):
    with sqlite3.connect(path) as db:
        return db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


def counts(path):
    return {t: rows(path, t) for t in ("users", "messages", "facts", "recommendations", "recommendation_facts",
                                       "labels", "classifier_history")}


def test_an_exchange_is_stored_with_its_facts_and_reasons(tmp_path):
    store = Store(tmp_path / "s.sqlite")
    new = pending_facts([HIKING])
    recs = [Recommended("i01", 1.0, ((new[0].fact_id, "hiking"),))]
    mid = store.record_exchange("alice", "I love hiking", [HIKING], "Try boots.", recs)
    assert [m["role"] for m in store.messages("alice")] == ["user", "assistant"]
    (fact,) = store.facts("alice")
    assert fact.triplet == HIKING and fact.message_id == mid and fact.fact_id > 0
    (rec,) = store.recommendations("alice", mid)
    assert rec["item_id"] == "i01" and rec["reasons"] == [{"fact_id": fact.fact_id, "triplet": HIKING,
                                                           "matched": "hiking"}]
    # a later exchange may cite the stored fact by its id
    mid2 = store.record_exchange("alice", "more?", [], "Again boots.", [Recommended("i01", 1.0, ((fact.fact_id, "hiking"),))])
    assert store.recommendations("alice", mid2)[0]["reasons"][0]["fact_id"] == fact.fact_id
    assert store.persona_text("alice") == "I love hiking more?"


@pytest.mark.parametrize("bad", [
    dict(user_id="bob smith"),                            # not a user id
    dict(text="   "),                                     # empty message
    dict(text="x" * 2001),                                # too long
    dict(recommended=[Recommended("i01", 1.0, ((-2, "hiking"),))]),   # names no new triplet
    dict(recommended=[Recommended("i01", 1.0, ((999, "hiking"),))]),  # not a fact of this user
])
def test_bad_input_changes_nothing(tmp_path, bad):
    path = tmp_path / "s.sqlite"
    store = Store(path)
    store.record_exchange("alice", "I love hiking", [HIKING], "ok", [])
    before = counts(path)
    args = {"user_id": "alice", "text": "I like tea", "triplets": [HIKING], "reply": "ok", "recommended": []}
    with pytest.raises(StoreInputError):
        store.record_exchange(**{**args, **bad})
    assert counts(path) == before


def test_wrong_types_are_refused(tmp_path):
    store = Store(tmp_path / "s.sqlite")
    with pytest.raises(TypeError):
        store.record_exchange("alice", "hi", ["user | likes | tea"], "ok", [])
    with pytest.raises(TypeError):
        store.import_users("u1,persona")
    with pytest.raises(TypeError):
        Store(3)
    with pytest.raises(TypeError):
        store.add_classifier_version(2, 1.5, 3)


def test_users_csv_errors_name_row_and_field():
    ok = b"user_id,persona,label\nu1,I love hiking.,outdoor\nu2,I read.,\n"
    assert parse_users_csv(ok, "u.csv", CLASSES) == [
        {"user_id": "u1", "persona": "I love hiking.", "gold": "outdoor"},
        {"user_id": "u2", "persona": "I read.", "gold": None}]
    cases = {
        b"user_id,persona\nu1,fine\nu 2,bad id\n": ("row 2 (line 3)", "field 'user_id'"),
        b"user_id,persona\nu1,fine\nu2,\n": ("row 2 (line 3)", "field 'persona'"),
        b"user_id,persona,label\nu1,fine,sporty\n": ("row 1 (line 2)", "field 'label'"),
        b"user_id,persona\nu1,fine\nu1,again\n": ("row 2 (line 3)", "appears twice"),
        b"user_id,persona\nu1,fine,extra\n": ("row 1 (line 2)", "expected 2 fields"),
        b"id,persona\nu1,fine\n": ("line 1", "field 'user_id'"),
        b"user_id,persona\n": ("no data rows",),
        b"user_id,persona\nu1,caf\xe9\n": ("invalid UTF-8", "line 2"),
    }
    for data, parts in cases.items():
        with pytest.raises(InputError) as err:
            parse_users_csv(data, "u.csv", CLASSES)
        assert str(err.value).startswith("u.csv"), err.value
        for part in parts:
            assert part in str(err.value), (data, str(err.value))


def test_mini_users_file_is_what_its_generator_writes():
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_users", ROOT / "data/persopilot/make_users.py")
    make = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make)
    path = ROOT / "data/persopilot/users.csv"
    assert make.render(make.users()) == path.read_text(encoding="utf-8")
    users = parse_users_csv(path.read_bytes(), str(path), CLASSES)
    assert 60 <= len(users) <= 100 and {u["gold"] for u in users} == set(CLASSES)
    for u in users:  # the class is the documented function of the persona's facts
        outdoor = sum(s + "." in u["persona"] for s in (x.rstrip(".") for x in make.OUTDOOR))
        assert u["gold"] == make.gold_label(outdoor)


def test_labels_accept_or_decline_and_history(tmp_path):
    store = Store(tmp_path / "s.sqlite")
    store.import_users([{"user_id": "u1", "persona": "I hike."}, {"user_id": "u2", "persona": "I read."}])
    assert store.add_label("u1", "indoor", "decline", CLASSES) == "outdoor"
    assert store.add_label("u2", "indoor", "accept", CLASSES) == "indoor"
    with pytest.raises(StoreInputError):
        store.add_label("u2", "indoor", "maybe", CLASSES)
    with pytest.raises(StoreInputError):
        store.add_label("nobody", "indoor", "accept", CLASSES)
    assert [x["label"] for x in store.labels()] == ["outdoor", "indoor"]
    assert store.add_classifier_version(2, 0.5, 10) == 1 and store.add_classifier_version(2, None, 0) == 2
    assert [h["version"] for h in store.history()] == [1, 2]


def test_import_is_all_or_none(tmp_path):
    path = tmp_path / "s.sqlite"
    store = Store(path)
    with pytest.raises(StoreInputError):
        store.import_users([{"user_id": "u1", "persona": "ok"}, {"user_id": "bad id", "persona": "x"}])
    assert rows(path, "users") == 0


def test_recommendations_link_facts_to_tags_by_hand():
    catalogue = [Item("a", "Boots", ("hiking", "mountain", "outdoor"), ""),
                 Item("b", "Novels", ("science fiction", "novel", "indoor"), ""),
                 Item("c", "Tent", ("camping", "outdoor"), "")]
    facts = [StoredFact(1, 1, Triplet("user", "likes", "hiking in the mountains")),
             StoredFact(2, 1, Triplet("user", "wants", "science fiction novels")),
             StoredFact(3, 2, Triplet("user", "lives_in", "lyon"))]
    assert matched_tag("science fiction novels", catalogue[1]) == "science fiction"
    assert matched_tag("fiction", catalogue[1]) is None  # every word of a tag must occur
    got = recommend(facts, catalogue)
    assert [(r.item_id, r.score, r.reasons) for r in got] == [("a", 1.0, ((1, "hiking"),)),
                                                              ("b", 1.0, ((2, "science fiction"),))]
    # a dislike vetoes; the persona class adds its bonus and says so
    disliked = facts + [StoredFact(4, 2, Triplet("user", "dislikes", "novels"))]
    got = recommend(disliked, catalogue, persona_class="outdoor", classifier_version=3)
    assert [(r.item_id, r.score, r.persona_class, r.classifier_version) for r in got] == [
        ("a", 1.5, "outdoor", 3), ("c", 0.5, "outdoor", 3)]
    assert "Boots (because you like hiking in the mountains and your profile looks outdoor)" in \
        reply_text(got, catalogue, disliked)
    assert recommend([], catalogue) == []


def test_catalogue_file_and_its_errors(tmp_path):
    items = load_catalogue(ROOT / "data/persopilot/catalogue.csv")
    assert len(items) >= 20 and all(i.tags for i in items)
    bad = tmp_path / "c.csv"
    bad.write_text("item_id,name,tags,description\ni1,Boots,hiking,x\ni1,Again,hiking,y\n")
    with pytest.raises(InputError, match=r"row 2 \(line 3\), field 'item_id'"):
        load_catalogue(bad)
