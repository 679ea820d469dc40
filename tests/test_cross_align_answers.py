"""Every variant's requests and the tables, on a scripted LVLM: which prompt and adapter each variant
asks with, that the source ablation changes exactly the memes whose knowledge it changes, and the
variants table (relative gain, trivial rows) against hand-computed values."""
import math

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from papers.core.llm.types import Sampling
from papers.cross_align.answers import VARIANTS, answer_benchmarks, without
from papers.cross_align.data import select_memes
from papers.cross_align.tables import table_ablation, table_explanations, table_variants, trivial_predictions

FACTS = {  # meme a: ConceptNet and lexicon facts; meme b: a lexicon fact; memes c, d: none
    "a": [{"source": "conceptnet", "fact": "cat is an animal"}, {"source": "lexicon", "fact": "'vermin' is a slur"}],
    "b": [{"source": "lexicon", "fact": "'trash' is a slur"}],
}


@pytest.fixture
def memes(tmp_path):
    rows = []
    for i, (meme_id, label) in enumerate([("a", 1), ("b", 1), ("c", 0), ("d", 0), ("t", 1), ("u", 0)]):
        path = tmp_path / f"{meme_id}.png"
        Image.new("RGB", (4, 4), (40 * i, 0, 0)).save(path)
        rows.append({"id": meme_id, "split": "train" if meme_id in "tu" else "test", "text": f"text {meme_id}",
                     "image": str(path), "label": label, "text_label": 1 - label, "picture_label": label})
    return pd.DataFrame(rows)


def _text(request):
    return request.messages[-1][1][1].text


class Scripted:
    """Says 'harmful' (log 0.9 vs log 0.1) when the prompt holds a slur fact or an adapter is on, else
    'harmless'; generation echoes the first line it was given."""

    def __init__(self):
        self.scored = []

    def score(self, requests):
        self.scored += list(requests)
        return [[math.log(0.1), math.log(0.9)] if ("slur" in _text(r) or r.adapter) else [math.log(0.8), math.log(0.2)]
                for r in requests]

    def generate(self, requests):
        return [f"about {_text(r).splitlines()[0]}" for r in requests]


def test_variants_ask_their_prompts_and_adapters(memes):
    model = Scripted()
    answers, explanations = answer_benchmarks(
        model, "lvlm", {"harm": {"task": "harmfulness", "dataset": "d"}}, {"d": memes}, {"d": FACTS},
        {"harm": "harm"}, sample=4, seed=0, sampling=Sampling())
    assert set(answers["variant"]) == {*VARIANTS, *(without(s) for s in ("conceptnet", "wikidata", "lexicon"))}
    assert sorted(answers.loc[answers["variant"] == "base", "id"]) == ["a", "b", "c", "d"]  # the test split only
    by = answers.set_index(["variant", "id"])
    assert by.loc[("base", "a"), "knowledge"] == "" and by.loc[("base", "a"), "prediction"] == 0
    assert "cat is an animal" in by.loc[("+I", "a"), "knowledge"] and by.loc[("+I", "a"), "prediction"] == 1
    assert by.loc[("+I", "a"), "adapter"] == "" and by.loc[("+I+II", "a"), "adapter"] == "harm"
    assert by.loc[(without("lexicon"), "a"), "knowledge"] == (
        "Background knowledge linked from the meme's text:\n- ConceptNet: cat is an animal")
    # the adapter makes every +I+II and full verdict harmful in this script
    assert (by.loc["+I+II", "prediction"] == 1).all() and (by.loc["full", "prediction"] == 1).all()
    assert list(explanations["evidence"]) == [f'about The text of this meme reads: "text {m}"' for m in "abcd"]
    # base asks each meme once; +I asks the same prompt as base for memes with no fact (one cache key)
    asked = {(_text(r), r.adapter) for r in model.scored}
    assert len(asked) < len(model.scored)

    variants = table_variants(answers, seed=0)
    cells = variants[variants["kind"] == "model"].set_index("variant")
    # gold a, b = 1; c, d = 0. base says 0 everywhere: F1 = (0 + 2*2/(2*2+2)) / 2 = 1/3
    assert cells.loc["base", "macro_f1"] == pytest.approx(1 / 3)
    # +I says 1 for a, b (slur facts) and 0 for c, d: perfect
    assert cells.loc["+I", "macro_f1"] == pytest.approx(1.0)
    assert cells.loc["+I", "relative_gain"] == pytest.approx(2.0) and cells.loc["+I", "gain_over_previous"] == pytest.approx(2 / 3)
    assert cells.loc["+I+II", "macro_f1"] == pytest.approx(1 / 3)  # all 1
    assert cells.loc["+I", "vs_trivial"] == "above" and cells.loc["base", "vs_trivial"] == "at or below trivial"
    trivial = variants[variants["kind"] == "trivial"].set_index("model")
    assert trivial.loc["most frequent", "macro_f1"] == pytest.approx(1 / 3)  # a 2-2 tie: the class 0 row

    ablation = table_ablation(answers).set_index("without")
    # removing ConceptNet changes a's block only, the lexicon a's and b's, Wikidata nothing
    assert ablation["memes_changed"].to_dict() == {"conceptnet": 1, "wikidata": 0, "lexicon": 2}
    sample = table_explanations(explanations, per_benchmark=2)
    assert list(sample["id"]) == ["a", "b"] and sample.loc[0, "gold"] == "harmful"
    assert sample.loc[0, "knowledge"] == "from the text: / - ConceptNet: cat is an animal / - Hate lexicon: 'vermin' is a slur"
    assert all("\n" not in cell for column in ("text", "knowledge", "evidence", "reasoning") for cell in sample[column])


def test_training_selection_is_balanced_and_seeded(memes):
    table = pd.concat([memes, memes.assign(id=lambda f: f["id"] + "2", split="train")], ignore_index=True)
    chosen = select_memes(table, "train", 4, seed=1, task="harmfulness")
    assert sorted(chosen["label"]) == [0, 0, 1, 1]
    assert chosen.equals(select_memes(table, "train", 4, seed=1, task="harmfulness"))
    with pytest.raises(ValueError, match="no val memes"):
        select_memes(table, "val", 2, seed=0)


def test_trivial_rows():
    gold = np.array([1, 1, 1, 0])
    predictions = trivial_predictions(gold, seed=3)
    assert (predictions["most frequent"] == 1).all()
    assert set(np.unique(predictions["chance"])) <= {0, 1}
