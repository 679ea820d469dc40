"""PersoPilot's triplet extractor: the strict parser, the rule-based baseline, P/R/F1 by hand, the
labelled set's gold triplets, and the real mini chat model through the cache."""
import json
import re
from pathlib import Path

import pytest

from papers.persopilot.extract import (RELATIONS, Triplet, extraction_chat, make_triplet, model_extract,
                                       parse_triplets, prf, rule_extract)

ROOT = Path(__file__).resolve().parents[1]
MESSAGES = ROOT / "data" / "persopilot" / "messages.jsonl"


def test_parser_keeps_valid_lines_and_counts_the_dropped_ones():
    reply = ("user | likes | hiking\n"
             "- I | Likes | The Mountains.\n"        # bullet, speaker, capitals, article, full stop
             "user | loves | jazz\n"                  # a listed verb: read as likes
             "just some text\n"                       # not three fields
             "user | adores | x | y\n"                # four fields
             "user | flies | kites\n"                 # a relation outside the vocabulary
             "user | likes | <b>bold</b>\n"           # not a phrase
             "user | likes | a b c d e f g h\n"       # too long for an object
             "none\n"                                 # no fact, not dropped
             "\n"
             "user | likes | hiking\n")               # a repeat, kept once, not dropped
    triplets, dropped = parse_triplets(reply)
    assert [t.text() for t in triplets] == ["user | likes | hiking", "user | likes | mountains",
                                            "user | likes | jazz"]
    assert dropped == 5


def test_parser_on_nothing_and_wrong_types():
    assert parse_triplets("") == ((), 0)
    assert parse_triplets("None.") == ((), 0)
    with pytest.raises(TypeError):
        parse_triplets(None)
    with pytest.raises(TypeError):
        rule_extract(3)
    with pytest.raises(TypeError):
        extraction_chat(b"I like tea")


def test_triplet_checks_its_fields():
    with pytest.raises(ValueError, match="unknown relation"):
        Triplet("user", "flies", "kites")
    with pytest.raises(TypeError):
        Triplet("user", "likes", "")
    assert make_triplet("Me", "lives in", "Lyon") == Triplet("user", "lives_in", "lyon")
    assert set(RELATIONS) == {"likes", "dislikes", "is", "has", "lives_in", "wants", "works_as"}


def test_rule_baseline_by_hand():
    got = rule_extract("I live in Lyon and I don't like jazz, but I love hiking in the Alps.").triplets
    assert got == (Triplet("user", "lives_in", "lyon"), Triplet("user", "dislikes", "jazz"),
                   Triplet("user", "likes", "hiking"))
    assert rule_extract("Hello there!").triplets == ()


def test_prf_by_hand():
    t = Triplet
    gold = [[t("user", "likes", "hiking"), t("user", "lives_in", "lyon")], [t("user", "has", "cat")], []]
    pred = [[t("user", "likes", "hiking"), t("user", "lives_in", "paris")], [t("user", "has", "two cats")],
            [t("user", "is", "happy")]]
    exact = prf(pred, gold)
    assert (exact["tp"], exact["fp"], exact["fn"]) == (1, 3, 2)
    assert exact["precision"] == pytest.approx(1 / 4) and exact["recall"] == pytest.approx(1 / 3)
    assert exact["f1"] == pytest.approx(2 * (1 / 4) * (1 / 3) / (1 / 4 + 1 / 3))
    lenient = prf(pred, gold, lenient=True)  # "two cats" shares no word with "cat": still a miss
    assert (lenient["tp"], lenient["fp"], lenient["fn"]) == (1, 3, 2)
    assert prf([[t("user", "has", "two cats")]], [[t("user", "has", "cats")]], lenient=True)["tp"] == 1
    with pytest.raises(ValueError):
        prf(pred, gold[:2])


def test_labelled_set_is_well_formed():
    rows = [json.loads(line) for line in MESSAGES.read_text().splitlines()]
    assert 30 <= len(rows) <= 40 and len({r["message_id"] for r in rows}) == len(rows)
    for r in rows:
        for s, rel, o in r["triplets"]:
            # gold objects are already in the parser's normal form
            assert make_triplet(s, rel, o) == Triplet(s, rel, o), r
    assert sum(not r["triplets"] for r in rows) >= 3  # messages that state no fact


