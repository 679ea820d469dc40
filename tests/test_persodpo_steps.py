"""PersoDPO's step 2 parts without a real model: turn selection, random pairs, the NLI check's known
labels, reply signals and the win rate with scripted judges, and the tables on hand-computed cases."""
import json
import math

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import recall_score

from papers.core.llm.base import ModelSpec
from papers.core.llm.types import ClassifyRequest, ScoreRequest
from papers.persodpo.candidates import candidate_prompt
from papers.persodpo.evaluate import GOLD, gold_replies, model_first, win_rates
from papers.persodpo.focus import load_focus
from papers.persodpo.nli_check import check_nli, known_statements, parse_persona
from papers.persodpo.pairs import policy_pairs, quality_pairs, random_pairs
from papers.persodpo.prepare import select_turns
from papers.persodpo.score import mean_gold_words, reply_signals
from papers.persodpo.signals import NLI_OPTIONS
from papers.persodpo.tables import table_nli_check, table_policies

MINI = "data/persodpo/focus_mini.json"


@pytest.fixture(scope="module")
def turns():
    return select_turns(load_focus(MINI, 42, (0.75, 0.0, 0.25)), 42, turns=1, max_train=5, max_test=3)


def test_turn_selection_is_seeded_capped_and_dialogue_disjoint(turns):
    assert turns["split"].value_counts().to_dict() == {"train": 5, "test": 3}
    assert (turns["turn"] == 1).all() and turns["prompt_id"].is_unique
    assert not set(turns.loc[turns["split"] == "train", "dialogue_id"]) & set(
        turns.loc[turns["split"] == "test", "dialogue_id"])
    first = turns.iloc[0]
    assert first["prompt"] == candidate_prompt(list(first["persona"]), first["knowledge"], list(first["context"]))
    again = select_turns(load_focus(MINI, 42, (0.75, 0.0, 0.25)), 42, turns=1, max_train=5, max_test=3)
    pd.testing.assert_frame_equal(turns, again)
    other = select_turns(load_focus(MINI, 42, (0.75, 0.0, 0.25)), 7, turns=1, max_train=5, max_test=3)
    assert set(other["prompt_id"]) != set(turns["prompt_id"])  # the sample follows the seed
    with pytest.raises(ValueError, match="no train or no test"):
        select_turns(load_focus(MINI, 42, (1.0, 0.0, 0.0)), 42, turns=1, max_train=0, max_test=0)


def candidates_frame():
    return pd.DataFrame({"prompt_id": ["p"] * 4 + ["q"] * 3 + ["r"] * 2,
                         "candidate_id": [f"c{i}" for i in range(9)],
                         "failure": [False, False, False, True, False, True, True, True, True],
                         "quality": [0.9, 0.5, 0.2, 0.0, 0.7, 0.1, 0.05, 0.0, 0.0]})


def test_random_pairs_match_the_quality_pairs_per_prompt_and_follow_the_seed():
    c = candidates_frame()
    counts = quality_pairs(c)["prompt_id"].value_counts().to_dict()
    # p: 60th quantile 0.44 (0.9, 0.5 chosen), 40th 0.26 (0.2, 0.0 rejected); q: 0.22 and 0.09; r: all failed
    assert counts == {"p": 4, "q": 1}
    pairs = random_pairs(c, 3)
    assert pairs["prompt_id"].value_counts().to_dict() == counts
    assert (pairs["chosen_id"] != pairs["rejected_id"]).all() and (pairs["weight"] == 1.0).all()
    by_id = c.set_index("candidate_id")["prompt_id"]
    assert (pairs["chosen_id"].map(by_id) == pairs["prompt_id"]).all()
    pd.testing.assert_frame_equal(pairs, random_pairs(c, 3))
    draws = {tuple(random_pairs(c, s)["chosen_id"]) for s in range(8)}
    assert len(draws) > 1
    every = policy_pairs(c, 3)
    assert every.groupby("policy").size().to_dict() == {"persodpo": 5, "random": 5, "simple": 5, "standard": 5}
    assert (every.loc[every["policy"] == "persodpo", "weight"] < 1).all()


