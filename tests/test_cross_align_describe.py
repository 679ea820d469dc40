"""Stage I from the picture's side (describe.py): which memes are described, the echo of the question
left unlinked, and the picture's facts in the knowledge block beside the text's, on a scripted LVLM."""
import io

import pandas as pd
import pytest
from PIL import Image

from papers.core.knowledge.linking import KnowledgeIndex
from papers.core.knowledge.sources import Fact
from papers.core.llm.types import Sampling
from papers.cross_align.answers import answer_benchmarks, without
from papers.cross_align.data import meme_inputs, seen_memes, select_memes
from papers.cross_align.describe import describe, seen_part
from papers.cross_align.enrich import HEADER, PICTURE_HEADER, enrichment_text, retrieve


@pytest.fixture
def memes(tmp_path):
    rows = []
    for i, (meme_id, split, label) in enumerate([("a", "test", 1), ("b", "test", 0), ("c", "test", 1),
                                                 ("d", "test", 0), ("t", "train", 1), ("u", "train", 0),
                                                 ("v", "train", 1), ("w", "train", 0)]):
        path = tmp_path / f"{meme_id}.png"
        Image.new("RGB", (4, 4), (30 * i, 0, 0)).save(path)
        rows.append({"id": meme_id, "split": split, "text": f"text {meme_id}", "image": str(path), "label": label})
    return pd.DataFrame(rows)


class Describer:
    """Describes meme a's picture as a dog with a gun, every other one as a flower."""

    def __init__(self):
        self.asked = []

    def generate(self, requests):
        self.asked += list(requests)
        return ["The picture shows a dog holding a gun.\nIt is a meme." if _red(r) == 0 else "A flower." for r in requests]


def _red(request):
    """The red channel of the request's picture: which meme it is."""
    return Image.open(io.BytesIO(request.messages[-1][1][0].data)).getpixel((0, 0))[0]


def test_the_memes_described_are_the_ones_the_steps_show(memes):
    benchmarks = {"one": {"task": "harmfulness", "dataset": "m"}, "two": {"task": "harmfulness", "dataset": "m"}}
    seen = seen_memes(benchmarks, {"m": memes}, sample=2, train_examples=2, seed=3)
    expected = set(select_memes(memes, "test", 2, 3)["id"]) | set(select_memes(memes, "train", 2, 3, "harmfulness")["id"])
    assert set(seen["m"]["id"]) == expected and len(seen["m"]) == 4
    assert list(seen["m"]["id"]) == [i for i in memes["id"] if i in expected]  # table order, each once


def test_a_description_is_its_first_line_and_its_echo_is_not_linked(memes):
    model = Describer()
    out = describe(model, memes.head(2), tokens=12)
    assert out == ["The picture shows a dog holding a gun.", "A flower."]
    assert all(r.sampling == Sampling(max_new_tokens=12) and r.messages[-1][1][1].text == "What does the picture show?"
               for r in model.asked)
    assert len(model.asked[0].messages[-1][1]) == 2  # the image and the question: no meme text
    assert seen_part(out[0]) == "a dog holding a gun." and seen_part("A flower.") == "A flower."
    assert seen_part("this image depicts a gun") == "a gun"
    with pytest.raises(ValueError, match="tokens"):
        describe(model, memes, tokens=0)
    with pytest.raises(TypeError, match="description"):
        seen_part(None)


def test_pictured_facts_join_the_block_without_repeating_the_text(memes):
    index = KnowledgeIndex([Fact("conceptnet", "/c/en/gun", ("gun",), "gun is a weapon", 1.0, "x:1"),
                            Fact("lexicon", "dog", ("dog",), "'dog' can be a slur", 0.5, "y:2"),
                            Fact("conceptnet", "/c/en/picture", ("picture",), "picture is an image", 1.0, "x:2")])
    described = pd.DataFrame({"id": ["a"], "description": ["The picture shows a dog holding a gun."]})
    facts = retrieve(described.assign(seen=described["description"].map(seen_part)), index, 3, column="seen")
    assert {f["fact"] for f in facts} == {"gun is a weapon", "'dog' can be a slur"}  # not the echoed "picture"
    text_facts = [{"source": "lexicon", "fact": "'dog' can be a slur"}]
    block = enrichment_text(text_facts, pictured=facts)
    assert block == "\n".join([HEADER, "- Hate lexicon: 'dog' can be a slur", PICTURE_HEADER,
                               "- ConceptNet: gun is a weapon"])
    assert enrichment_text([], ("lexicon",), facts) == "\n".join([PICTURE_HEADER, "- Hate lexicon: 'dog' can be a slur"])
    assert enrichment_text([], ("wikidata",), facts) == ""


def test_answers_and_the_ablation_see_the_pictured_facts(memes):
    class Scripted(Describer):
        def score(self, requests):
            return [[-1.0, -0.1] if "weapon" in r.messages[-1][1][1].text else [-0.1, -1.0] for r in requests]

    pictured = {"a": [{"source": "conceptnet", "fact": "gun is a weapon"}]}
    answers, explanations = answer_benchmarks(
        Scripted(), "lvlm", {"harm": {"task": "harmfulness", "dataset": "m"}}, {"m": memes}, {"m": {}}, {},
        sample=4, seed=0, sampling=Sampling(), pictured={"m": pictured})
    by = answers.set_index(["variant", "id"])["prediction"]
    assert by[("base", "a")] == 0 and by[("+I", "a")] == 1 and by[("+I+II", "b")] == 0
    # the cascade's first step sees it too (the verdict only through the evidence)
    assert "gun is a weapon" in explanations.set_index("id").at["a", "knowledge"]
    assert by[(without("conceptnet"), "a")] == 0 and by[(without("lexicon"), "a")] == 1
    assert meme_inputs(memes.head(1), {}, None, pictured)[0].knowledge == ""  # base: no block at all
