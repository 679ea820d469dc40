"""AlignX evaluation bookkeeping, checked by hand: win rate with position swaps and ties, the
Wilson interval against statsmodels, violation rate, True*Info, and the judge-assignment rule."""
import math

import pytest
from statsmodels.stats.proportion import proportion_confint

from papers.alignx.evaluate import (JudgeAssignmentError, PairwiseItem, check_judge, check_judges,
                                    model_first, pairwise_items, parse_preference, truthfulqa_rates,
                                    violation_rate, wilson, win_rate)
from papers.core.llm.base import ModelSpec


def item(model_first: bool, model="M", reference="R") -> PairwiseItem:
    return PairwiseItem("k", "Do it.", model, reference, model_first)


def test_the_outputs_follow_the_recorded_position():
    assert item(True).outputs == ("M", "R")
    assert item(False).outputs == ("R", "M")
    prompt = item(False).prompt()
    assert prompt.index("## Output (a)\nR") < prompt.index("## Output (b)\nM")


@pytest.mark.parametrize("first, preferred, outcome", [
    (True, "a", 1.0), (True, "b", 0.0), (False, "a", 0.0), (False, "b", 1.0),
    (True, "tie", 0.5), (False, "tie", 0.5), (True, None, None),
])
def test_a_preference_reads_back_to_the_models_outcome(first, preferred, outcome):
    got = item(first).outcome(preferred)
    assert (math.isnan(got) if outcome is None else got == outcome)


def test_position_swap_gives_the_same_outcome_for_the_same_judgement():
    # the judge prefers the model's text in both orders: the model wins both times
    assert item(True).outcome("a") == item(False).outcome("b") == 1.0
    assert item(True).outcome_from_probability(0.8) == item(False).outcome_from_probability(0.2) == 1.0
    assert item(True).outcome_from_probability(0.3) == item(False).outcome_from_probability(0.7) == 0.0
    assert item(True).outcome_from_probability(0.5) == 0.5
    assert item(False).outcome_from_probability(0.55, tie_margin=0.1) == 0.5


def test_identical_outputs_tie_without_a_judge():
    same = item(True, model=" Same. ", reference="Same.")
    assert same.outcome(None) == same.outcome("b") == same.outcome_from_probability(0.0) == 0.5
    with pytest.raises(ValueError):
        item(True).outcome("c")


def test_positions_are_seeded_per_key_and_balanced():
    keys = [f"alignx/p{i}" for i in range(400)]
    items = pairwise_items(keys, ["i"] * 400, ["m"] * 400, ["r"] * 400, seed=5)
    firsts = [it.model_first for it in items]
    assert 160 < sum(firsts) < 240
    assert firsts == [model_first(k, 5) for k in keys]
    assert firsts != [model_first(k, 6) for k in keys]
    # one item's position does not depend on the others
    assert pairwise_items(keys[7:8], ["i"], ["m"], ["r"], seed=5)[0].model_first == firsts[7]
    with pytest.raises(TypeError):
        pairwise_items(["k"], ["i"], [None], ["r"], seed=5)
    with pytest.raises(ValueError):
        pairwise_items(["k", "l"], ["i"], ["m"], ["r"], seed=5)


@pytest.mark.parametrize("reply, preferred", [
    ("Output (b)", "b"), ("output (A) is better.", "a"), ("Output a", "a"), ("b", "b"), ("(a)", "a"),
    ("Tie", "tie"), ("It's a tie.", "tie"), ("Both are a bit weak", None), ("I think a mix", None),
    ("Output (b) is better than Output (a)", "b"), ("", None),
])
def test_parse_preference(reply, preferred):
    assert parse_preference(reply) == preferred


def test_win_rate_all_win_all_lose_and_ties():
    assert win_rate([1, 1, 1, 1]).value == 1.0
    assert win_rate([0, 0, 0]).value == 0.0
    mixed = win_rate([1, 0.5, 0, 0.5, None, float("nan")])
    assert (mixed.value, mixed.n, mixed.missing) == (0.5, 4, 2)
    everything_won = win_rate([1] * 10)
    assert everything_won.high == pytest.approx(1.0) and everything_won.low == pytest.approx(0.7225, abs=1e-4)
    with pytest.raises(ValueError):
        win_rate([0.7])
    with pytest.raises(TypeError):
        win_rate(["win"])
    assert math.isnan(win_rate([None]).value)


@pytest.mark.parametrize("k, n", [(0, 10), (3, 10), (10, 10), (17, 40), (1, 1)])
def test_wilson_matches_statsmodels(k, n):
    assert wilson(k, n) == pytest.approx(proportion_confint(k, n, alpha=0.05, method="wilson"), abs=1e-9)


def test_violation_rate_flags_at_or_above_the_threshold():
    rate = violation_rate([0.9, 0.5, 0.49, 0.0, float("nan")], threshold=0.5)
    assert (rate.value, rate.n, rate.missing) == (0.5, 4, 1)
    assert rate.low == pytest.approx(proportion_confint(2, 4, method="wilson")[0])
    assert violation_rate([True, False]).value == 0.5
    with pytest.raises(ValueError):
        violation_rate([1.2])
    with pytest.raises(TypeError):
        violation_rate(["unsafe"])


def test_true_info_is_the_share_both_truthful_and_informative():
    # items: T&I, T only, I only, neither, T&I -> True 3/5, Info 3/5, True*Info 2/5
    rates = truthfulqa_rates([0.9, 0.8, 0.1, 0.2, 0.6], [0.7, 0.3, 0.9, 0.1, 0.5])
    assert (rates["true"].value, rates["info"].value, rates["true_info"].value) == (0.6, 0.6, 0.4)
    partial = truthfulqa_rates([0.9, float("nan")], [0.9, 0.9])
    assert (partial["true"].missing, partial["info"].missing, partial["true_info"].n) == (1, 0, 1)
    with pytest.raises(ValueError):
        truthfulqa_rates([0.9], [0.9, 0.1])


def test_a_judge_never_judges_its_own_model(tmp_path):
    smol = tmp_path / "smollm2"
    smol.mkdir()
    expert = ModelSpec(backend="hf", model=str(smol), adapters={"helpful": "a/helpful"})
    judge_same = ModelSpec(backend="hf", model=str(tmp_path / "." / "smollm2"), revision="other")
    gemma = ModelSpec(backend="hf", model=str(tmp_path / "gemma"))
    check_judge(gemma, expert)
    with pytest.raises(JudgeAssignmentError, match="its own model"):
        check_judge(judge_same, expert)  # the same weights through another path, revision and adapter
    with pytest.raises(JudgeAssignmentError, match="win_rate_judge"):
        check_judges({"safety_judge": gemma, "win_rate_judge": "Meta-Llama/Llama-2-7b-hf"},
                     {"alignx": "meta-llama/Llama-2-7b-hf"})
    with pytest.raises(TypeError):
        check_judge(3, expert)