def test_few_shot_examples_are_not_in_the_labelled_set():
    texts = {json.loads(line)["text"] for line in MESSAGES.read_text().splitlines()}
    chat = extraction_chat("I love tea.")
    examples = {content for role, content in chat[1:-1] if role == "user"}
    assert examples and not examples & texts


@pytest.mark.slow
def test_the_mini_model_extracts_a_stated_preference_through_the_cache(tmp_path):
    from papers.core.cli import open_model
    from tests.conftest import model_dir

    entry = {"backend": "hf", "model": str(model_dir("smollm2-135m-instruct")), "dtype": "float32"}
    model = open_model(json.dumps(entry), str(tmp_path / "calls.sqlite"), 1)
    messages = ["I love hiking in the mountains.", "What can you recommend?"]
    first = model_extract(model, messages)
    assert model.calls == 2
    hiking, question = first
    assert any(t.relation == "likes" and "hiking" in t.object for t in hiking.triplets), hiking
    assert question.triplets == ()
    again = model_extract(model, messages)  # answered by the cache
    assert model.calls == 2 and again == first


def test_extractor_table_by_hand():
    import pandas as pd

    from papers.persopilot.results import table_extractor

    rows = []
    for extractor, predicted, dropped in (("model", [["user", "likes", "hiking in the alps"]], 2),
                                          ("rules", [["user", "likes", "hiking"], ["user", "is", "tall"]], 0)):
        rows.append({"message_id": "m1", "extractor": extractor, "text": "", "reply": "",
                     "triplets": json.dumps(predicted), "gold": json.dumps([["user", "likes", "hiking"]]),
                     "dropped": dropped})
    table = table_extractor(pd.DataFrame(rows)).set_index("extractor")
    assert table.loc["model", ["precision", "recall", "f1"]].tolist() == [0, 0, 0]
    assert table.loc["model", ["precision_lenient", "recall_lenient"]].tolist() == [1, 1]
    assert table.loc["rules", ["precision", "recall"]].tolist() == pytest.approx([0.5, 1])
    assert table.loc["model", "dropped_lines"] == 2 and table.loc["rules", "predicted"] == 2


def test_labelled_set_errors_name_row_and_field(tmp_path):
    from papers.core.io import InputError
    from papers.persopilot.extract import load_labelled

    bad = tmp_path / "m.jsonl"
    bad.write_text('{"message_id": "a", "text": "I like tea.", "triplets": [["user", "likes", "tea"]]}\n'
                   '{"message_id": "b", "text": "I like Tea.", "triplets": [["user", "likes", "Tea"]]}\n')
    with pytest.raises(InputError, match=r"row 2 \(line 2\), field 'triplets'"):
        load_labelled(bad)
    assert len(load_labelled(MESSAGES)) == 36


def dnli_pair(s1, t1, s2, t2, row_id="dialogue_nli_test_0", label="negative", dtype="matchingtriple_up"):
    """One sentence pair in the released Dialogue NLI format (hand-written, not from the dataset)."""
    return {"label": label, "sentence1": s1, "sentence2": s2, "triple1": t1, "triple2": t2, "dtype": dtype,
            "id": row_id}


def test_dialogue_nli_sentences_become_a_labelled_set(tmp_path):
    from papers.persopilot.extract import load_dialogue_nli

    pairs = [
        dnli_pair("i love to go hiking on weekends .", ["i", "like_activity", "hiking"],
                  "i have a dog named max .", ["i", "have_pet", "dog"]),
        # the same sentence again (one message), and a dropped relation
        dnli_pair("i have a dog named max .", ["i", "have_pet", "dog"],
                  "i was born in ohio .", ["i", "place_origin", "ohio"], label="neutral"),
        dnli_pair("my favorite food is pizza .", ["i", "favorite_food", "pizza"],
                  "hello , how are you today ?", ["<none>", "<none>", "<none>"], label="neutral"),
        dnli_pair("i work as a nurse in chicago .", ["i", "has_profession", "nurse"],
                  "i speak klingon .", ["i", "speaks_language", "klingon"]),
    ]
    path = tmp_path / "dialogue_nli_test.jsonl"
    path.write_text(json.dumps(pairs))  # one JSON array, as released
    skipped = {}
    records = load_dialogue_nli(path, skipped)
    by_text = {r["text"]: r for r in records}
    assert list(by_text) == ["i love to go hiking on weekends .", "i have a dog named max .",
                             "my favorite food is pizza .", "hello , how are you today ?",
                             "i work as a nurse in chicago ."]
    assert by_text["i love to go hiking on weekends ."]["gold"] == (Triplet("user", "likes", "hiking"),)
    assert by_text["i have a dog named max ."]["triplets"] == [["user", "has", "dog"]]
    assert by_text["i have a dog named max ."]["message_id"] == "dnli-1-2"
    assert by_text["my favorite food is pizza ."]["gold"] == (Triplet("user", "likes", "pizza"),)
    assert by_text["hello , how are you today ?"]["gold"] == ()  # annotated with no fact
    assert by_text["i work as a nurse in chicago ."]["gold"] == (Triplet("user", "works_as", "nurse"),)
    assert skipped == {"relation place_origin (dropped)": 1, "relation speaks_language (unknown)": 1}


