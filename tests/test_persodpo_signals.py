"""Signals and quality on hand-computed cases."""
import math

import numpy as np
import pandas as pd
import pytest

from papers.core.llm.types import ScoreRequest
from papers.core.verdict import YES_NO, p_yes
from papers.persodpo.signals import (NLI_LABELS, NLI_OPTIONS, nli_classify_request, WEIGHTS, coherence_request, instructability, min_max,
                                     nli_probabilities, nli_request, persona_consistency, persona_distance,
                                     persona_entailment, persona_pairs, quality)


def test_nli_requests_put_the_response_first_and_offer_three_options():
    pairs = persona_pairs("You love hiking.", ["I love hiking.", "I have a dog."])
    assert pairs == [("You love hiking.", "I love hiking."), ("You love hiking.", "I have a dog.")]
    request = nli_request(*pairs[0])
    assert isinstance(request, ScoreRequest) and request.options == NLI_OPTIONS
    text = request.messages[-1][1]
    assert text.index("Premise: You love hiking.") < text.index("Hypothesis: I love hiking.")
    classify = nli_classify_request(*pairs[0])
    assert (classify.text, classify.text_pair, classify.labels) == (*pairs[0], NLI_LABELS)
    with pytest.raises(TypeError):
        persona_pairs("You love hiking.", "I love hiking.")
    with pytest.raises(TypeError):
        persona_pairs("You love hiking.", ["I love hiking.", None])
    with pytest.raises(TypeError):
        nli_request(None, "x")


def test_nli_probabilities_are_the_softmax_of_the_option_scores():
    p = nli_probabilities([math.log(6), math.log(3), math.log(1)])
    np.testing.assert_allclose(p, [0.6, 0.3, 0.1])
    with pytest.raises(ValueError):
        nli_probabilities([0.0, 1.0])
    with pytest.raises(ValueError):
        nli_probabilities([0.0, float("nan"), 1.0])


def test_coherence_request_is_a_yes_no_question_read_by_p_yes():
    request = coherence_request(["Hi", "Hello", "Where is it?"], "In Oslo.")
    assert request.options == YES_NO and "Assistant: Hello" in request.messages[-1][1]
    assert p_yes([[math.log(3), math.log(1)]]) == pytest.approx([0.75])
    with pytest.raises(TypeError):
        coherence_request("Hi", "In Oslo.")


def test_consistency_is_the_mean_of_plus_one_zero_minus_one():
    nli = [[0.7, 0.2, 0.1],   # entailment +1
           [0.1, 0.8, 0.1],   # neutral 0
           [0.1, 0.3, 0.6],   # contradiction -1
           [0.5, 0.1, 0.4]]   # entailment +1
    assert persona_consistency(nli) == pytest.approx((1 + 0 - 1 + 1) / 4)
    assert persona_consistency([[0.4, 0.4, 0.2]]) == 1.0  # a tie goes to the first label
    assert persona_entailment(nli) == pytest.approx(0.7)
    with pytest.raises(ValueError):
        persona_consistency([0.7, 0.2, 0.1])
    with pytest.raises(ValueError):
        persona_entailment(np.zeros((0, 3)))


def test_persona_distance_is_the_cosine():
    assert persona_distance([1.0, 0.0], [1.0, 1.0]) == pytest.approx(1 / math.sqrt(2))
    assert persona_distance([1.0, 2.0], [-2.0, 1.0]) == pytest.approx(0.0)
    with pytest.raises(ValueError):
        persona_distance([0.0, 0.0], [1.0, 1.0])
    with pytest.raises(ValueError):
        persona_distance([1.0, 0.0], [1.0, 0.0, 0.0])


@pytest.mark.parametrize("words, mean, valid, expected", [
    (40, 40.0, True, 1.3),               # on the mean, valid JSON
    (40, 40.0, False, 1.0),
    (50, 40.0, True, 1 - 0.25 ** 2 + 0.3),  # |50-40|/40 = 0.25
    (20, 40.0, False, 1 - 0.5 ** 2),
    (80, 40.0, True, 0.3),               # twice the mean: the length term is max(0, 0) = 0
    (200, 40.0, False, 0.0),
    (0, 40.0, True, 0.3),
])
def test_instructability(words, mean, valid, expected):
    assert instructability(words, mean, valid) == pytest.approx(expected)


def test_instructability_rejects_wrong_types():
    with pytest.raises(TypeError):
        instructability(4.5, 40.0, True)
    with pytest.raises(ValueError):
        instructability(4, 0.0, True)
    with pytest.raises(TypeError):
        instructability(4, 40.0, 1)


def test_min_max_over_the_rows_given():
    assert list(min_max(pd.Series([2.0, 4.0, 3.0]))) == [0.0, 1.0, 0.5]
    assert list(min_max(pd.Series([-1.0, np.nan, 1.0]))) == [0.0, 0.0, 1.0]  # a failure's NaN is the worst
    assert list(min_max(pd.Series([0.5, 0.5]))) == [0.0, 0.0]


def test_quality_by_hand():
    signals = pd.DataFrame({
        "coherence":        [0.9, 0.5, 0.1, np.nan],
        "consistency":      [1.0, 0.0, -1.0, np.nan],
        "entailment":       [0.8, 0.4, 0.0, np.nan],
        "persona_distance": [0.6, 0.2, 0.4, np.nan],
        "instructability":  [1.3, 0.3, 1.0, 0.65],
    })
    # normalised: coherence 1, .5, 0, 0; consistency 1, .5, 0, 0; entailment 1, .5, 0, 0;
    # distance 1, 0, .5, 0; instructability 1, 0, .7, .35
    expected = [1.0,
                0.14 * 0.5 + 0.20 * 0.5 + 0.18 * 0.5,
                0.16 * 0.5 + 0.32 * 0.7,
                0.32 * 0.35]
    np.testing.assert_allclose(quality(signals), expected)
    assert sum(WEIGHTS.values()) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="coherence"):
        quality(signals.drop(columns="coherence"))
    with pytest.raises(TypeError):
        quality(signals.to_dict())
