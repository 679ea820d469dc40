"""Meme tables: the HarMeme and FHM loaders on good and bad input (errors name file, row, field, or meme
id and path), the memes step at both scales, and the renderer: byte-identical across runs, and its
picture carries part of the label that the text cannot give."""
import json

import numpy as np
import pandas as pd
import pytest
from pathlib import Path
from PIL import Image

from papers.core.io import InputError
from papers.core.llm.types import ImageError
from papers.core.vision import render
from papers.core.vision.memes import check_images, load_memes, read_fhm, read_harmeme, validate
from papers.core.vision.prepare import prepare

HARMEME = "data/memes/harmeme"
PICTOGRAMS = "data/memes/pictograms"
SPLITS = {"train": f"{HARMEME}/Harm-C_train.jsonl", "val": f"{HARMEME}/Harm-C_val.jsonl",
          "test": f"{HARMEME}/Harm-C_test.jsonl"}


def jsonl(path, records) -> str:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records))
    return str(path)


def meme(i, severity="not harmful", **extra):
    return {"id": f"m{i}", "image": f"m{i}.png", "labels": [severity, "individual"], "text": f"text {i}", **extra}


def test_harmeme_binarises_severity_and_keeps_the_name(tmp_path):
    path = jsonl(tmp_path / "a.jsonl", [meme(1, "very harmful"), meme(2, "somewhat harmful"), meme(3)])
    frame = read_harmeme(path, tmp_path / "img", "harm_c", "train")
    assert list(frame["label"]) == [1, 1, 0]
    assert list(frame["label_name"]) == ["very harmful", "somewhat harmful", "not harmful"]
    assert frame["image"][0] == str(tmp_path / "img" / "m1.png") and set(frame["split"]) == {"train"}


@pytest.mark.parametrize("bad, line, field, message", [
    ('{"id": "m2", "image": "m2.png", "labels": ["not harmful"]', 2, None, "malformed JSON"),
    ({"id": "m2", "image": "m2.png", "text": "x"}, 2, "labels", "missing field"),
    ({**meme(2), "labels": ["deadly"]}, 2, "labels", "severity 'deadly' is not one of"),
    ({**meme(2), "labels": []}, 2, "labels", "non-empty list"),
    ({**meme(2), "id": ""}, 2, "id", "non-empty string"),
    ({**meme(2), "text": 7}, 2, "text", "expected a string"),
    (meme(1), 2, "id", "meme id 'm1' appears twice"),
])
def test_bad_harmeme_rows_name_file_row_and_field(tmp_path, bad, line, field, message):
    path = jsonl(tmp_path / "bad.jsonl", [meme(1), bad])
    with pytest.raises(InputError, match=message) as err:
        read_harmeme(path, tmp_path, "harm_c", "train")
    assert err.value.path == path and err.value.row == 2 and err.value.field == field
    assert err.value.line in (line, None) and str(err.value).startswith(f"{path}, row 2")


def test_an_empty_severity_is_an_error_unless_skipped(tmp_path):
    path = jsonl(tmp_path / "p.jsonl", [meme(1), {**meme(2), "labels": ["", "individual"]}])
    with pytest.raises(InputError, match=r"row 2 \(line 2\), field 'labels': severity ''"):
        read_harmeme(path, tmp_path, "harm_p", "train")
    assert list(read_harmeme(path, tmp_path, "harm_p", "train", skip_unlabelled=True)["id"]) == ["m1"]