def test_known_statements_have_their_label_by_construction():
    statements = known_statements(MINI, 4, 42)
    assert statements["label"].value_counts().to_dict() == {"entailment": 4, "contradiction": 4, "neutral": 4}
    for dialogue_id, group in statements.groupby("dialogue_id"):
        s = group.set_index("label")
        hypothesis = s.loc["entailment", "hypothesis"]
        assert s.loc["entailment", "premise"].startswith(hypothesis)
        kind, value = parse_persona(hypothesis)
        c_kind, c_value = parse_persona(s.loc["contradiction", "premise"].split(".")[0] + ".")
        assert c_kind == kind and c_value != value
        persona = load_focus(MINI, 42).query("dialogue_id == @dialogue_id").iloc[0]["persona"]
        n_kind, _ = parse_persona(s.loc["neutral", "premise"].split(".")[0] + ".")
        assert n_kind not in {parse_persona(p)[0] for p in persona}
    with pytest.raises(ValueError):
        parse_persona("I am a pirate.")


class Scripted:
    """A stand-in model answering score and embed requests from functions of the request's text."""

    spec = ModelSpec(backend="hf", model="scripted-llm")

    def __init__(self, score=None, embed=None):
        self._score, self._embed, self.asked = score, embed, []

    def score(self, requests):
        self.asked += requests
        return [self._score(r.messages[-1][1], r.options) for r in requests]

    def embed(self, requests):
        return [self._embed(r.input) for r in requests]


def nli_by_words(text, options):
    """Entailment when the premise's first word is in the hypothesis, contradiction when its last."""
    premise = text.split("Premise: ")[1].split("\n")[0]
    hypothesis = text.split("Hypothesis: ")[1].split("\n")[0]
    label = 0 if premise.split()[0] in hypothesis else 2 if premise.split()[-1] in hypothesis else 1
    return [0.0 if i == label else -5.0 for i in range(len(options))]


def test_check_nli_labels_by_argmax_and_the_table_matches_sklearn():
    statements = pd.DataFrame({"label": ["entailment", "neutral", "contradiction", "entailment"],
                               "premise": ["cats x", "y z", "a dogs", "q r"],
                               "hypothesis": ["cats", "w", "dogs", "s"]})
    checked = check_nli(Scripted(score=nli_by_words), statements, "none")
    assert list(checked["predicted"]) == ["entailment", "neutral", "contradiction", "neutral"]
    assert (checked["predicted_uncalibrated"] == checked["predicted"]).all()
    assert checked[["p_entailment", "p_neutral", "p_contradiction"]].sum(axis=1).round(9).eq(1).all()
    table = table_nli_check(checked).set_index("label")
    labels = ["entailment", "neutral", "contradiction"]
    recall = recall_score(checked["label"], checked["predicted"], labels=labels, average=None)
    np.testing.assert_allclose(table.loc[labels, "accuracy"], recall)
    assert table.loc["all", "accuracy"] == 0.75 and table.loc["chance", "accuracy"] == pytest.approx(1 / 3)


def test_content_free_calibration_divides_out_the_answer_prior():
    # A judge that answers "No" to everything, more or less strongly: uncalibrated every label is
    # contradiction; less its answer to "N/A" / "N/A", the statements' own evidence decides.
    by_premise = {"N/A": [0.0, 0.0, 2.0], "yes": [2.0, 0.0, 3.0], "maybe": [0.0, 1.5, 2.5], "no": [0.0, 0.0, 4.0]}
    judge = Scripted(score=lambda text, options: by_premise[text.split("Premise: ")[1].split("\n")[0]])
    statements = pd.DataFrame({"label": ["entailment", "neutral", "contradiction"],
                               "premise": ["yes", "maybe", "no"], "hypothesis": ["h", "h", "h"]})
    checked = check_nli(judge, statements, "content_free")
    assert list(checked["predicted"]) == list(statements["label"])
    assert set(checked["predicted_uncalibrated"]) == {"contradiction"}
    from papers.core.verdict import softmax
    assert checked.loc[0, ["p_entailment", "p_neutral", "p_contradiction"]].tolist() == pytest.approx(softmax([2, 0, 1]))
    with pytest.raises(ValueError, match="calibration"):
        check_nli(judge, statements, "prior")


