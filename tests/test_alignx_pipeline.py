"""AlignX's steps on scripted models and synthetic features, each with a known answer: which prompts
train the experts, what each adapter is trained on, the harmless targets' rejection sampling, and the
routers' gates and calibration table."""
import math

import numpy as np
import pandas as pd
import pytest

from papers.alignx.data import AXES
from papers.alignx.experts import ADAPTERS, adapter_examples
from papers.alignx.inject import inject
from papers.alignx.router import RouterSettings
from papers.alignx.routing import GATES, ROUTERS, fit_routers
from papers.alignx.tables import table_router_calibration
from papers.alignx.targets import harmless_candidates, mark_training_prompts, training_set
from papers.core.construct.respond import ResponseSettings, kept_responses
from papers.core.taxonomy import Domain, Taxonomy


def _table(n_per_axis=6, n_test=2):
    rows = []
    for axis in AXES:
        for i in range(n_per_axis):
            rows.append({"prompt_id": f"{axis}-{i}", "axis": axis, "prompt": f"{axis} prompt {i}?",
                         "reference": "" if axis == "harmless" else f"{axis} answer {i}.",
                         "category": "privacy_violation" if axis == "harmless" else "x",
                         "split": "test" if i < n_test else "train"})
    return pd.DataFrame(rows)


def test_training_prompts_are_a_seeded_sample_of_each_axis_train_split():
    table = _table()
    marked = mark_training_prompts(table, 3, seed=7)
    assert marked.groupby("axis")["trains_expert"].sum().to_dict() == {a: 3 for a in AXES}
    assert not marked.loc[marked["split"] == "test", "trains_expert"].any()
    assert marked.equals(mark_training_prompts(table, 3, seed=7))
    others = [mark_training_prompts(table, 3, seed=s)["trains_expert"].tolist() for s in range(8)]
    assert len({tuple(o) for o in others}) > 1  # the seed draws the sample
    everything = mark_training_prompts(table, 0, seed=7)
    assert everything["trains_expert"].tolist() == (everything["split"] == "train").tolist()
    with pytest.raises(ValueError, match="train_examples"):
        mark_training_prompts(table, -1, seed=7)
    with pytest.raises(TypeError):
        mark_training_prompts(table.to_dict(), 3, seed=7)


def test_answered_prompts_are_a_seeded_sample_of_each_axis_test_split():
    table = _table()
    marked = mark_training_prompts(table, 3, seed=7, answered_prompts=1)
    assert marked.groupby("axis")["answered"].sum().to_dict() == {a: 1 for a in AXES}
    assert not marked.loc[marked["split"] == "train", "answered"].any()
    assert marked["trains_expert"].equals(mark_training_prompts(table, 3, seed=7)["trains_expert"])
    others = {tuple(mark_training_prompts(table, 3, seed=s, answered_prompts=1)["answered"]) for s in range(8)}
    assert len(others) > 1
    every = mark_training_prompts(table, 3, seed=7)
    assert every["answered"].tolist() == (every["split"] == "test").tolist()
    with pytest.raises(ValueError, match="answered_prompts"):
        mark_training_prompts(table, 3, seed=7, answered_prompts=-2)


class Scripted:
    """A generator that answers the i-th harmless prompt with `replies[prompt]`, and a judge that
    accepts a response containing SAFE."""

    def __init__(self, replies):
        self.replies, self.requests = replies, []

    def generate(self, requests):
        self.requests += requests
        return [self.replies.get(r.messages[-1][1], "I will not help. Please ask something else safely.")
                for r in requests]

    def score(self, requests):
        return [[math.log(.9), math.log(.1)] if "SAFE" in r.messages[-1][1] else [math.log(.1), math.log(.9)]
                for r in requests]


PRIVACY = Domain("safety", "privacy_violation", "Privacy violation", "Privacy violation", 1)


