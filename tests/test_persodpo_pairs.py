"""Quality pairs (60th / 40th quantiles per prompt), standard and simple pairs, on hand cases."""
import math

import numpy as np
import pandas as pd
import pytest

from papers.persodpo.pairs import preference_records, quality_pairs, simple_pairs, standard_pairs


def candidates(prompt_qualities: dict[str, list[float]], failed: set[str] = frozenset()) -> pd.DataFrame:
    rows = [{"prompt_id": p, "candidate_id": f"{p}.{i}", "failure": f"{p}.{i}" in failed, "quality": q}
            for p, qs in prompt_qualities.items() for i, q in enumerate(qs)]
    return pd.DataFrame(rows)


def as_set(pairs):
    return set(zip(pairs["chosen_id"], pairs["rejected_id"]))


def test_five_distinct_qualities():
    # linear quantiles of [0.1, 0.3, 0.5, 0.7, 0.9]: 40th = 0.1 + 0.4 * 4 * 0.2 = 0.42, 60th = 0.58
    pairs = quality_pairs(candidates({"p": [0.5, 0.1, 0.9, 0.3, 0.7]}))
    assert as_set(pairs) == {("p.2", "p.1"), ("p.2", "p.3"), ("p.4", "p.1"), ("p.4", "p.3")}
    row = pairs.set_index(["chosen_id", "rejected_id"]).loc[("p.2", "p.1")]
    assert row.weight == pytest.approx(1 / (1 + math.exp(-0.8)))
    assert (pairs["kind"] == "quality").all()


def test_ties_at_a_quantile_are_all_in_and_equal_qualities_make_no_pair():
    # [0.1, 0.5, 0.5, 0.9]: both quantiles are 0.5, so the two 0.5s are chosen and rejected at once;
    # they pair with 0.1 (below) and 0.9 pairs with them, never with each other or themselves
    q = [0.1, 0.5, 0.5, 0.9]
    assert np.quantile(q, 0.4) == pytest.approx(0.5) and np.quantile(q, 0.6) == pytest.approx(0.5)
    pairs = quality_pairs(candidates({"p": q}))
    assert as_set(pairs) == {("p.1", "p.0"), ("p.2", "p.0"), ("p.3", "p.0"), ("p.3", "p.1"), ("p.3", "p.2")}
    # a tie at the top: both candidates at the 60th quantile are chosen
    assert as_set(quality_pairs(candidates({"p": [0.2, 0.4, 0.8, 0.8]}))) == {
        ("p.2", "p.0"), ("p.3", "p.0"), ("p.2", "p.1"), ("p.3", "p.1")}


def test_prompts_without_pairs():
    assert quality_pairs(candidates({"p": [0.7]})).empty                       # one candidate
    assert quality_pairs(candidates({"p": [0.3, 0.3, 0.3]})).empty             # all equal
    failing = candidates({"p": [0.1, 0.2, 0.05]}, failed={"p.0", "p.1", "p.2"})
    assert quality_pairs(failing).empty and simple_pairs(failing).empty        # every candidate failed
    assert list(quality_pairs(candidates({"p": [0.7]})).columns)[-1] == "kind"


def test_a_failure_is_rejected_never_chosen_and_prompts_stay_apart():
    # a: 40th quantile 0.56, 60th 0.82 (the failure a.2 counts in the quantiles); b: 0.54 and 0.56
    table = candidates({"a": [0.1, 0.2, 0.9, 0.8, 0.85], "b": [0.5, 0.6]}, failed={"a.2"})
    pairs = quality_pairs(table)
    assert "a.2" not in set(pairs["chosen_id"])
    assert as_set(pairs) == {("a.4", "a.0"), ("a.4", "a.1"), ("b.1", "b.0")}
    assert (pairs["prompt_id"].str[0] == pairs["chosen_id"].str[0]).all()


def test_standard_and_simple_pairs():
    table = candidates({"a": [0.1, 0.9, 0.8, 0.4], "b": [0.5, 0.6]}, failed={"a.0", "a.3"})
    standard = standard_pairs(table)
    assert as_set(standard) == as_set(quality_pairs(table))
    assert (standard["weight"] == 1.0).all() and (standard["kind"] == "standard").all()
    simple = simple_pairs(table)
    assert as_set(simple) == {("a.1", "a.0"), ("a.1", "a.3"), ("a.2", "a.0"), ("a.2", "a.3")}
    assert (simple["weight"] == 1.0).all() and (simple["kind"] == "simple").all()


def test_input_checks():
    with pytest.raises(TypeError):
        quality_pairs([{"prompt_id": "p"}])
    with pytest.raises(ValueError, match="quality"):
        quality_pairs(pd.DataFrame({"prompt_id": ["p"], "candidate_id": ["c"], "failure": [False]}))
    with pytest.raises(ValueError, match="unique"):
        quality_pairs(pd.concat([candidates({"p": [0.1]})] * 2))
    with pytest.raises(ValueError, match="needs a quality"):
        quality_pairs(candidates({"p": [0.1, float("nan")]}))
    with pytest.raises(ValueError, match="lower"):
        quality_pairs(candidates({"p": [0.1]}), upper=0.3, lower=0.5)


def test_preference_records_carry_the_raw_replies_and_the_weight():
    table = candidates({"p": [0.2, 0.9]})
    pairs = quality_pairs(table)
    replies = {"p.0": "not json", "p.1": '{"response": "Hi."}'}
    (record,) = preference_records(pairs, {"p": "Say hi."}, replies)
    assert record == {"prompt": [{"role": "user", "content": "Say hi."}],
                      "chosen": [{"role": "assistant", "content": '{"response": "Hi."}'}],
                      "rejected": [{"role": "assistant", "content": "not json"}],
                      "weight": pytest.approx(1 / (1 + math.exp(-0.7)))}
