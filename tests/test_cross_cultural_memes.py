"""Paper 8 (papers/cross_cultural_memes): the per-country label generator, the Multi3Hate reader, the
translation step (statuses, back-translation similarity, cached and byte-identical on the real
Gemma), the requests of the three axes, and the tables against scikit-learn."""
import hashlib

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import cohen_kappa_score, f1_score

from papers.core.io import InputError
from papers.core.llm.types import ImagePart
from papers.cross_cultural_memes import cultures, data, evaluate, tables, translate
from papers.cross_cultural_memes.config import problems
from tests.test_lvlm import mini_lvlm  # noqa: F401 (the tiny mini LVLM fixture)
from tests.test_vision_clip import memes  # noqa: F401 (the rendered memes fixture)

COUNTRIES = ["US", "DE", "MX", "IN", "CN"]
LANGS = ["en", "de", "es"]


# -- the generator of per-country labels -----------------------------------------------------------
def test_us_labels_are_the_renderers_and_the_known_differences_hold():
    label = cultures.country_label
    for meme in map(str, range(50)):  # the US never flips: text OR hostile picture, as render.py
        assert label(meme, 0, "cat", "US", 1) == 0 and label(meme, 1, "cat", "US", 1) == 1
        assert label(meme, 0, "bomb+cat", "US", 1) == 1
    flips = lambda c, p: sum(label(str(m), 0, p, c, 7) for m in range(2000)) / 2000  # noqa: E731
    assert flips("DE", "clown") == 1.0 and flips("US", "clown") == 0.0          # mockery: DE, not US
    assert flips("MX", "skull") == pytest.approx(0.10, abs=0.02)                 # death imagery: only text flips
    assert flips("IN", "fire") == pytest.approx(0.15, abs=0.025) and flips("US", "fire") == 1.0
    assert flips("CN", "laughing face") == 1.0
    assert label("m1", 1, "dog", "CN", 3) == label("m1", 1, "dog", "CN", 3)      # seeded, per meme


def test_country_label_rejects_bad_input():
    with pytest.raises(ValueError, match="unknown country"):
        cultures.country_label("m", 1, "cat", "FR", 1)
    with pytest.raises(ValueError, match="text_label"):
        cultures.country_label("m", 2, "cat", "US", 1)
    with pytest.raises(TypeError, match="picture"):
        cultures.country_label("m", 1, None, "US", 1)


def vision_table(n=30):
    rng = np.random.default_rng(0)
    pictures = ["cat", "bomb", "clown", "skull+dog", "fire", "laughing face"]
    return pd.DataFrame({"id": [f"m{i}" for i in range(n)], "split": ["test"] * (n - 2) + ["train"] * 2,
                         "text": [f"word{i} " * (i % 5 + 1) if i != 3 else "  " for i in range(n)],
                         "image": [f"/img/m{i}.png" for i in range(n)],
                         "text_label": rng.integers(0, 2, n), "picture": [pictures[i % 6] for i in range(n)],
                         "picture_group": ["benign"] * n})


def test_mini_memes_are_a_seeded_sample_of_test_memes_with_text():
    table = vision_table()
    a, b = (data.mini_memes(table, 10, LANGS, COUNTRIES, 5, max_words=2) for _ in range(2))
    pd.testing.assert_frame_equal(a, b)
    assert len(a) == 10 and "m3" not in set(a["id"]) and not {"m28", "m29"} & set(a["id"])
    assert all(len(c.split()) <= 2 for c in a["caption_en"])
    assert (a["image_de"] == a["image_en"]).all() and {f"label_{c}" for c in COUNTRIES} <= set(a.columns)
    other = data.mini_memes(table, 10, LANGS, COUNTRIES, 6, max_words=2)
    assert list(other["id"]) != list(a["id"])
    with pytest.raises(ValueError, match="27 test memes"):
        data.mini_memes(table, 28, LANGS, COUNTRIES, 5, 2)
    with pytest.raises(TypeError):
        data.mini_memes(table.to_dict(), 10, LANGS, COUNTRIES, 5, 2)
    with pytest.raises(ValueError, match="'en'"):
        data.mini_memes(table, 10, ["de"], COUNTRIES, 5, 2)


