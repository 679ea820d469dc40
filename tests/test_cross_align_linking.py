"""Entity and phrase linking (papers/core/knowledge/linking.py) on hand-written texts whose right links
are known, over the vendored knowledge subsets (data/knowledge/)."""
import random
from pathlib import Path

import pytest

from papers.core.knowledge.linking import (SINGULAR_FACTOR, KnowledgeIndex, join, link, normalise, select,
                                           singular, tokens)
from papers.core.knowledge.sources import (read_conceptnet100k, read_conceptnet_assertions, read_hate_lexicon,
                                           read_wikidata)

DATA = Path(__file__).resolve().parents[1] / "data" / "knowledge"


def facts(languages=None):
    return (read_conceptnet_assertions(DATA / "conceptnet/assertions_sample.csv", languages)
            + read_conceptnet100k(DATA / "conceptnet/conceptnet100k_sample.txt")
            + read_wikidata(DATA / "wikidata/entities_sample.json", languages)
            + read_hate_lexicon(DATA / "hate_lexicon/refined_ngram_dict.clean.csv"))


@pytest.fixture(scope="module")
def everything():
    return KnowledgeIndex(facts())


@pytest.fixture(scope="module")
def english():
    return KnowledgeIndex(facts(("en", "mul")))


def linked(text, index, source=None):
    return {(x.fact.source, x.fact.key, x.phrase) for x in link(text, index)
            if source is None or x.fact.source == source}


def test_tokens_normalise_case_width_apostrophes_and_split_cjk():
    assert tokens("ＣＨＩＮＡ Don’t  STOP!") == ["china", "don't", "stop"]
    assert tokens("科学者はテスト") == ["科", "学", "者", "は", "テ", "ス", "ト"]
    assert join(("科", "学", "者")) == "科学者" and join(("white", "trash")) == "white trash"
    assert normalise("Straße") == "strasse"  # case folding, not just lower()
    assert [singular(w) for w in ("parties", "masks", "virus", "glass", "bus", "this")] == \
        ["party", "mask", "virus", "glass", "bus", "this"]


def test_known_entities_link_to_their_facts(english):
    # a ConceptNet-100k triple, a Wikidata item by its English label, a lexicon n-gram
    china = "/a/[/r/IsA/,/c/en/china/,/c/en/country/]"
    assert ("conceptnet", china, "china") in linked("Made in China", english)
    assert ("wikidata", "Q42", "douglas adams") in linked("Douglas Adams wrote this", english)
    assert ("wikidata", "Q53713", "olof palme") in linked("olof palme said", english)
    assert ("lexicon", "white trash", "white trash") in linked("such white trash", english)
    assert [x.fact.text for x in link("Made in CHINA", english) if x.fact.key == china] == ["china is a country"]


def test_text_with_no_entity_links_nothing(english):
    assert link("", english) == []
    assert link("this is it, and they were so 2020", english) == []  # stop words and numbers only
    assert "this" in {n for f in facts() for n in f.names}           # though ConceptNet has "this"


def test_text_in_another_script(everything, english):
    # Cyrillic: Douglas Adams' Russian label, linked when every language's names are loaded
    russian = "Дуглас Адамс написал книгу"
    assert ("wikidata", "Q42", "дуглас адамс") in linked(russian, everything)
    assert link(russian, english) == []
    # Japanese, no spaces: both ConceptNet concepts of 科学者 -CapableOf-> テスト are found in the run
    found = linked("科学者はテストを受ける", everything, "conceptnet")
    assert ("conceptnet", "/a/[/r/CapableOf/,/c/ja/科学者/,/c/ja/テスト/]", "科学者") in found
    assert {p for _, _, p in found} == {"科学者", "テスト"}


def test_longest_match_wins_within_a_source_only(english):
    found = linked("full of white trash", english)
    lexicon = {p for s, _, p in found if s == "lexicon"}
    assert lexicon == {"full of white trash"}                   # hides "white trash", "of white"...
    assert ("conceptnet", "/a/[/r/HasProperty/,/c/en/paper/,/c/en/white/]", "white") in found  # other source


def test_plural_links_through_singular_at_a_lower_score(english):
    exact = [x for x in link("a party", english) if x.fact.text == "party is fun"]
    plural = [x for x in link("two parties", english) if x.fact.text == "party is fun"]
    assert exact and plural and plural[0].phrase == "parties"
    assert plural[0].score == pytest.approx(exact[0].score * SINGULAR_FACTOR)


def test_scores_and_ranking_are_deterministic(english):
    text = "Stay at home, China and the president: white trash, all white people at the party"
    links = link(text, english)
    # score = weight x n / (n + 1): the two-token lexicon match "white trash" (prophate 0.507)
    trash = next(x for x in links if x.fact.key == "white trash")
    assert trash.score == pytest.approx(0.507 * 2 / 3)
    first = select(links, 2)
    for seed in range(5):
        shuffled = links[:]
        random.Random(seed).shuffle(shuffled)
        assert select(shuffled, 2) == first
    assert [x.score for x in first] == sorted((x.score for x in first), reverse=True)
    by_source = {}
    for x in first:
        by_source[x.fact.source] = by_source.get(x.fact.source, 0) + 1
    assert max(by_source.values()) <= 2 and set(by_source) == {"conceptnet", "lexicon"}


def test_wrong_kinds_are_rejected(english):
    with pytest.raises(TypeError):
        link(b"bytes", english)
    with pytest.raises(TypeError):
        link("text", facts())
    with pytest.raises(TypeError):
        KnowledgeIndex(("not", "facts"))
    with pytest.raises(ValueError):
        select([], -1)