def test_fhm_rows_and_their_errors(tmp_path):
    rows = [{"id": 42, "img": "img/42.png", "label": 1, "text": "a"}, {"id": "7", "img": "img/7.png", "label": 0,
                                                                       "text": "b"}]
    frame = read_fhm(jsonl(tmp_path / "f.jsonl", rows), tmp_path, "fhm", "val")
    assert list(frame["id"]) == ["42", "7"] and list(frame["label"]) == [1, 0]
    assert list(frame["label_name"]) == ["hateful", "not hateful"]
    with pytest.raises(InputError, match=r"f2.jsonl, row 2 \(line 2\), field 'label': expected 0 or 1"):
        read_fhm(jsonl(tmp_path / "f2.jsonl", [rows[0], {**rows[1], "label": 2}]), tmp_path, "fhm", "val")
    with pytest.raises(InputError, match="field 'img': missing field"):
        read_fhm(jsonl(tmp_path / "f3.jsonl", [{"id": 1, "label": 0, "text": ""}]), tmp_path, "fhm", "val")


def test_loaders_reject_wrong_types(tmp_path):
    path = jsonl(tmp_path / "a.jsonl", [meme(1)])
    with pytest.raises(TypeError):
        read_harmeme(path, 3, "harm_c", "train")
    with pytest.raises(ValueError, match="split must be one of"):
        read_harmeme(path, tmp_path, "harm_c", "training")
    with pytest.raises(TypeError):
        validate({"id": []}, "x")


def test_a_missing_or_broken_image_names_the_meme_and_path(tmp_path):
    Image.new("RGB", (4, 4), "red").save(tmp_path / "m1.png")
    (tmp_path / "m2.png").write_bytes((tmp_path / "m1.png").read_bytes()[:30])
    frame = read_harmeme(jsonl(tmp_path / "a.jsonl", [meme(1), meme(2)]), tmp_path, "harm_c", "train")
    with pytest.raises(ImageError, match=r"meme m2: .*m2.png: not a readable image"):
        check_images(frame)
    frame = read_harmeme(jsonl(tmp_path / "b.jsonl", [meme(1), meme(3)]), tmp_path, "harm_c", "train")
    with pytest.raises(ImageError, match=r"meme m3: .*m3.png: cannot read"):
        check_images(frame)


def test_real_images_are_checked_and_linked(tmp_path):
    images = tmp_path / "real"
    images.mkdir()
    for i in (1, 2):
        Image.new("RGB", (4, 4), "blue").save(images / f"m{i}.png")
    path = jsonl(tmp_path / "a.jsonl", [meme(1, "very harmful"), meme(2)])
    memes = prepare("harm_c", "harmeme", {"test": path}, tmp_path / "out" / "memes.parquet", tmp_path / "out" / "images",
                    images=images)
    loaded = load_memes(tmp_path / "out" / "memes.parquet")
    assert list(loaded["image"]) == [str(tmp_path / "out" / "images" / f"m{i}.png") for i in (1, 2)]
    assert (tmp_path / "out" / "images" / "m1.png").resolve() == (images / "m1.png").resolve()
    assert list(memes["label"]) == [1, 0]


def test_load_memes_names_the_bad_row_and_column(tmp_path):
    frame = pd.DataFrame({"id": ["a", "b"], "dataset": "d", "split": ["train", "dev"], "text": "t",
                          "image": "x.png", "label": [0, 1], "label_name": "n"})
    frame.to_parquet(tmp_path / "m.parquet")
    with pytest.raises(InputError, match=r"m.parquet, row 2, field 'split': bad value 'dev'"):
        load_memes(tmp_path / "m.parquet")
    frame.drop(columns="label").to_parquet(tmp_path / "n.parquet")
    with pytest.raises(InputError, match="missing column.*label"):
        load_memes(tmp_path / "n.parquet")
    (tmp_path / "c.parquet").write_text("not parquet")
    with pytest.raises(InputError, match="not a readable Parquet"):
        load_memes(tmp_path / "c.parquet")


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """The mini Harm-C memes rendered twice into two folders."""
    runs = []
    for name in ("one", "two"):
        out = tmp_path_factory.mktemp(name)
        prepare("harm_c", "harmeme", SPLITS, out / "memes.parquet", out / "images", pictograms=PICTOGRAMS, seed=42)
        runs.append(out)
    return runs