# -- the Multi3Hate reader --------------------------------------------------------------------------
def write_multi3hate(root, labels_us="1", caption_de="Ein Text"):
    (root / "captions").mkdir(parents=True)
    (root / "final_annotations.csv").write_text(f"Meme ID,US,DE\n1,{labels_us},0\n2,0,1\n")
    (root / "captions" / "en.csv").write_text("Meme ID,Template Name,Original (English),Translation\n"
                                              "1,t,A text,A text\n2,t,Other,Other\n")
    (root / "captions" / "de.csv").write_text("Meme ID,Template Name,Original (English),Translation\n"
                                              f"1,t,A text,{caption_de}\n2,t,Other,Anders\n")
    for lang in ("en", "de"):
        (root / "memes" / lang).mkdir(parents=True)
        for meme in ("1", "2"):
            (root / "memes" / lang / f"{meme}.jpg").write_bytes(b"x")


def test_multi3hate_reader(tmp_path):
    write_multi3hate(tmp_path)
    frame = data.read_multi3hate(tmp_path, ["en", "de"], ["US", "DE"])
    assert list(frame["id"]) == ["1", "2"] and list(frame["label_US"]) == [1, 0]
    assert list(frame["caption_de"]) == ["Ein Text", "Anders"] and frame["image_de"][0].endswith("memes/de/1.jpg")


@pytest.mark.parametrize("labels_us,caption_de,match", [
    ("yes", "Ein Text", r"final_annotations.csv, row 1 \(line 2\), field 'US': expected a 0/1 label"),
    ("1", "", r"de.csv, row 1 \(line 2\), field 'Translation': empty caption"),
])
def test_multi3hate_bad_input_names_file_row_and_field(tmp_path, labels_us, caption_de, match):
    write_multi3hate(tmp_path, labels_us, caption_de)
    with pytest.raises(InputError, match=match):
        data.read_multi3hate(tmp_path, ["en", "de"], ["US", "DE"])


# -- translation ------------------------------------------------------------------------------------
@pytest.mark.parametrize("source,translation,status", [
    ("Hello there", "Hallo da", "ok"), ("Hello there", "  ", "empty"), ("TRUMP BLEACH", "trump  bleach", "copied"),
    ("Hello there my friend", "Hi", "length"), ("Hi", "Hallo " * 10, "length")])
def test_translation_status(source, translation, status):
    assert translate.translation_status(source, translation) == status


class Scripted:
    """A translator that answers from a table (source text -> translation) and an embedder whose vectors
    are given per text, so every status and similarity is known."""

    def __init__(self, answers, vectors):
        self.answers, self.vectors, self.asked = answers, vectors, []

    def generate(self, requests):
        self.asked += [r.messages[-1][1] for r in requests]
        # as the hf backend returns a base model's reply: cut at its next turn, sometimes a line longer
        return [self.answers[r.messages[-1][1]] + ("\nmore" if self.answers[r.messages[-1][1]] else "")
                for r in requests]

    def embed(self, requests):
        return [self.vectors[r.input] for r in requests]


def test_caption_table_records_broken_translations_and_back_translation_similarity():
    memes = pd.DataFrame({"id": ["a", "b"], "caption_en": ["good day", "bad day"]})
    model = Scripted({"good day": "guten Tag", "bad day": "", "guten Tag": "good day", "": "nothing"},
                     {"good day": [1.0, 0.0], "bad day": [0.0, 1.0], "nothing": [1.0, 1.0]})
    table = translate.caption_table(memes, ["en", "de"], model, model, max_new_tokens=8)
    de = table[table["language"] == "de"].set_index("id")
    assert list(de["caption"]) == ["guten Tag", ""]             # the empty one is kept, not dropped
    assert list(de["caption_status"]) == ["ok", "empty"]
    assert list(de["back_translation"]) == ["good day", "nothing"]  # the first line of each reply
    assert de.loc["a", "similarity"] == pytest.approx(1.0)
    assert de.loc["b", "similarity"] == pytest.approx(1 / np.sqrt(2))
    assert de.loc["a", "unrelated_similarity"] == pytest.approx(0.0)  # "good day" vs the next caption
    assert (table.loc[table["language"] == "en", "caption_status"] == "source").all()
    counts = tables.table_translation(table).iloc[0]
    assert counts["broken_captions"] == 1 and counts["broken_back_translations"] == 1  # "" -> "nothing": length
    with_dataset = memes.assign(caption_de=["Hallo", "Tschuess"])
    model = Scripted({"Hallo": "good day", "Tschuess": "bad day"}, model.vectors)
    table = translate.caption_table(with_dataset, ["en", "de"], model, model, 8)
    assert model.asked == ["Hallo", "Tschuess"]                 # the dataset's captions are not retranslated
    assert (table.loc[table["language"] == "de", "caption_status"] == "dataset").all()


