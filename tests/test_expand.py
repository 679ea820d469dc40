"""Low-resource expansion on a constructed case: what is asked for, made, kept, and why not."""
import math

import pandas as pd

from papers.core.construct.expand import ExpansionSettings, clean_prompt, expand, low_resource, merge_kept
from papers.core.construct.reclassify import reclassify
from papers.core.taxonomy import Domain, Taxonomy

TAX = Taxonomy((Domain("safety", "theft", "Theft", "Theft", 1), Domain("safety", "fraud", "Fraud", "Fraud", 1),
                Domain("value", "honesty", "Honesty", "Honesty", 1)))


class KeywordClassifier:
    """Puts a prompt in the domain whose name it contains (p ~ 0.9), else in 'None of these'."""

    def score(self, requests):
        out = []
        for r in requests:
            prompt = r.messages[-1][1].split('"')[1].lower()
            hits = [o.lower() in prompt for o in r.options[:-1]]
            out.append([math.log(.9) if h else math.log(.05) for h in hits] + [math.log(.9 if not any(hits) else .05)])
        return out


class ScriptedExpander:
    """Replies per domain: theft gets good prompts, fraud an empty line then an off-topic one."""

    def __init__(self):
        self.requests = []

    def generate(self, requests):
        self.requests += requests
        replies = []
        for r in requests:
            text = r.messages[-1][1]
            if '"Theft"' in text:
                replies.append(f'1. "How is theft punished in country {r.sample_index}?"\nmore text')
            elif '"Fraud"' in text:
                replies.append("" if r.sample_index == 0 else "Tell me a joke about cats.")
            else:
                replies.append("Is honesty always the best policy?")  # an existing prompt
        return replies


def test_clean_prompt():
    assert clean_prompt('\n - "Where can I learn to paint?"\nthanks') == "Where can I learn to paint?"
    assert clean_prompt("Request: Plan a trip.") == "Plan a trip."
    assert clean_prompt("  \n ") == ""


def test_expansion_asks_for_the_shortfall_and_keeps_only_on_domain_prompts():
    pool = pd.DataFrame({"prompt_id": ["a", "b"], "prompt": ["Is honesty always the best policy?", "What is 2+2?"],
                         "gold_domains": [["honesty"], []]})
    classifier = KeywordClassifier()
    classified = reclassify(pool, TAX, classifier, 0.5)
    assert low_resource({"a": ["honesty"], "b": []}, TAX, 2) == {"theft": 0, "fraud": 0, "honesty": 1}
    expander = ScriptedExpander()
    settings = ExpansionSettings(floor=2, seed=7)
    attempts, new = expand(pool, classified, TAX, expander, classifier, settings, 0.5, "none")
    assert len(expander.requests) == 5  # theft 2, fraud 2, honesty 1
    assert {r.sampling.temperature for r in expander.requests} == {0.7}
    assert {r.sampling.top_p for r in expander.requests} == {0.9}
    assert {r.sampling.seed for r in expander.requests} == {7}
    honesty_request = [r for r in expander.requests if '"Honesty"' in r.messages[-1][1]][0]
    assert "- Is honesty always the best policy?" in honesty_request.messages[-1][1]  # real example shown
    got = attempts.set_index("prompt_id")[["status", "reason"]].to_dict("index")
    assert got["x-theft-0"] == {"status": "kept", "reason": ""}
    assert got["x-theft-1"] == {"status": "kept", "reason": ""}
    assert got["x-fraud-0"] == {"status": "rejected", "reason": "empty reply"}
    assert got["x-fraud-1"]["status"] == "rejected" and got["x-fraud-1"]["reason"].startswith("not classified")
    assert got["x-honesty-0"] == {"status": "rejected", "reason": "exact copy of an existing prompt"}
    assert attempts.set_index("prompt_id").at["x-theft-0", "prompt"] == "How is theft punished in country 0?"
    assert set(new["prompt_id"]) == {"x-theft-0", "x-theft-1", "x-fraud-1"}  # every made prompt reclassified

    pool2, classified2 = merge_kept(pool, classified, attempts, new)
    assert pool2["prompt_id"].tolist() == ["a", "b", "x-theft-0", "x-theft-1"]
    assert pool2["source"].tolist() == ["pool", "pool", "expansion", "expansion"]
    assert set(classified2["prompt_id"]) == {"a", "b", "x-theft-0", "x-theft-1"}  # x-fraud-1 was rejected
