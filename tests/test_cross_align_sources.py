"""Knowledge source loaders (papers/core/knowledge/sources.py): the released formats, full or vendored,
and bad input stopped with an InputError naming file, row and field."""
import bz2
import gzip
import json

import pytest

from papers.core.io import InputError
from papers.core.knowledge.sources import (read_conceptnet100k, read_conceptnet_assertions, read_hate_lexicon,
                                           read_wikidata, relation_words)

ROW = '/a/[/r/IsA/,/c/en/dog/,/c/en/animal/]\t/r/IsA\t/c/en/dog/n\t/c/en/animal\t{"weight": 2.0}\n'


def test_conceptnet_assertions_plain_and_gzipped(tmp_path):
    url = '/a/[/r/ExternalURL/,/c/en/dog/,http://x/]\t/r/ExternalURL\t/c/en/dog\thttp://x/\t{"weight": 1.0}\n'
    ja = '/a/[/r/IsA/,/c/ja/犬/,/c/ja/動物/]\t/r/IsA\t/c/ja/犬\t/c/ja/動物\t{"weight": 1.0}\n'
    (tmp_path / "a.csv").write_text(ROW + url + ja)
    with gzip.open(tmp_path / "a.csv.gz", "wt") as handle:
        handle.write(ROW + url + ja)
    for name in ("a.csv", "a.csv.gz"):
        facts = read_conceptnet_assertions(tmp_path / name)
        assert [f.text for f in facts] == ["dog is a animal", "犬 is a 動物"]
        assert facts[0].names == ("dog", "animal") and facts[0].weight == pytest.approx(2 / 3)
        assert facts[0].origin == f"{name}:1" and facts[0].key == "/a/[/r/IsA/,/c/en/dog/,/c/en/animal/]"
    assert len(read_conceptnet_assertions(tmp_path / "a.csv", ("en",))) == 1
    assert relation_words("/r/SomethingNew") == "something new"


@pytest.mark.parametrize("line, message", [
    ("only\tthree\tfields\n", r"row 2 \(line 2\): expected 5 tab-separated fields"),
    ('/a/x\tIsA\t/c/en/a\t/c/en/b\t{"weight": 1}\n', "row 2.*field 'relation'"),
    ('/a/x\t/r/IsA\t/d/en/a\t/c/en/b\t{"weight": 1}\n', "row 2.*field 'start'"),
    ('/a/x\t/r/IsA\t/c/en/a\t/c/en/b\t{"weight": \n', "row 2.*field 'info'.*malformed JSON"),
    ('/a/x\t/r/IsA\t/c/en/a\t/c/en/b\t{"weight": -1}\n', "row 2.*field 'info'.*weight >= 0"),
])
def test_conceptnet_assertions_bad_rows(tmp_path, line, message):
    path = tmp_path / "bad.csv"
    path.write_text(ROW + line)
    with pytest.raises(InputError, match=message):
        read_conceptnet_assertions(path)


def test_conceptnet_assertions_empty_missing_truncated(tmp_path):
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(InputError, match="empty"):
        read_conceptnet_assertions(tmp_path / "empty.csv")
    with pytest.raises(InputError, match="not found"):
        read_conceptnet_assertions(tmp_path / "absent.csv")
    (tmp_path / "cut.csv.bz2").write_bytes(bz2.compress((ROW * 50).encode())[:40])
    with pytest.raises(InputError, match="cut.csv.bz2"):
        read_conceptnet_assertions(tmp_path / "cut.csv.bz2")
    with pytest.raises(TypeError):
        read_conceptnet_assertions(tmp_path / "empty.csv", "en")


def test_conceptnet100k_skips_negatives_and_checks_rows(tmp_path):
    path = tmp_path / "k.txt"
    path.write_text("IsA\tbaseball\tsport\t1\nIsA\tbaseball\tfruit\t0\n")
    [fact] = read_conceptnet100k(path)
    assert fact.text == "baseball is a sport" and fact.key == "/a/[/r/IsA/,/c/en/baseball/,/c/en/sport/]"
    path.write_text("IsA\tbaseball\tsport\t1\nIsA\tbaseball\tsport\tyes\n")
    with pytest.raises(InputError, match=r"row 2 \(line 2\), field 'label'"):
        read_conceptnet100k(path)
    path.write_text("IsA\t \tsport\t1\n")
    with pytest.raises(InputError, match="row 1.*field 'head'"):
        read_conceptnet100k(path)


