"""The classifier agreement table and its two baselines on hand-computed cases."""
import math

import pandas as pd
import pytest

from papers.core.construct.agreement import (agreement_table, label_scores, most_frequent_labels,
                                             nearest_name_labels, split_halves)
from papers.core.construct.counts import table_classifier_agreement
from papers.core.taxonomy import Domain, Taxonomy

TAX = Taxonomy((Domain("safety", "s1", "S one", "Theft", 1), Domain("safety", "s2", "S two", "Violence", 1),
                Domain("value", "v1", "V one", "Honesty", 1), Domain("value", "v2", "V two", "Care", 1)))
# prompts A-D; C has no safety label, D no label at all
GOLD = {"A": ["s1", "v1"], "B": ["s2", "v1"], "C": ["v2"], "D": []}
# unit vectors per text: theft-like along x, violence-like along y, honesty along z, care along w
VECTORS = {"Theft": (1, 0, 0, 0), "Violence": (0, 1, 0, 0), "Honesty": (0, 0, 1, 0), "Care": (0, 0, 0, 1),
           "steal honestly": (.8, 0, .6, 0), "hit kindly": (0, .6, 0, .8), "hit honestly": (0, .8, .6, 0),
           "plain": (.6, 0, 0, .8)}
PROMPTS = {"A": "steal honestly", "B": "hit kindly", "C": "hit honestly", "D": "plain"}


class FakeEmbedder:
    def embed(self, requests):
        return [VECTORS[r.input] for r in requests]


def test_most_frequent_gives_every_prompt_the_top_domain_of_each_dimension():
    # safety: s1 once, s2 once -> tie, taxonomy order keeps s1; value: v1 twice
    assert most_frequent_labels(GOLD, TAX, ["A", "X"]) == {"A": ["s1", "v1"], "X": ["s1", "v1"]}
    # a dimension without any gold label gets nothing
    assert most_frequent_labels({"A": ["v2"]}, TAX, ["A"]) == {"A": ["v2"]}


def test_nearest_name_takes_the_highest_cosine_per_dimension():
    labels = nearest_name_labels(PROMPTS, TAX, FakeEmbedder())
    assert labels == {"A": ["s1", "v1"], "B": ["s2", "v2"], "C": ["s2", "v1"], "D": ["s1", "v2"]}


def test_micro_scores_by_hand():
    scores = label_scores(nearest_name_labels(PROMPTS, TAX, FakeEmbedder()), GOLD, TAX).set_index("Dimension")
    # safety: predicted s1 s2 s2 s1, gold s1 s2 - - -> 2 right of 4 predicted, 2 gold
    assert scores.loc["safety", ["Agree", "Kept labels", "Gold labels"]].tolist() == [2, 4, 2]
    assert scores.loc["safety", "Precision"] == 0.5 and scores.loc["safety", "Recall"] == 1.0
    assert scores.loc["safety", "F1"] == pytest.approx(2 / 3)
    # value: predicted v1 v2 v1 v2, gold v1 v1 v2 - -> A right only: P 1/4, R 1/3, F1 2/7
    assert scores.loc["value", "F1"] == pytest.approx(2 * 1 / (4 + 3))
    # nothing predicted: precision undefined, recall 0, F1 0
    none = label_scores({}, GOLD, TAX).set_index("Dimension")
    assert math.isnan(none.loc["safety", "Precision"]) and none.loc["safety", "Recall"] == 0
    assert none.loc["safety", "F1"] == 0


def test_the_table_has_three_rows_per_dimension_classifier_first():
    classified = pd.DataFrame([("A", "safety", "s1", .9, True), ("A", "safety", "s2", .1, False),
                               ("B", "value", "v1", .6, True), ("C", "value", "v1", .2, False)],
                              columns=["prompt_id", "dimension", "domain", "probability", "kept"])
    pool = pd.DataFrame({"prompt_id": list(PROMPTS), "prompt": list(PROMPTS.values()),
                         "gold_domains": [GOLD[p] for p in PROMPTS]})
    table = table_classifier_agreement(pool, classified, TAX, 0.5, FakeEmbedder())
    assert table[["Dimension", "Method"]].values.tolist() == [
        ["safety", "classifier"], ["safety", "most frequent"], ["safety", "nearest name"],
        ["value", "classifier"], ["value", "most frequent"], ["value", "nearest name"]]
    rows = table.set_index(["Dimension", "Method"])
    # classifier: safety A:s1 right (P 1, R 1/2, F1 2/3); value B:v1 right (P 1, R 1/3, F1 1/2)
    assert rows.loc[("safety", "classifier"), "F1"] == pytest.approx(2 / 3)
    assert rows.loc[("value", "classifier"), "F1"] == pytest.approx(1 / 2)
    # most frequent: s1 x4 (1 right, 2 gold: F1 2/6); v1 x4 (2 right, 3 gold: F1 4/7)
    assert rows.loc[("safety", "most frequent"), "F1"] == pytest.approx(1 / 3)
    assert rows.loc[("value", "most frequent"), "F1"] == pytest.approx(4 / 7)


def test_table_without_gold_embeds_nothing():
    class NoEmbedder:
        def embed(self, requests):
            raise AssertionError("a pool without gold labels needs no embeddings")

    pool = pd.DataFrame({"prompt_id": ["A"], "prompt": ["x"], "gold_domains": [[]]})
    classified = pd.DataFrame([("A", "safety", "s1", .9, True)],
                              columns=["prompt_id", "dimension", "domain", "probability", "kept"])
    table = table_classifier_agreement(pool, classified, TAX, 0.5, NoEmbedder())
    assert len(table) == 6 and table["Recall"].isna().all()


def test_split_is_seeded_disjoint_and_order_free():
    ids = [f"p{i}" for i in range(11)]
    tune, held = split_halves(ids, 42)
    assert (tune, held) == split_halves(list(reversed(ids)), 42)
    assert len(tune) == 5 and len(held) == 6 and not set(tune) & set(held)
    assert split_halves(ids, 43) != (tune, held)


def test_agreement_table_keeps_method_order():
    table = agreement_table({"b": {}, "a": {}}, GOLD, TAX)
    assert table["Method"].tolist() == ["b", "a", "b", "a"]