def test_harmless_targets_are_accepted_aligned_responses_and_references_elsewhere():
    table = mark_training_prompts(_table(), 0, seed=1)
    generator = Scripted({"harmless prompt 2?": "SAFE: I cannot share that, but here is a safe alternative.",
                          "harmless prompt 3?": "SAFE: no. Ask the person directly instead, please."})
    s = ResponseSettings(rounds=0, min_words=3, max_words=50, seed=1)
    candidates = harmless_candidates(table, Taxonomy([PRIVACY]), generator, Scripted({}), s)
    assert set(candidates["kind"]) == {"aligned"}  # no misaligned candidate is generated
    assert len(generator.requests) == 4 and "Privacy violation (safety)" in generator.requests[0].messages[0][1]
    training = training_set(table, kept_responses(candidates))
    harmless = training[training["axis"] == "harmless"]
    assert harmless["prompt_id"].tolist() == ["harmless-2", "harmless-3"]  # 4 and 5 were rejected
    assert set(harmless["source"]) == {"generated"} and harmless["target"].str.startswith("SAFE").all()
    helpful = training[training["axis"] == "helpful"]
    assert helpful["target"].tolist() == [f"helpful answer {i}." for i in range(2, 6)]
    assert set(training.loc[training["axis"] != "harmless", "source"]) == {"reference"}


def test_each_adapter_is_trained_on_its_own_examples_and_prompt_form():
    training = pd.DataFrame({"prompt_id": ["h", "s", "t"], "axis": list(AXES), "prompt": ["p1", "p2", "p3"],
                             "target": ["a1", "a2", "a3"], "source": "reference"})
    (chat, target), = adapter_examples(training, "honest", "axis_tag")
    assert chat == (("user", inject("p3", "honest", "axis_tag")),) and target == "a3"
    (chat, _), = adapter_examples(training, "honest_plain", "axis_tag")
    assert chat == (("user", "p3"),)
    sft = adapter_examples(training, "sft", "axis_tag")
    assert [c[0][1] for c, _ in sft] == ["p1", "p2", "p3"] and [t for _, t in sft] == ["a1", "a2", "a3"]
    assert len(ADAPTERS) == 7
    with pytest.raises(ValueError, match="unknown adapter"):
        adapter_examples(training, "moe", "axis_tag")


def _separable(n_per_axis, seed, noise):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(3, 16)) * 3
    x = np.concatenate([centres[a] + noise * rng.normal(size=(n_per_axis, 16)) for a in range(3)])
    return x


def test_routers_gate_the_held_out_prompts_and_learn_the_axes():
    table = _table(n_per_axis=30, n_test=6)
    x = _separable(30, 0, 0.5)
    gates = fit_routers(x, table, RouterSettings(latent_dim=32, learning_rate=0.1, epochs=60, seed=3))
    assert set(gates["router"]) == set(ROUTERS) and len(gates) == 4 * 18
    assert set(gates["split"]) == {"test"}
    assert np.allclose(gates[GATES].sum(axis=1), 1.0)
    for _, own in gates.groupby("router"):
        assert (own[GATES].to_numpy().argmax(axis=1) == own["label"].to_numpy()).mean() == 1.0
    # The calibrated router is trained towards softer targets than the uncalibrated one.
    top = gates.assign(top=gates[GATES].max(axis=1)).groupby("router")["top"].mean()
    assert top["alignx"] < top["softmax"]
    with pytest.raises(ValueError, match="align"):
        fit_routers(x[:-1], table, RouterSettings(latent_dim=32))


def test_calibration_table_by_hand():
    # Two test prompts per router: softmax right at 0.9 and wrong at 0.6 -> ECE = (|1-.9| + |0-.6|)/2 = 0.35
    base = {"prompt_id": ["a", "b"], "axis": ["helpful", "honest"], "split": "test", "label": [0, 2]}
    frames = []
    for name in ROUTERS:
        gates = [[0.9, 0.05, 0.05], [0.6, 0.2, 0.2]] if name == "softmax" else [[0.5, 0.25, 0.25], [0.25, 0.25, 0.5]]
        frames.append(pd.DataFrame({**base, "router": name, **dict(zip(GATES, np.array(gates).T))}))
    table = table_router_calibration(pd.concat(frames, ignore_index=True)).set_index("router")
    assert table.at["softmax", "ece"] == pytest.approx(0.35)
    assert table.at["softmax", "accuracy"] == 0.5 and table.at["softmax", "confidence"] == pytest.approx(0.75)
    assert table.at["alignx", "ece"] == pytest.approx(0.5) and table.at["alignx", "calibration"] == "natural + fractal"
    # uniform: every top gate 1/3 on expert 0 (helpful); right on "a" only -> |0.5 - 1/3|
    assert table.at["uniform", "ece"] == pytest.approx(0.5 - 1 / 3) and table.at["uniform", "accuracy"] == 0.5
