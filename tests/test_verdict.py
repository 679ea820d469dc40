"""The verdict module on hand-computed cases: P(yes), parsed verdicts, calibrated option probabilities."""
import math

import pytest

from papers.core.llm.types import Sampling, ScoreRequest, user
from papers.core.verdict import (CONTENT_FREE, YES_NO, ask_yes_no, option_probabilities, p_yes, parse_yes_no,
                                 softmax)


class Scripted:
    """Option scores looked up by the request's text; replies by the chat's text; records every call."""

    def __init__(self, scores=None, replies=None):
        self.scores, self.replies, self.calls = scores or {}, replies or {}, []

    def score(self, requests):
        self.calls.append(("score", list(requests)))
        return [self.scores[r.messages[-1][1]] for r in requests]

    def generate(self, requests):
        self.calls.append(("generate", list(requests)))
        return [self.replies[r.messages[-1][1]] for r in requests]


def test_p_yes_is_the_two_way_softmax():
    assert p_yes([(math.log(0.8), math.log(0.2))]) == pytest.approx([0.8])
    assert p_yes([(0.0, 0.0), (1.0, 0.0)]) == [0.5, 1 / (1 + math.exp(-1.0))]
    assert p_yes([]) == []


def test_parse_yes_no_reads_the_first_answer_word():
    assert parse_yes_no("Yes, it is unsafe.") is True and parse_yes_no("Answer: NO.") is False
    assert parse_yes_no("No. Well, yes.") is False
    assert parse_yes_no("Yesterday I saw nothing") is None and parse_yes_no("") is None


def test_parse_yes_no_after_a_label():
    assert parse_yes_no("Verdict: yes, because", "Verdict") is True
    assert parse_yes_no("VERDICT : No", "Verdict") is False
    assert parse_yes_no("Yes. I think so", "Verdict") is None  # no labelled line


def test_ask_yes_no_by_score_asks_yes_and_no():
    model = Scripted(scores={"q1": [math.log(0.9), math.log(0.1)], "q2": [0.0, 0.0]})
    p, replies = ask_yes_no(model, [user("q1"), user("q2")], "score", Sampling())
    assert p == pytest.approx([0.9, 0.5]) and replies == ["", ""]
    kind, requests = model.calls[0]
    assert len(model.calls) == 1 and kind == "score" and all(r.options == YES_NO for r in requests)


def test_ask_yes_no_parsed_gives_one_zero_or_nan():
    model = Scripted(replies={"a": "Verdict: Yes", "b": "verdict: no", "c": "Hmm"})
    sampling = Sampling(temperature=0.0, max_new_tokens=8, seed=42)
    p, replies = ask_yes_no(model, [user(t) for t in "abc"], "parsed", sampling, label="Verdict")
    assert p[:2] == [1.0, 0.0] and math.isnan(p[2]) and replies == ["Verdict: Yes", "verdict: no", "Hmm"]
    assert all(r.sampling == sampling for r in model.calls[0][1])
    with pytest.raises(ValueError, match="verdict mode 'vote'"):
        ask_yes_no(model, [user("a")], "vote", sampling)


def test_softmax_matches_hand_computation():
    assert softmax([math.log(1), math.log(3)]) == pytest.approx([0.25, 0.75])
    assert sum(softmax([-1000.0, -1001.0, -1002.0])) == pytest.approx(1.0)  # no underflow


def request(text):
    return ScoreRequest(user(text), ("A", "B"))


def test_option_probabilities_without_calibration_asks_no_content_free_request():
    model = Scripted(scores={"x": [math.log(1), math.log(3)]})
    probs = option_probabilities(model, [request("x")], "none", [request(CONTENT_FREE)])
    assert probs == [pytest.approx([0.25, 0.75])] and len(model.calls) == 1


def test_content_free_calibration_subtracts_each_distinct_baseline_once():
    # Raw 1:3 for "x" against a content-free prior of 1:3 -> calibrated 1:1; "y" has its own prior.
    model = Scripted(scores={"x": [math.log(1), math.log(3)], CONTENT_FREE: [math.log(1), math.log(3)],
                             "y": [math.log(2), math.log(1)], "y-free": [math.log(1), math.log(2)]})
    probs = option_probabilities(model, [request("x"), request("y"), request("x")], "content_free",
                                 [request(CONTENT_FREE), request("y-free"), request(CONTENT_FREE)])
    assert probs[0] == pytest.approx([0.5, 0.5]) and probs[2] == probs[0]
    assert probs[1] == pytest.approx([0.8, 0.2])  # (2/1) / (1/2) = 4 : 1
    (first, free), (second, asked) = model.calls
    assert first == second == "score" and [r.messages[-1][1] for r in free] == [CONTENT_FREE, "y-free"]
    assert len(asked) == 3


def test_option_probabilities_rejects_bad_arguments():
    with pytest.raises(ValueError, match="calibration must be one of"):
        option_probabilities(Scripted(), [request("x")], "zhao", [request(CONTENT_FREE)])
    with pytest.raises(ValueError, match="1 requests but 0 content-free"):
        option_probabilities(Scripted(), [request("x")], "none", [])


def test_content_free_request_may_offer_more_options_matched_by_name():
    # "x" offers B only against a content-free request with A and B: B's own baseline is subtracted
    model = Scripted(scores={"x": [math.log(2), math.log(1)], CONTENT_FREE: [math.log(1), math.log(2), math.log(4)]})
    free = ScoreRequest(user(CONTENT_FREE), ("A", "B", "C"))
    probs = option_probabilities(model, [ScoreRequest(user("x"), ("B", "C"))], "content_free", [free])
    assert probs == [pytest.approx([0.8, 0.2])]  # (2/2) : (1/4) = 4 : 1
    with pytest.raises(ValueError, match=r"options \['D'\] not in its content-free request"):
        option_probabilities(model, [ScoreRequest(user("x"), ("B", "D"))], "content_free", [free])
