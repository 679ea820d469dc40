"""Reclassification and its counts on a hand-computed case."""
import math
from pathlib import Path

import pandas as pd
import pytest

from papers.core.construct.counts import table_classifier_agreement, table_domain_counts
from papers.core.construct.reclassify import NONE_OPTION, classification_request, labels_at, reclassify
from papers.core.taxonomy import Domain, Taxonomy

TAX = Taxonomy((Domain("safety", "s1", "S one", "S one", 10), Domain("safety", "s2", "S two", "S two", 20),
                Domain("value", "v1", "V one", "V one", 30)))


class ByPrompt:
    """Scores per (prompt, dimension), read from the request text."""

    def __init__(self, table):
        self.table = table

    def score(self, requests):
        out = []
        for r in requests:
            text = r.messages[-1][1]
            prompt = text.split('"')[1]
            dim = "safety" if "safety" in text else "value"
            out.append(self.table[(prompt, dim)])
        return out


class OneAxis:
    """Every text embeds to the same vector: the nearest name is the first domain of each dimension."""

    def embed(self, requests):
        return [[1.0, 0.0] for _ in requests]


def test_request_lists_every_domain_of_the_dimension_and_none():
    r = classification_request("hi", "safety", TAX)
    assert r.options == ("S one", "S two", NONE_OPTION)
    assert '"hi"' in r.messages[-1][1]


def test_reclassify_keeps_labels_at_delta():
    # a: safety options (s1, s2, none) with probabilities 0.6, 0.3, 0.1; value (v1, none) 0.2, 0.8
    # b: safety 0.1, 0.1, 0.8; value 0.5, 0.5 (exactly delta: kept)
    ln = math.log
    table = {("a", "safety"): [ln(.6), ln(.3), ln(.1)], ("a", "value"): [ln(.2), ln(.8)],
             ("b", "safety"): [ln(.1), ln(.1), ln(.8)], ("b", "value"): [ln(.5), ln(.5)]}
    pool = pd.DataFrame({"prompt_id": ["A", "B"], "prompt": ["a", "b"], "gold_domains": [["s1"], ["s2", "v1"]]})
    out = reclassify(pool, TAX, ByPrompt(table), delta=0.5)
    got = {(r.prompt_id, r.domain): round(r.probability, 6) for r in out.itertuples()}
    assert got == {("A", "s1"): 0.6, ("A", "s2"): 0.3, ("A", "v1"): 0.2,
                   ("B", "s1"): 0.1, ("B", "s2"): 0.1, ("B", "v1"): 0.5}
    assert labels_at(out, 0.5) == {"A": ["s1"], "B": ["v1"]}
    assert labels_at(out, 0.25) == {"A": ["s1", "s2"], "B": ["v1"]}

    counts = table_domain_counts(pool, out, TAX, 0.5)
    assert counts["Classified"].tolist() == [1, 0, 1]
    assert counts["Gold (pool)"].tolist() == [1, 1, 1]
    assert counts["Agree with gold"].tolist() == [1, 0, 1]
    agreement = table_classifier_agreement(pool, out, TAX, 0.5, OneAxis()).set_index(["Dimension", "Method"])
    assert agreement.loc[("safety", "classifier"), "Precision"] == 1.0
    assert agreement.loc[("safety", "classifier"), "Recall"] == 0.5
    assert agreement.loc[("value", "classifier"), ["Precision", "Recall"]].tolist() == [1.0, 1.0]


def test_content_free_calibration_divides_out_the_prior():
    # The content-free request "N/A" gets safety probabilities 0.5, 0.25, 0.25 (a prior for s1).
    # Prompt a scores 0.4, 0.4, 0.2: raw, s1 and s2 tie below delta; calibrated, s2 wins:
    # 0.4/0.5 : 0.4/0.25 : 0.2/0.25 = 0.8 : 1.6 : 0.8 -> 0.25, 0.5, 0.25.
    ln = math.log
    table = {("a", "safety"): [ln(.4), ln(.4), ln(.2)], ("a", "value"): [ln(.5), ln(.5)],
             ("N/A", "safety"): [ln(.5), ln(.25), ln(.25)], ("N/A", "value"): [ln(.5), ln(.5)]}
    pool = pd.DataFrame({"prompt_id": ["A"], "prompt": ["a"], "gold_domains": [["s2"]]})
    raw = reclassify(pool, TAX, ByPrompt(table), delta=0.5).set_index("domain")["probability"]
    assert raw.to_dict() == pytest.approx({"s1": 0.4, "s2": 0.4, "v1": 0.5})
    cal = reclassify(pool, TAX, ByPrompt(table), delta=0.5, calibration="content_free")
    assert cal.set_index("domain")["probability"].to_dict() == pytest.approx({"s1": 0.25, "s2": 0.5, "v1": 0.5})
    assert labels_at(cal, 0.5) == {"A": ["s2", "v1"]}


def test_delta_out_of_range_is_refused():
    with pytest.raises(ValueError, match="delta"):
        reclassify(pd.DataFrame({"prompt_id": [], "prompt": []}), TAX, ByPrompt({}), delta=0)


class ByOption:
    """Log-likelihood per (prompt, option name), whatever the other options (as the hf backend scores
    each option alone after the shared prompt); records the option sets it was asked."""

    def __init__(self, table):
        self.table, self.asked = table, []

    def score(self, requests):
        self.asked += [r.options for r in requests]
        return [[self.table[(r.messages[-1][1].split('"')[1], o)] for o in r.options] for r in requests]


class Near:
    """Prompt "a" is nearest "S two" among safety names; every text is nearest "V one" among value names."""

    def embed(self, requests):
        vectors = {"a": [0.0, 1.0], "N/A": [0.0, 1.0], "S one": [1.0, 0.0], "S two": [0.0, 1.0]}
        return [vectors.get(r.input, [0.6, 0.8]) for r in requests]


def test_shortlist_offers_the_nearest_domain_and_none_calibrated_by_name():
    ln = math.log
    table = {("a", "S one"): ln(.1), ("a", "S two"): ln(.3), ("a", "V one"): ln(.2), ("a", NONE_OPTION): ln(.1),
             # content-free: a prior for "None of these" and against "S two"
             ("N/A", "S one"): ln(.2), ("N/A", "S two"): ln(.1), ("N/A", "V one"): ln(.2),
             ("N/A", NONE_OPTION): ln(.4)}
    pool = pd.DataFrame({"prompt_id": ["A"], "prompt": ["a"], "gold_domains": [["s2"]]})
    model = ByOption(table)
    out = reclassify(pool, TAX, model, delta=0.5, calibration="content_free", shortlist=1, embedder=Near())
    # one content-free request per dimension with every domain, then one shortlist per (prompt, dimension)
    assert model.asked == [("S one", "S two", NONE_OPTION), ("V one", NONE_OPTION),
                           ("S two", NONE_OPTION), ("V one", NONE_OPTION)]
    # safety: S two 0.3/0.1 = 3 against None 0.1/0.4 = 0.25 -> 12/13; s1 not offered -> 0
    # value: V one 0.2/0.2 = 1 against None 0.25 -> 0.8
    got = out.set_index("domain")["probability"].to_dict()
    assert got == pytest.approx({"s1": 0.0, "s2": 12 / 13, "v1": 0.8})
    assert labels_at(out, 0.5) == {"A": ["s2", "v1"]}


def test_shortlist_needs_an_embedder():
    with pytest.raises(ValueError, match="embedder"):
        reclassify(pd.DataFrame({"prompt_id": ["A"], "prompt": ["a"]}), TAX, ByPrompt({}), 0.5, shortlist=1)
