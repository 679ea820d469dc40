"""FoCus loader: rows per (dialogue, turn), dialogue-disjoint seeded splits, errors naming file,
dialogue and field; the mini set is what its generator writes and what its provenance says."""
import copy
import hashlib
import json
import runpy
from pathlib import Path

import pytest

from papers.core.io import InputError
from papers.persodpo.focus import COLUMNS, load_focus, read_focus, split_dialogues

ROOT = Path(__file__).resolve().parents[1]
MINI = ROOT / "data" / "persodpo" / "focus_mini.json"

DIALOGUE = {
    "dialogID": "d1", "landmark_link": "https://en.wikipedia.org/wiki/X",
    "persona": ["I like hiking.", "I have a dog.", "I am a nurse.", "I live in Oslo.", "I love tea."],
    "knowledge": ["X was built in 1900.", "X is tall."],
    "utterance": [
        {"dialogue1": ["Who built X?", "Builders did, in 1900."],
         "persona_candidate": ["I like hiking.", "I have a dog.", "I am a nurse.", "I live in Oslo.", "I love tea."],
         "persona_grounding": [False, False, False, False, False],
         "knowledge_candidates": ["X is tall.", "X was built in 1900."], "knowledge_answer_index": 1},
        {"dialogue2": ["Who built X?", "Builders did, in 1900.", "Can I hike there?", "Yes, you like hiking."],
         "persona_candidate": ["I like hiking.", "I have a dog.", "I am a nurse.", "I live in Oslo.", "I love tea."],
         "persona_grounding": [True, False, False, False, False],
         "knowledge_candidates": ["X is tall.", "X was built in 1900."], "knowledge_answer_index": 0,
         "aug_question_2": "ignored"},
    ],
}


def write(tmp_path, dialogues):
    path = tmp_path / "train_focus.json"
    path.write_text(json.dumps({"data": dialogues}), encoding="utf-8")
    return path


def test_one_row_per_turn_with_context_reply_grounding_and_knowledge(tmp_path):
    rows = read_focus(write(tmp_path, [DIALOGUE]))
    assert list(rows.columns) == COLUMNS[:-1] and len(rows) == 2
    first, second = rows.iloc[0], rows.iloc[1]
    assert (first.dialogue_id, first.turn, first.context, first.gold_response) == (
        "d1", 1, ["Who built X?"], "Builders did, in 1900.")
    assert first.knowledge == "X was built in 1900." and first.persona_used == []
    assert second.context == ["Who built X?", "Builders did, in 1900.", "Can I hike there?"]
    assert second.gold_response == "Yes, you like hiking."
    assert second.persona_used == ["I like hiking."] and second.knowledge == "X is tall."
    assert second.persona == DIALOGUE["persona"]


def broken(path_of_field, value):
    d = copy.deepcopy(DIALOGUE)
    target = d
    *parents, last = path_of_field
    for key in parents:
        target = target[key]
    if value is KeyError:
        del target[last]
    else:
        target[last] = value
    return d


@pytest.mark.parametrize("where, value, field, says", [
    (["persona"], "I like hiking.", "persona", "dialogue 'd1'"),
    (["persona"], ["I like hiking.", ""], "persona[1]", "dialogue 'd1'"),
    (["utterance"], [], "utterance", "dialogue 'd1'"),
    (["utterance", 1, "dialogue2"], KeyError, "utterance[1].dialogue2", "turn 2"),
    (["utterance", 0, "dialogue1"], ["Who built X?"], "utterance[0].dialogue1", "at least 2"),
    (["utterance", 0, "persona_grounding"], [1, 0, 0, 0, 0], "utterance[0].persona_grounding", "booleans"),
    (["utterance", 0, "knowledge_answer_index"], 2, "utterance[0].knowledge_answer_index", "2 knowledge"),
    (["utterance", 0, "knowledge_answer_index"], True, "utterance[0].knowledge_answer_index", "True"),
    (["dialogID"], 7, "dialogID", "dialogue #0"),
])
def test_a_malformed_record_names_file_dialogue_and_field(tmp_path, where, value, field, says):
    path = write(tmp_path, [broken(where, value)])
    with pytest.raises(InputError, match=says) as error:
        read_focus(path)
    assert error.value.field == field and error.value.path == str(path)
    assert str(error.value).startswith(str(path))


def test_whole_file_errors(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"data": [', encoding="utf-8")
    with pytest.raises(InputError, match="malformed JSON"):
        read_focus(bad)
    with pytest.raises(InputError, match="at least one dialogue"):
        read_focus(write(tmp_path, []))
    with pytest.raises(InputError, match="same id as dialogue #0"):
        read_focus(write(tmp_path, [DIALOGUE, DIALOGUE]))
    with pytest.raises(InputError, match="file not found"):
        read_focus(tmp_path / "missing.json")
    with pytest.raises(TypeError):
        read_focus(3)


def test_splits_are_exact_seeded_and_by_dialogue():
    ids = [f"d{i}" for i in range(20)]
    splits = split_dialogues(ids, seed=3, fractions=(0.5, 0.25, 0.25))
    assert sorted(splits.values()).count("test") == 5 and list(splits.values()).count("validation") == 5
    assert splits == split_dialogues(list(reversed(ids)), seed=3, fractions=(0.5, 0.25, 0.25))
    assert splits != split_dialogues(ids, seed=4, fractions=(0.5, 0.25, 0.25))
    with pytest.raises(ValueError):
        split_dialogues(ids, seed=3, fractions=(0.5, 0.5, 0.5))
    with pytest.raises(TypeError):
        split_dialogues("d1", seed=3)


def test_the_mini_set_loads_with_its_documented_shape_and_ground_truth():
    rows = load_focus(MINI, seed=5, fractions=(0.5, 0.25, 0.25))
    assert rows["dialogue_id"].nunique() == 32 and len(rows) == 96
    assert rows.groupby("dialogue_id")["split"].nunique().max() == 1  # every turn of a dialogue in one split
    assert rows.drop_duplicates("dialogue_id")["split"].value_counts().to_dict() == {
        "train": 16, "validation": 8, "test": 8}
    used = rows["persona_used"].map(len)
    assert set(used) == {0, 1}
    # a grounded reply says its persona fact's value; the knowledge paragraph names the landmark
    for row in rows[used == 1].itertuples():
        value = row.persona_used[0].rstrip(".").split(" ", 3)[-1].removeprefix("is ")  # "I love X", "... is X"
        assert value in row.gold_response, (row.persona_used, row.gold_response)
    assert all(len(c) % 2 == 1 for c in rows["context"])
    turns = [t for d in json.loads(MINI.read_text(encoding="utf-8"))["data"] for t in d["utterance"]]
    assert {(len(t["persona_candidate"]), len(t["persona_grounding"]), len(t["knowledge_candidates"]))
            for t in turns} == {(5, 5, 10)}


def test_the_generator_rewrites_the_mini_set_byte_for_byte(tmp_path):
    generator = runpy.run_path(str(MINI.with_name("make_mini.py")))
    out = tmp_path / "focus_mini.json"
    generator["main"].__globals__["OUT"] = out
    generator["main"]()
    assert out.read_bytes() == MINI.read_bytes()
    digest = hashlib.sha256(MINI.read_bytes()).hexdigest()
    assert digest in MINI.with_name("PROVENANCE.md").read_text(encoding="utf-8")