def test_translation_on_gemma_is_cached_and_byte_identical_on_rerun(tmp_path):
    """The real Gemma-3-270m and MiniLM through the call cache: the rerun loads no model and writes the
    same bytes (Check 2 of issue 16)."""
    import json

    from papers.core.cli import open_model
    from papers.core.io import write_parquet
    from tests.conftest import model_dir

    memes = pd.DataFrame({"id": ["a", "b"], "caption_en": ["I love my dog.", "Stay at home."]})
    entries = [json.dumps({"backend": "hf", "model": str(model_dir("gemma-3-270m")), "dtype": "bfloat16",
                           "options": {"generate_dtype": "float32"}}),
               json.dumps({"backend": "sentence-transformers", "model": str(model_dir("all-minilm-l6-v2"))})]
    digests = []
    for run in range(2):
        translator, embedder = (open_model(e, str(tmp_path / "cache.sqlite"), 1) for e in entries)
        table = translate.caption_table(memes, ["en", "de"], translator, embedder, max_new_tokens=10)
        write_parquet(tmp_path / f"captions{run}.parquet", table)
        digests.append(hashlib.sha256((tmp_path / f"captions{run}.parquet").read_bytes()).hexdigest())
        if run == 1:
            assert translator.calls == 0 and embedder.calls == 0 and translator._backend is None  # all cached
    assert digests[0] == digests[1]
    assert set(table["caption_status"]) <= {"source", "ok", "empty", "copied", "length"}


# -- the three axes ---------------------------------------------------------------------------------
@pytest.fixture
def memes_and_captions(tmp_path):
    from PIL import Image

    ids = ["m0", "m1", "m2", "m3"]
    for i, meme in enumerate(ids):
        Image.new("RGB", (8, 8), (40 * i, 0, 0)).save(tmp_path / f"{meme}.png")
    memes = pd.DataFrame({"id": ids, "caption_en": [f"text {i}" for i in range(4)],
                          **{f"image_{lang}": [str(tmp_path / f"{m}.png") for m in ids] for lang in LANGS},
                          **{f"label_{c}": [1, 0, 1, 0] if c != "MX" else [0, 0, 1, 1] for c in COUNTRIES}})
    captions = pd.DataFrame([{"id": m, "language": lang, "caption": f"{lang}:{m}", "back_translation": f"back:{m}"}
                             for lang in LANGS for m in ids])
    return memes, captions


def test_requests_cross_the_three_axes(memes_and_captions):
    memes, captions = memes_and_captions
    records, requests = evaluate.build_requests(memes, captions, LANGS, seed=3)
    assert len(requests) == 4 * (2 + 8 + 8)
    frame = pd.DataFrame(records)
    assert not frame.duplicated().any()
    for record, request in zip(records, requests):
        user = request.messages[-1][1]
        assert isinstance(user[0], ImagePart) and user[0].source.startswith(f"meme {record['id']}")
        expected = f"{record['language']}:{record['id']}" if record["caption"] == "original" else f"back:{record['id']}"
        assert expected in user[1].text
        native = record["prompt"] == "native" and record["language"] != "en"
        assert request.options == {"de": ("Ja", "Nein"), "es": ("Sí", "No")}.get(record["language"], ("Yes", "No")) \
            if native else request.options == ("Yes", "No")
        if record["learning"] == "one_shot":
            (_, shown), (_, answer), _ = request.messages
            example = evaluate.one_shot_example(record["id"], list(memes["id"]), 3)
            assert example != record["id"] and shown[0].source.startswith(f"meme {example}")
            country = evaluate.COUNTRY_OF[record["language"]]
            gold = memes.set_index("id").at[example, f"label_{country}"]
            assert answer == (request.options[0] if gold == 1 else request.options[1])
        else:
            assert len(request.messages) == 1


class Oracle:
    """An LVLM stand-in that says yes exactly for the memes whose German caption is in `hateful`."""

    def __init__(self, hateful):
        self.hateful = hateful

    def score(self, requests):
        return [[0.0, -2.0] if any(h in r.messages[-1][1][1].text for h in self.hateful) else [-2.0, 0.0]
                for r in requests]