def test_rendering_is_byte_identical_across_runs(rendered):
    one, two = rendered
    files = sorted(p.name for p in (one / "images").iterdir())
    assert len(files) == sum(len(Path(f).read_text().splitlines()) for f in SPLITS.values())
    assert all((one / "images" / f).read_bytes() == (two / "images" / f).read_bytes() for f in files)
    a, b = load_memes(one / "memes.parquet"), load_memes(two / "memes.parquet")
    columns = [c for c in a.columns if c != "image"]
    pd.testing.assert_frame_equal(a[columns], b[columns])
    with Image.open(a["image"][0]) as picture:
        assert picture.size == (render.SIZE, render.SIZE)


def test_the_label_follows_the_documented_rule(rendered):
    memes = load_memes(rendered[0] / "memes.parquet")
    assert (memes["label"] == (memes["text_label"] | memes["picture_label"])).all()
    assert ((memes["picture_group"] == "hostile") == (memes["picture_label"] == 1)).all()
    real = read_harmeme(SPLITS["train"], "x", "harm_c", "train").set_index("id")["label"]
    train = memes[memes["split"] == "train"].set_index("id")
    assert (train["text_label"] == real.loc[train.index]).all()
    # each kind of disagreement exists: text alone and picture alone both fail somewhere
    assert ((memes["text_label"] == 0) & (memes["label"] == 1)).any()
    assert ((memes["picture_label"] == 0) & (memes["label"] == 1)).any()
    hostile = memes["caption"][memes["picture_group"] == "hostile"]
    assert hostile.str.contains(" and ").any() and memes["caption"].nunique() > 50
    assert not memes["caption"].str.contains("background").any()  # the colour is not what CLIP should learn


def test_the_picture_carries_signal_the_text_cannot(rendered):
    """Fitted on the train split (generator ground truth as features), scored on the held-out memes:
    text label and picture group together give the label; the text label alone does not; the picture
    group alone beats the majority class and matches the Bayes ceiling of text_missing_ceiling."""
    from sklearn.linear_model import LogisticRegression

    memes = load_memes(rendered[0] / "memes.parquet")
    groups = pd.get_dummies(memes["picture_group"]).astype(float)
    features = {"text": memes[["text_label"]].astype(float), "picture": groups,
                "both": pd.concat([memes[["text_label"]].astype(float), groups], axis=1)}
    train, held = memes["split"] == "train", memes["split"] != "train"
    accuracy = {}
    for name, x in features.items():
        model = LogisticRegression(C=100.0, max_iter=1000).fit(x[train], memes["label"][train])
        accuracy[name] = (model.predict(x[held]) == memes["label"][held]).mean()
    majority = max(memes["label"][held].mean(), 1 - memes["label"][held].mean())
    ceiling = render.text_missing_ceiling(memes[held])
    assert accuracy["both"] == 1.0
    assert accuracy["text"] < 0.9 and accuracy["picture"] < 0.9
    assert accuracy["picture"] > majority + 0.1 and accuracy["picture"] <= ceiling + 1e-9
    assert 0.5 < ceiling < 1
    assert abs(ceiling - render.expected_text_missing_ceiling(memes["text_label"][held].mean())) < 0.1


def test_the_ceiling_is_the_bayes_rule():
    prior = 0.35
    assert render.picture_posterior("hostile", prior) == 1.0
    joke = render.picture_posterior("joke", prior)
    assert joke == pytest.approx(0.35 * 0.45 / (0.35 * 0.45 + 0.65 * 0.15))
    expected = 0.25 + 0.35 * 0.45 + 0.65 * 0.60  # hostile right, joke -> 1, benign -> 0
    assert render.expected_text_missing_ceiling(prior) == pytest.approx(expected)
    table = pd.DataFrame({"picture_group": ["hostile", "joke", "benign", "benign"], "text_label": [0, 1, 1, 0],
                          "label": [1, 1, 1, 0]})
    assert render.text_missing_ceiling(table, prior=prior) == 0.75
    with pytest.raises(TypeError):
        render.text_missing_ceiling(table.to_dict())