def test_dialogue_nli_records_feed_the_extractor_table(tmp_path):
    from papers.persopilot.extract import load_dialogue_nli
    from papers.persopilot.results import table_extractor

    path = tmp_path / "d.jsonl"
    path.write_text(json.dumps([dnli_pair("i like to read books .", ["i", "like_read", "books"],
                                          "i live in texas .", ["i", "live_in_citystatecountry", "texas"])]))
    records = load_dialogue_nli(path)
    rows = []
    for r in records:
        found = rule_extract(r["text"])
        rows.append({"message_id": r["message_id"], "extractor": "rules", "text": r["text"], "reply": "",
                     "triplets": json.dumps([t.fields() for t in found.triplets]),
                     "gold": json.dumps(r["triplets"]), "dropped": 0})
    import pandas as pd

    table = table_extractor(pd.DataFrame(rows)).set_index("extractor")
    assert table.loc["rules", "gold"] == 2 and table.loc["rules", "messages"] == 2
    assert table.loc["rules", "recall"] == pytest.approx(0.5)  # "texas" found; "read books" is not the gold "books"


@pytest.mark.parametrize("content, where", [
    ('{"sentence1": "x"}', ": expected a JSON array"),
    ('[{"sentence1": "hi .", "triple1": ["i", "like_general", "tea"], "sentence2": "yo ."}]',
     r", row 1, field 'triple2': missing field"),
    ('[{"sentence1": "a .", "triple1": ["i", "dislike", "tea"], "sentence2": "b .", "triple2": ["i", "have"]}]',
     r", row 1, field 'triple2': must be \[subject, relation, object\]"),
    ('[' + json.dumps(dnli_pair("a .", ["i", "dislike", "tea"], "b .", ["i", "have", "cat"])) + ', 7]',
     r", row 2: expected a JSON object"),
    ('[' + json.dumps(dnli_pair("  ", ["i", "dislike", "tea"], "b .", ["i", "have", "cat"])) + ']',
     r", row 1, field 'sentence1': must be a non-empty string"),
    ('[{"sentence1": "a .",', r", line 1: malformed JSON"),
])
def test_dialogue_nli_errors_name_file_record_and_field(tmp_path, content, where):
    from papers.core.io import InputError
    from papers.persopilot.extract import load_dialogue_nli

    path = tmp_path / "dialogue_nli_dev.jsonl"
    path.write_text(content)
    with pytest.raises(InputError, match=rf"^{re.escape(str(path))}{where}"):
        load_dialogue_nli(path)


def test_dialogue_nli_relations_are_mapped_into_the_vocabulary_or_dropped():
    from papers.persopilot.extract import DIALOGUE_NLI_DROPPED, DIALOGUE_NLI_RELATIONS

    assert set(DIALOGUE_NLI_RELATIONS.values()) == set(RELATIONS)  # every relation of ours has a source
    assert not set(DIALOGUE_NLI_RELATIONS) & set(DIALOGUE_NLI_DROPPED)


def test_config_refuses_a_vllm_assistant():
    import yaml

    from papers.persopilot.config import problems

    config = yaml.safe_load((ROOT / "config/paper.yaml").read_text())
    assert problems(config) == []
    config["persopilot"]["assistant"] = "llama-3.1-8b-instruct"  # the vllm entry of the same weights
    (found,) = problems(config)
    assert found.startswith("persopilot.assistant: 'llama-3.1-8b-instruct' is a vllm model")