def test_scores_and_tables_match_sklearn(memes_and_captions):
    memes, captions = memes_and_captions
    scores = evaluate.score_memes(Oracle({"de:m0", "de:m2", "en:m1"}), "oracle", memes, captions, LANGS, 3, 0.5)
    assert scores["p_yes"].between(0, 1).all()
    f1 = tables.table_f1_settings(scores, memes, LANGS, seed=1)
    de = f1[(f1["language"] == "de") & (f1["prompt"] == "native") & (f1["caption"] == "original")]
    assert (de["macro_f1"] == 1.0).all()                         # the oracle's German original-caption answers
    for _, row in f1[f1["kind"] == "model"].iterrows():
        cell = scores[(scores["language"] == row["language"]) & (scores["learning"] == row["learning"])
                      & (scores["prompt"] == row["prompt"]) & (scores["caption"] == row["caption"])]
        gold = memes.set_index("id").loc[cell["id"], f"label_{row['country']}"]
        assert row["macro_f1"] == pytest.approx(f1_score(gold, cell["prediction"], average="macro", labels=[0, 1],
                                                         zero_division=0))
    assert set(f1.loc[f1["kind"] == "trivial", "model"]) == {"most frequent", "chance"}
    effects = tables.table_axis_effects(f1).set_index("axis")
    # translated captions lose the oracle's cue: German F1 1 -> all "no" (4 pairs); Spanish has no cue
    # either way (all "no", 4 pairs of change 0)
    all_no = f1_score([1, 0, 1, 0], [0, 0, 0, 0], average="macro", labels=[0, 1], zero_division=0)
    assert effects.at["translate_then_detect", "mean_delta_macro_f1"] == pytest.approx(4 * (all_no - 1.0) / 8)
    assert effects.at["one_shot", "pairs"] == 9 and effects.at["one_shot", "mean_delta_macro_f1"] == 0
    agreement = tables.table_agreement(scores, memes, COUNTRIES, seed=1)
    row = agreement[(agreement["model"] == "oracle") & (agreement["language"] == "de") & (agreement["country"] == "MX")]
    cell = scores[(scores["language"] == "de") & (scores["learning"] == "zero_shot") & (scores["prompt"] == "native")
                  & (scores["caption"] == "original")]
    assert row["kappa"].item() == pytest.approx(cohen_kappa_score([0, 0, 1, 1], cell["prediction"]))
    ref = agreement[(agreement["kind"] == "reference") & (agreement["country"] == "MX")]
    assert ref["kappa"].item() == pytest.approx(cohen_kappa_score([0, 0, 1, 1], [1, 0, 1, 0]))
    means = agreement[agreement["language"] == "mean"]
    assert len(means) == len(COUNTRIES)


def test_config_problems_name_what_the_tables_and_claims_need():
    config = {"cross_cultural_memes": {"languages": ["de", "hi"], "countries": ["DE"], "vision_dataset": "x"},
              "vision": {"memes": {"harm_c": {}}}}
    found = " ".join(problems(config))
    for part in ("must include en", "hi: IN", "must include US", "non-Western", "'x' is not a meme dataset"):
        assert part in found


# -- the real mini LVLM -----------------------------------------------------------------------------
def test_the_real_mini_lvlm_answers_every_setting_and_looks_at_the_image(memes, mini_lvlm, tmp_path):  # noqa: F811
    """The mini LVLM trained with tiny settings (tests/test_lvlm.py's fixture) through the registry's
    hf backend and the cache: every setting is answered, one-shot chats with two images included, and
    swapping the memes' pictures changes the scores."""
    from papers.core.cache import CachedModel, CallCache
    from papers.core.llm.base import ModelSpec

    chosen = data.mini_memes(memes[memes["split"] == "val"].assign(split="test"), 4, ["en", "de"], COUNTRIES, 1, 5)
    captions = pd.DataFrame([{"id": m, "language": lang, "caption": c, "back_translation": c}
                             for lang in ("en", "de") for m, c in zip(chosen["id"], chosen["caption_en"])])
    model = CachedModel(ModelSpec(backend="hf", model=str(mini_lvlm), revision="trained-in-dag"),
                        CallCache(tmp_path / "cache.sqlite"))
    scores = evaluate.score_memes(model, "mini-lvlm", chosen, captions, ["en", "de"], 1, 0.5)
    assert len(scores) == 4 * (2 + 8) and scores["p_yes"].between(0, 1).all() and scores["p_yes"].nunique() > 4
    one, zero = (scores[scores["learning"] == k].set_index(["id", "language", "prompt", "caption"])["p_yes"]
                 for k in ("one_shot", "zero_shot"))
    assert (one - zero.loc[one.index]).abs().max() > 1e-6       # the solved example changes the answer
    swapped = chosen.assign(**{f"image_{lang}": list(chosen[f"image_{lang}"])[::-1] for lang in ("en", "de")})
    other = evaluate.score_memes(model, "mini-lvlm", swapped, captions, ["en", "de"], 1, 0.5)
    assert (other["logp_yes"] - scores["logp_yes"]).abs().max() > 1e-6  # same text, other picture
    again = evaluate.score_memes(model, "mini-lvlm", chosen, captions, ["en", "de"], 1, 0.5)
    pd.testing.assert_frame_equal(again, scores)                 # from the cache, the same answers
