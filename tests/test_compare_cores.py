"""scripts/compare_cores.py's account of two runs' call caches, on hand-made answers, and its cache reader
on a real cache file."""
import importlib.util
import json
import sqlite3
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("compare_cores", ROOT / "scripts" / "compare_cores.py")
compare = importlib.util.module_from_spec(spec)
spec.loader.exec_module(compare)


def call(model: str, kind: str, answer) -> tuple[dict, object]:
    return {"model": {"model": f"resources/models/{model}"}, "request": {"kind": kind}}, answer


def test_calls_are_counted_by_model_and_kind_with_the_largest_gap():
    reference = {"a": call("smollm", "score", [-0.5, -1.0]), "b": call("smollm", "score", [-2.0, -0.25]),
                 "c": call("lvlm", "score", [-1.0]), "d": call("smollm", "generate", "yes"),
                 "e": call("smollm", "score", [-3.0]), "gone": call("lvlm", "score", [-1.0])}
    other = {"a": [-0.5, -1.25], "b": [-2.0625, -0.25], "c": [-1.0], "d": "no", "e": [-3.0], "new": [-1.0]}
    other = {k: (reference.get(k, ({}, None))[0], v) for k, v in other.items()}
    assert compare.describe_calls(reference, other) == [
        "  calls: 6 vs 6; only in one: 2; answered differently: 3",
        "    smollm generate: 1, text answers",
        "    smollm score: 2, largest difference 0.25",
    ]
    assert compare.largest_gap([-1.0], [-1.0, -2.0]) is None


def test_cache_answers_reads_request_and_answer(tmp_path):
    path = tmp_path / compare.CACHE
    path.parent.mkdir(parents=True)
    db = sqlite3.connect(path)
    with db:
        db.execute("CREATE TABLE calls (key TEXT PRIMARY KEY, request TEXT, response TEXT)")
        db.execute("INSERT INTO calls VALUES (?, ?, ?)", ("k", json.dumps({"request": {"kind": "score"}}), "[-0.5]"))
    db.close()
    assert compare.cache_answers(tmp_path) == {"k": ({"request": {"kind": "score"}}, [-0.5])}
    with pytest.raises(sqlite3.OperationalError):
        compare.cache_answers(tmp_path / "elsewhere")