class ScriptedClassifier:
    """A stand-in NLI classifier (the hf-classifier backend): log-probabilities of the labels a request
    names, from nli_by_words's verdict on its premise and hypothesis, in the model's own label order
    (DeBERTa-MNLI's: contradiction, neutral, entailment) so a reader by position would fail."""

    spec = ModelSpec(backend="hf-classifier", model="scripted-nli")
    own = ("CONTRADICTION", "NEUTRAL", "ENTAILMENT")

    def __init__(self):
        self.asked = []

    def classify(self, requests):
        self.asked += requests
        out = []
        for r in requests:
            assert isinstance(r, ClassifyRequest)
            label = nli_by_words(f"Premise: {r.text}\nHypothesis: {r.text_pair}\n", ("a", "b", "c"))
            by_name = dict(zip(("ENTAILMENT", "NEUTRAL", "CONTRADICTION"), label))
            log_z = math.log(sum(math.exp(v) for v in by_name.values()))
            out.append([by_name[name.upper()] - log_z for name in r.labels])
        return out


def test_an_nli_classifier_is_asked_for_the_pair_and_read_by_label_name():
    statements = pd.DataFrame({"label": ["entailment", "neutral", "contradiction", "neutral"],
                               "premise": ["cats x", "y z", "a dogs", "q r"],
                               "hypothesis": ["cats", "w", "dogs", "s"]})
    model = ScriptedClassifier()
    checked = check_nli(model, statements, "none")
    assert list(checked["predicted"]) == ["entailment", "neutral", "contradiction", "neutral"]
    assert (checked["predicted_uncalibrated"] == checked["predicted"]).all()
    assert len(model.asked) == 4  # a classifier has no calibration: one request per statement
    assert [(r.text, r.text_pair) for r in model.asked[:1]] == [("cats x", "cats")]
    assert checked.loc[0, "p_entailment"] == pytest.approx(1 / (1 + 2 * math.exp(-5)))
    with pytest.raises(ValueError, match="NLI classifier"):
        check_nli(model, statements, "content_free")


def test_reply_signals_on_a_hand_computed_case(turns):
    train = turns[turns["split"] == "train"].head(1)
    pid, persona = train["prompt_id"].iloc[0], list(train["persona"].iloc[0])
    replies = pd.DataFrame({"prompt_id": [pid, pid], "generator": ["a", "b"], "candidate_id": ["a|p", "b|p"],
                            "reply": [json.dumps({"response": f"{persona[0].split()[0]} think so"}), "not json"]})
    nli = Scripted(score=nli_by_words)
    coherence = Scripted(score=lambda text, options: [math.log(0.8), math.log(0.2)])
    embedder = Scripted(embed=lambda text: [1.0, 0.0] if "think" in text else [1.0, 1.0])
    out = reply_signals(nli, coherence, embedder, turns, replies, mean_words=3.0)
    ok, failed = out.iloc[0], out.iloc[1]
    # the reply's first word is the first persona sentence's: entailment where a sentence holds it, else neutral
    entailed = [persona[0].split()[0] in h for h in persona]
    assert 0 < sum(entailed) < len(persona)
    assert ok["consistency"] == pytest.approx(sum(entailed) / len(persona))
    assert ok["entailment"] == pytest.approx(1 / (1 + 2 * math.exp(-5)))
    assert ok["coherence"] == pytest.approx(0.8) and ok["persona_distance"] == pytest.approx(1 / math.sqrt(2))
    assert ok["instructability"] == pytest.approx(1.3) and not ok["failure"]
    assert failed["failure"] and failed["failure_reason"] == "not_json" and math.isnan(failed["coherence"])
    assert failed["instructability"] == pytest.approx(1 - (1 / 3) ** 2)  # two words, no JSON bonus
    assert len(nli.asked) == len(persona) and all(r.options == NLI_OPTIONS for r in nli.asked)
    assert mean_gold_words(turns) == pytest.approx(np.mean([len(g.split()) for g in
                                                            turns.loc[turns["split"] == "train", "gold_response"]]))
    # On the test turns a failed reply is judged on its raw text: same words, same signals as parsed text
    raw = replies.assign(reply=[replies["reply"].iloc[0], f"{persona[0].split()[0]} think so"])
    judged = reply_signals(nli, coherence, embedder, turns, raw, mean_words=3.0, judge_raw=True)
    assert judged.iloc[1]["failure"] and judged.iloc[1]["instructability"] == pytest.approx(1.0)  # no JSON bonus
    for name in ("coherence", "consistency", "entailment", "persona_distance"):
        assert judged.iloc[1][name] == pytest.approx(ok[name])
    with pytest.raises(TypeError, match="judge_raw"):
        reply_signals(nli, coherence, embedder, turns, raw, mean_words=3.0, judge_raw="yes")
    # An NLI classifier in the LLM's place gives the same signals when it gives the same verdicts
    classifier = ScriptedClassifier()
    by_classifier = reply_signals(classifier, coherence, embedder, turns, replies, mean_words=3.0)
    assert len(classifier.asked) == len(persona)
    for name in ("consistency", "entailment"):
        assert by_classifier.iloc[0][name] == pytest.approx(ok[name])