def entity(qid, label, description=None, claims=None, lang="en"):
    e = {"type": "item", "id": qid, "labels": {lang: {"language": lang, "value": label}},
         "aliases": {}, "descriptions": {}, "claims": claims or {}}
    if description:
        e["descriptions"]["en"] = {"language": "en", "value": description}
    return e


def test_wikidata_dump_entitydata_file_and_folder(tmp_path):
    p31 = {"type": "property", "id": "P31", "labels": {"en": {"language": "en", "value": "instance of"}}}
    claim = {"P31": [{"mainsnak": {"datavalue": {"value": {"id": "Q5"}}}}]}
    ents = [entity("Q42", "Douglas Adams", "writer", claim), entity("Q5", "human", "a person"), p31]
    dump = "[\n" + ",\n".join(json.dumps(e) for e in ents) + "\n]\n"
    with gzip.open(tmp_path / "dump.json.gz", "wt") as handle:
        handle.write(dump)
    (tmp_path / "folder").mkdir()
    for e in ents:
        (tmp_path / "folder" / f"{e['id']}.json").write_text(json.dumps({"entities": {e["id"]: e}}))
    for path in (tmp_path / "dump.json.gz", tmp_path / "folder"):
        texts = sorted(f.text for f in read_wikidata(path))
        assert texts == ["Douglas Adams instance of human", "Douglas Adams: writer", "human: a person"]
    # the multilingual default label ('mul') stands in for a missing English one
    (tmp_path / "mul.json").write_text(json.dumps({"entities": {"Q1": entity("Q1", "Universe", "all", lang="mul")}}))
    assert [f.text for f in read_wikidata(tmp_path / "mul.json")] == ["Universe: all"]


def test_wikidata_bad_input(tmp_path):
    path = tmp_path / "dump.json"
    path.write_text("[\n" + json.dumps(entity("Q1", "a", "b")) + ",\n{broken\n]\n")
    with pytest.raises(InputError, match=r"dump.json, line 3: malformed JSON"):
        read_wikidata(path)
    bad = entity("Q1", "a", "b")
    bad["aliases"] = {"en": "not a list"}
    path.write_text("[\n" + json.dumps(bad) + "\n]\n")
    with pytest.raises(InputError, match="line 2, field 'aliases'"):
        read_wikidata(path)
    path.write_text('{"entities":\n {"Q1": }}')  # an EntityData file, broken on its line 2
    with pytest.raises(InputError, match=r"dump.json, line 2: malformed JSON"):
        read_wikidata(path)
    path.write_text('{"no": "entities"}')
    with pytest.raises(InputError, match="field 'entities'"):
        read_wikidata(path)
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no .json files"):
        read_wikidata(tmp_path / "empty")


def test_hate_lexicon_formats_and_bad_rows(tmp_path):
    path = tmp_path / "lex.csv"
    path.write_text("ngram,prophate\nwhite trash,0.5\n")
    [fact] = read_hate_lexicon(path)
    assert fact.key == "white trash" and fact.weight == 0.5
    path.write_text("vocabulary_id,term,average_offensiveness\n1,slur,80\n")  # a Hatebase export
    assert read_hate_lexicon(path)[0].weight == pytest.approx(0.8)
    path.write_text("term\nslur\n")
    assert read_hate_lexicon(path)[0].weight == 1.0
    for text, message in [("word,prophate\nx,0.5\n", r"line 1, field 'ngram'"),
                          ("ngram,prophate\nx,0.5\ny,high\n", r"row 2 \(line 3\), field 'prophate'"),
                          ("ngram,prophate\nx,1.5\n", r"row 1 \(line 2\), field 'prophate'"),
                          ("ngram,prophate\n ,0.5\n", r"row 1 \(line 2\), field 'ngram'"),
                          ("ngram,prophate\nx\n", r"row 1 \(line 2\): expected 2 fields"),
                          ("ngram,prophate\n", "no data rows")]:
        path.write_text(text)
        with pytest.raises(InputError, match=message):
            read_hate_lexicon(path)
