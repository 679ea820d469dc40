"""Stage I of CROSS-ALIGN+ (papers/cross_align/enrich.py): retrieval into the intermediate file, the
enrichment text, and the per-source switches of the knowledge-source ablation."""
import json
import time
from pathlib import Path

import pandas as pd
import pytest

from papers.core.io import InputError
from papers.core.knowledge.linking import KnowledgeIndex
from papers.cross_align.enrich import (HEADER, KnowledgePaths, enrichment_text, load_facts, main, read_facts,
                                       retrieve, write_facts)

ROOT = Path(__file__).resolve().parents[1]
K = ROOT / "data" / "knowledge"
PATHS = KnowledgePaths((str(K / "conceptnet/assertions_sample.csv"),),
                       (str(K / "conceptnet/conceptnet100k_sample.txt"),),
                       (str(K / "wikidata/entities_sample.json"),),
                       (str(K / "hate_lexicon/refined_ngram_dict.clean.csv"),),
                       languages=("en", "mul"))
MEMES = pd.DataFrame({"id": ["m1", "m2", "m3"],
                      "text": ["Douglas Adams says: China is full of white trash", "the and of 2020", "a party"]})


@pytest.fixture(scope="module")
def records():
    return retrieve(MEMES, KnowledgeIndex(load_facts(PATHS)), per_source=2)


def test_retrieved_facts_carry_source_score_and_origin(records, tmp_path):
    m1 = [r for r in records if r["meme_id"] == "m1"]
    assert {r["source"] for r in m1} == {"conceptnet", "wikidata", "lexicon"}
    assert [r["rank"] for r in m1] == list(range(len(m1)))
    assert all(0 < r["score"] <= 1 and ":" in r["origin"] for r in records)
    assert not [r for r in records if r["meme_id"] == "m2"]  # nothing to link
    path = tmp_path / "facts.jsonl"
    write_facts(path, records)
    again = read_facts(path)
    assert again["m1"] == m1 and "m2" not in again
    write_facts(path, [])
    assert read_facts(path) == {}


def test_removing_a_source_changes_the_enrichment(records):
    m1 = [r for r in records if r["meme_id"] == "m1"]
    full = enrichment_text(m1)
    assert full.startswith(HEADER) and "Wikidata: Douglas Adams:" in full and "Hate lexicon:" in full
    for source in ("conceptnet", "wikidata", "lexicon"):
        kept = tuple(s for s in ("conceptnet", "wikidata", "lexicon") if s != source)
        ablated = enrichment_text(m1, kept)
        assert ablated != full
        # the other sources' lines stay exactly as they were
        assert [x for x in full.splitlines() if x in ablated.splitlines()] == ablated.splitlines()
    assert enrichment_text(m1, ()) == ""
    # switching a source off at load time gives the same facts as filtering the text
    no_wiki = retrieve(MEMES, KnowledgeIndex(load_facts(KnowledgePaths(
        PATHS.conceptnet_assertions, PATHS.conceptnet100k, PATHS.wikidata, PATHS.lexicon, PATHS.languages,
        sources=("conceptnet", "lexicon")))), per_source=2)
    assert enrichment_text([r for r in no_wiki if r["meme_id"] == "m1"]) == \
        enrichment_text(m1, ("conceptnet", "lexicon"))
    with pytest.raises(ValueError):
        enrichment_text(m1, ("dbpedia",))


def test_bad_intermediate_file_names_row_and_field(tmp_path):
    path = tmp_path / "facts.jsonl"
    good = {"meme_id": "m1", "rank": 0, "source": "lexicon", "key": "k", "phrase": "p", "fact": "f",
            "score": 0.5, "origin": "x:1"}
    path.write_text(json.dumps(good) + "\n" + json.dumps({**good, "score": 2}) + "\n")
    with pytest.raises(InputError, match=r"row 2 \(line 2\), field 'score'"):
        read_facts(path)
    path.write_text(json.dumps({**good, "source": "dbpedia"}) + "\n")
    with pytest.raises(InputError, match="row 1.*field 'source'"):
        read_facts(path)


def test_all_mini_memes_are_enriched_fast_and_deterministically(tmp_path):
    memes = pd.DataFrame([json.loads(line) for path in sorted((ROOT / "data/memes/harmeme").glob("*.jsonl"))
                          for line in path.read_text().splitlines()])
    memes = memes.assign(dataset="harm", split="train", image="x.png", label=0, label_name="")
    memes = memes[["id", "dataset", "split", "text", "image", "label", "label_name"]].drop_duplicates("id")
    memes.to_parquet(tmp_path / "memes.parquet")
    args = ["--memes", str(tmp_path / "memes.parquet"), "--conceptnet-assertions", *PATHS.conceptnet_assertions,
            "--conceptnet100k", *PATHS.conceptnet100k, "--wikidata", *PATHS.wikidata, "--lexicon", *PATHS.lexicon,
            "--languages", "en", "mul", "--per-source", "3"]
    start = time.perf_counter()
    main([*args, "--out", str(tmp_path / "a.jsonl")])
    seconds = time.perf_counter() - start
    main([*args, "--out", str(tmp_path / "b.jsonl")])
    assert (tmp_path / "a.jsonl").read_bytes() == (tmp_path / "b.jsonl").read_bytes()
    linked = read_facts(tmp_path / "a.jsonl")
    assert len(linked) > len(memes) / 2
    assert seconds < 20  # about 2 s on an idle laptop core for 2,120 memes
