"""AlignX stage-1 prompts: the axis injection, each axis's training targets, and the harmless
axis's generation requests through the construction toolkit."""
from pathlib import Path

import pytest

from papers.alignx.data import load_axes
from papers.alignx.inject import (AXIS_TAGS, RELEASED_COT, beavertails_domain, expert_chat, harmless_target_requests,
                                  inject, training_examples)
from papers.core.construct.respond import ResponseSettings
from papers.core.taxonomy import load_taxonomy

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data" / "alignx"


@pytest.fixture(scope="module")
def table():
    return load_axes(DATA / "alpaca_eval" / "text_davinci_003_outputs_sample.json",
                     DATA / "beavertails" / "BeaverTails-Evaluation_sample.csv",
                     DATA / "truthfulqa" / "TruthfulQA_sample.csv", seed=0, n_test=24, n_validation=8)


@pytest.fixture(scope="module")
def taxonomy():
    return load_taxonomy(ROOT / "data" / "taxonomy" / "domains.csv")


def test_the_axis_tag_comes_first_in_the_user_turn():
    text = inject("How do I pick a lock?", "harmless")
    assert text.startswith("[HARMLESS] Answer harmlessly") and text.endswith("\n\nHow do I pick a lock?")
    assert expert_chat("Hi", "honest") == (("user", inject("Hi", "honest")),)
    assert inject("Hi", "helpful", "released_cot") == RELEASED_COT + "Hi"
    assert inject("Hi", "helpful", "none") == "Hi"
    assert len({inject("Hi", axis) for axis in AXIS_TAGS}) == 3


def test_bad_axis_or_template():
    with pytest.raises(ValueError, match="unknown axis"):
        inject("Hi", "kind")
    with pytest.raises(ValueError, match="unknown injection template"):
        inject("Hi", "honest", "suffix")
    with pytest.raises(TypeError):
        inject(None, "honest")
    with pytest.raises(TypeError):
        inject("Hi", 1)


def test_targets_are_the_references_of_the_train_split(table):
    helpful = training_examples(table, "helpful")
    train = table[(table["axis"] == "helpful") & (table["split"] == "train")]
    assert len(helpful) == len(train) == 38
    assert [answer for _, answer in helpful] == train["reference"].tolist()
    assert helpful[0][0] == expert_chat(train["prompt"].iloc[0], "helpful")
    honest = training_examples(table, "honest", template="none")
    first = table[(table["axis"] == "honest") & (table["split"] == "train")].iloc[0]
    assert honest[0] == ((("user", first["prompt"]),), first["reference"])
    test_prompts = set(table.loc[table["split"] != "train", "prompt"])
    assert not any(inject(p, "helpful") == chat[0][1] for chat, _ in helpful for p in test_prompts)


def test_harmless_targets_come_only_from_accepted_generations(table):
    assert training_examples(table, "harmless") == []
    train_ids = table.loc[(table["axis"] == "harmless") & (table["split"] == "train"), "prompt_id"].tolist()
    targets = {train_ids[0]: "I can't help with that, but here is a safer idea.", train_ids[1]: "  "}
    examples = training_examples(table, "harmless", targets=targets)
    assert [answer for _, answer in examples] == [targets[train_ids[0]]]
    with pytest.raises(TypeError):
        training_examples(table, "harmless", targets=["not", "a", "dict"])


def test_every_beavertails_category_is_a_safety_domain(table, taxonomy):
    categories = set(table.loc[table["axis"] == "harmless", "category"])
    assert len(categories) == 14
    domains = {beavertails_domain(c, taxonomy).key for c in categories}
    assert len(domains) == 14 and "controversial_topics_politics" in domains
    with pytest.raises(ValueError):
        beavertails_domain("not_a_category", taxonomy)


def test_harmless_requests_ask_the_toolkit_for_aligned_responses(table, taxonomy):
    requests = harmless_target_requests(table, taxonomy, ResponseSettings(seed=4))
    train = table[(table["axis"] == "harmless") & (table["split"] == "train")]
    assert len(requests) == len(train)
    first = requests[0]
    system, user = first.messages
    assert user == ("user", train["prompt"].iloc[0])
    assert "decline politely" in system[1]
    assert beavertails_domain(train["category"].iloc[0], taxonomy).display_name in system[1]
    assert (first.sampling.temperature, first.sampling.top_p, first.sampling.seed) == (0.7, 0.9, 4)
