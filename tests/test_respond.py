"""Two-stage rejection sampling on scripted models: every decision, critique and round is checked."""
import math

import pandas as pd
import pytest

from papers.core.construct.respond import (Judge, ResponseSettings, build_responses, format_problem,
                                           kept_responses, length_problem)
from papers.core.taxonomy import Domain

THEFT = Domain("safety", "theft", "Theft", "Theft", 1)


class ScriptedGenerator:
    """Replies looked up by (prompt, kind, round); records the requests it saw."""

    def __init__(self, script):
        self.script, self.requests = script, []

    def generate(self, requests):
        self.requests += requests
        out = []
        for r in requests:
            kind = "aligned" if r.messages[0][1].startswith("Answer") else "misaligned"
            out.append(self.script[(r.messages[-1][1], kind, r.sample_index)])
        return out


class KeywordJudge:
    """P(yes) = 0.9 when the response says GOOD, 0.2 otherwise; critiques and verdicts by generation."""

    def __init__(self, verdict_replies=None):
        self.verdict_replies = verdict_replies or {}

    def score(self, requests):
        return [[math.log(.9), math.log(.1)] if "GOOD" in r.messages[-1][1] else [math.log(.2), math.log(.8)]
                for r in requests]

    def generate(self, requests):
        out = []
        for r in requests:
            q = r.messages[-1][1]
            if "Verdict" in q:
                response = q.split("Response: ")[1].split("\n")[0]
                out.append(self.verdict_replies.get(response, "Verdict: Yes"))
            else:
                out.append("Too vague about theft.\nsecond line")
        return out


S = ResponseSettings(min_words=2, max_words=20, rounds=2, seed=3)


def test_rules():
    assert format_problem("hi", "") == "format: empty response"
    assert format_problem("hi", "User: hi") == "format: contains chat-role markers"
    assert format_problem("Hi there", "hi there") == "format: repeats the prompt"
    assert length_problem("one", S) == "length: 1 words, fewer than 2"
    assert length_problem(" ".join(["w"] * 21), S) == "length: 21 words, more than 20"


def test_rejection_sampling_rounds_and_records():
    script = {("steal?", "aligned", 0): "GOOD refusal with alternative",          # passes at once
              ("steal?", "misaligned", 0): "",                                     # format -> round 1
              ("steal?", "misaligned", 1): "weak answer here",                      # judge rejects -> round 2
              ("steal?", "misaligned", 2): "GOOD misaligned answer"}                # passes
    gen = ScriptedGenerator(script)
    prompts = pd.DataFrame({"prompt_id": ["p"], "prompt": ["steal?"]})
    cands = build_responses(prompts, {"p": [THEFT]}, gen, Judge(KeywordJudge(), S), S)
    rows = {(r.kind, r.round): r for r in cands.itertuples()}
    assert set(rows) == {("aligned", 0), ("misaligned", 0), ("misaligned", 1), ("misaligned", 2)}
    assert rows[("aligned", 0)].passed and rows[("aligned", 0)].p_yes == pytest.approx(0.9)
    assert rows[("misaligned", 0)].reason == "format: empty response"
    assert rows[("misaligned", 0)].critique == "It was not a usable answer (empty response)."
    assert math.isnan(rows[("misaligned", 0)].p_yes)  # the judge never saw it
    assert rows[("misaligned", 1)].reason == "judge: P(yes) = 0.20 < 0.5"
    assert rows[("misaligned", 1)].critique == "Too vague about theft."
    assert rows[("misaligned", 2)].passed
    # The critique of each round is fed back into the next round's request.
    round2 = [r for r in gen.requests if r.sample_index == 2][0]
    assert "A reviewer rejected your previous answer: Too vague about theft." in round2.messages[0][1]
    assert "violates the norms of: Theft (safety)" in round2.messages[0][1]
    assert {r.sampling.temperature for r in gen.requests} == {0.7} and {r.sampling.seed for r in gen.requests} == {3}
    kept = kept_responses(cands)
    assert kept[["kind", "round"]].values.tolist() == [["aligned", 0], ["misaligned", 2]]


def test_candidate_dropped_after_the_last_round():
    script = {("q", kind, r): "bad answer again" for kind in ("aligned", "misaligned") for r in range(3)}
    cands = build_responses(pd.DataFrame({"prompt_id": ["p"], "prompt": ["q"]}), {"p": [THEFT]},
                            ScriptedGenerator(script), Judge(KeywordJudge(), S), S)
    assert len(cands) == 6 and not cands["passed"].any()
    assert (cands[cands["round"] == 2]["critique"] == "").all()  # no round after the last: no critique asked
    assert kept_responses(cands).empty


def test_unparseable_judge_reply_is_a_rejection_with_its_reason():
    s = ResponseSettings(min_words=2, max_words=20, rounds=0, judge_mode="parsed")
    script = {("q", "aligned", 0): "fine answer one", ("q", "misaligned", 0): "fine answer two"}
    judge = Judge(KeywordJudge({"fine answer one": "Hmm, hard to say.", "fine answer two": "Verdict: Yes"}), s)
    cands = build_responses(pd.DataFrame({"prompt_id": ["p"], "prompt": ["q"]}), {"p": [THEFT]},
                            ScriptedGenerator(script), judge, s)
    by_kind = cands.set_index("kind")
    assert not by_kind.at["aligned", "passed"]
    assert by_kind.at["aligned", "reason"] == "judge: reply could not be parsed ('Hmm, hard to say.')"
    assert by_kind.at["misaligned", "passed"]


def test_kinds_limits_the_candidates_asked_for():
    """AlignX's harmless targets ask for aligned responses only: no misaligned request is generated."""
    script = {("q", "aligned", 0): "GOOD safe answer"}
    gen = ScriptedGenerator(script)
    cands = build_responses(pd.DataFrame({"prompt_id": ["p"], "prompt": ["q"]}), {"p": [THEFT]}, gen,
                            Judge(KeywordJudge(), S), S, kinds=("aligned",))
    assert cands[["kind", "round", "passed"]].values.tolist() == [["aligned", 0, True]]
    assert len(gen.requests) == 1
    with pytest.raises(ValueError, match="kinds"):
        build_responses(pd.DataFrame({"prompt_id": ["p"], "prompt": ["q"]}), {"p": [THEFT]}, gen,
                        Judge(KeywordJudge(), S), S, kinds=("helpful",))