def test_win_rate_randomises_positions_and_reads_the_judges_preference(turns):
    test = turns[turns["split"] == "test"]
    rows = []
    for pid in test["prompt_id"]:
        for model, text in (("base", "plain reply"), ("persodpo", "better reply"), (GOLD, "gold")):
            rows.append({"prompt_id": pid, "generator": model, "text": text, "reply": text, "failure": False})
    signals = pd.DataFrame(rows)

    def prefers_better(text, options):
        a = text.split("Reply A: ")[1].split("\n")[0]
        return [0.0, -2.0] if a == "better reply" else [-2.0, 0.0] if "better reply" in text else [0.0, -1.0]

    wins = win_rates(Scripted(score=prefers_better), turns, signals, seed=42)
    assert set(wins["model"]) == {"base", "persodpo"}  # the gold reply is not judged
    assert wins.loc[wins["model"] == "persodpo", "win"].all()
    base = wins[wins["model"] == "base"]
    # same text both sides: a judge that always says A is right exactly when the base is shown first
    assert (base["win"] == base["model_first"]).all()
    assert list(wins["model_first"]) == [model_first(m, p, 42) for m, p in zip(wins["model"], wins["prompt_id"])]
    table = table_policies(signals.assign(words=2, instructability=1.0, coherence=0.5, consistency=0.0,
                                          entailment=0.5, persona_distance=0.3, quality=0.5), wins)
    assert list(table["model"]) == ["base", "persodpo", GOLD]
    assert table.set_index("model").loc["persodpo", "win_rate_vs_base"] == 1.0
    assert math.isnan(table.set_index("model").loc[GOLD, "win_rate_vs_base"])


def test_gold_replies_parse_as_valid_candidates(turns):
    from papers.persodpo.candidates import parse_candidate

    gold = gold_replies(turns)
    assert len(gold) == 3 and all(parse_candidate(r).ok for r in gold["reply"])


def test_config_problems_name_what_the_schema_cannot_check():
    import copy

    import yaml

    from papers.persodpo.config import problems

    config = yaml.safe_load(open("config/config.yaml"))
    assert problems(config) == []
    bad = copy.deepcopy(config)
    bad["persodpo"]["splits"] = [0.5, 0.5, 0.0]
    bad["persodpo"]["policy"] = "all-minilm-l6-v2"
    found = problems(bad)
    assert any("needs training and test" in f for f in found) and any("must be an hf model" in f for f in found)
