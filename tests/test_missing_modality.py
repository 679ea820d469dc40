"""Paper 9's methods on synthetic features whose structure is known: the text vector tells the label
cleanly, the image vector tells it through noise (a picture-only ceiling of about 0.85), so a
detector that leans on text fails when the text goes missing and one trained to stand on the image
alone does not. Also the missing-text masks and their stand-ins, and seeding."""
import numpy as np
import pandas as pd
import pytest

from papers.core.report.figures import save_figure
from papers.missing_modality.evaluate import evaluate
from papers.missing_modality.figures import figure_missing_rates
from papers.missing_modality.masking import stand_in_vector, text_missing_mask, with_stand_in
from papers.missing_modality.methods import METHODS, Settings, make_method
from papers.missing_modality.tables import table_main_results, table_missing_rates

SETTINGS = Settings(hidden=32, shared_dim=16, epochs=150)


def memes(n: int, seed: int, d_image: int = 12, d_text: int = 10):
    """(image, text, labels): the label is a coin flip; the text carries it along one axis with
    little noise, away from the origin as sentence embeddings are (so the zero vector is no text
    anyone wrote), the image along another with enough noise that about 16% of the images point
    the wrong way."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, n)
    text = rng.normal(0, 0.3, (n, d_text)).astype(np.float32)
    text[:, 0] += 2.0 * labels
    text[:, 1] += 3.0  # the direction every text shares
    image = rng.normal(0, 1.0, (n, d_image)).astype(np.float32)
    image[:, 0] += 2.0 * labels - 1.0  # P(noise < -1) ~ 0.16: the ceiling from the image is ~0.84
    return image, text, labels


@pytest.fixture(scope="module")
def data():
    return memes(600, seed=1), memes(400, seed=2)


@pytest.fixture(scope="module")
def fitted(data):
    (image, text, labels), _ = data
    return {name: make_method(name, SETTINGS).fit(image, text, labels, seed=0) for name in METHODS}


def accuracy_without_text(model, test) -> float:
    image, text, labels = test
    missing = np.ones(len(labels), dtype=bool)
    return float((model.predict_proba(image, text, text_missing=missing).argmax(1) == labels).mean())


def test_every_method_learns_the_complete_memes(data, fitted):
    _, (image, text, labels) = data
    for name, model in fitted.items():
        accuracy = (model.predict_proba(image, text).argmax(1) == labels).mean()
        assert accuracy > (0.75 if name == "image_only" else 0.95), (name, accuracy)


def test_shared_space_stands_on_the_image_when_the_text_is_missing(data, fitted):
    test = data[1]
    shared = accuracy_without_text(fitted["shared_space"], test)
    assert shared > 0.75  # chance is 0.5, the image's ceiling about 0.84
    assert shared > accuracy_without_text(fitted["early_fusion"], test) + 0.1
    assert shared > accuracy_without_text(fitted["text_only"], test) + 0.1


def test_late_fusion_without_text_is_the_image_classifier(data, fitted):
    image, text, _ = data[1]
    missing = np.ones(len(image), dtype=bool)
    np.testing.assert_allclose(fitted["late_fusion"].predict_proba(image, text, text_missing=missing),
                               fitted["image_only"].predict_proba(image, text))


def test_removing_the_image_changes_the_shared_space_predictions(data, fitted):
    image, text, _ = data[1]
    model = fitted["shared_space"]
    gone = np.ones(len(image), dtype=bool)
    both, text_alone = model.predict_proba(image, text), model.predict_proba(image, text, image_missing=gone)
    assert np.abs(both - text_alone).max() > 0.01
    with pytest.raises(ValueError, match="neither text nor image"):
        model.predict_proba(image, text, text_missing=gone, image_missing=gone)


@pytest.mark.parametrize("name", METHODS)
def test_same_seed_same_predictions_other_seed_other_weights(data, name):
    (image, text, labels), _ = data
    quick = Settings(hidden=8, shared_dim=4, epochs=20)
    half = np.arange(len(labels)) % 2 == 0
    runs = [make_method(name, quick).fit(image, text, labels, seed=s).predict_proba(image, text, text_missing=half)
            for s in (3, 3, 4)]
    np.testing.assert_array_equal(runs[0], runs[1])
    assert not np.array_equal(runs[0], runs[2])


def test_methods_reject_wrong_types(data):
    (image, text, labels), _ = data
    with pytest.raises(TypeError):
        make_method("early_fusion", SETTINGS).fit(image.tolist(), text, labels, seed=0)
    with pytest.raises(TypeError):
        make_method("shared_space", SETTINGS).fit(image, text, labels.astype(float), seed=0)
    with pytest.raises(TypeError):
        make_method("shared_space", {"epochs": 3})
    with pytest.raises(ValueError, match="unknown method"):
        make_method("mid_fusion", SETTINGS)


# ---------------------------------------------------------------- missing-text masks

@pytest.mark.parametrize("rate", [0.0, 0.25, 0.5, 0.75, 1.0])
def test_mask_removes_exactly_the_rate(rate):
    mask = text_missing_mask(203, rate, seed=7)
    assert mask.dtype == bool and mask.sum() == round(rate * 203)
    np.testing.assert_array_equal(mask, text_missing_mask(203, rate, seed=7))


def test_masks_of_one_seed_are_nested_and_seeds_differ():
    masks = [text_missing_mask(100, r, seed=3) for r in (0.25, 0.5, 0.75)]
    assert all((low <= high).all() for low, high in zip(masks, masks[1:]))
    assert not np.array_equal(masks[1], text_missing_mask(100, 0.5, seed=4))


def test_mask_rejects_wrong_types_and_values():
    with pytest.raises(TypeError):
        text_missing_mask(10.0, 0.5, seed=1)
    with pytest.raises(TypeError):
        text_missing_mask(10, "half", seed=1)
    with pytest.raises(ValueError):
        text_missing_mask(10, 1.5, seed=1)


def test_missing_rows_get_the_documented_stand_in():
    train = np.array([[1.0, 2.0], [3.0, 6.0]], dtype=np.float32)
    np.testing.assert_array_equal(stand_in_vector(train, "zero"), [0.0, 0.0])
    np.testing.assert_array_equal(stand_in_vector(train, "mean"), [2.0, 4.0])
    text = np.arange(6, dtype=np.float32).reshape(3, 2)
    missing = np.array([False, True, False])
    out = with_stand_in(text, missing, stand_in_vector(train, "mean"))
    np.testing.assert_array_equal(out, [[0, 1], [2, 4], [4, 5]])
    np.testing.assert_array_equal(text[1], [2, 3])  # the input is left as it was
    with pytest.raises(ValueError, match="unknown text stand-in"):
        stand_in_vector(train, "median")


# ---------------------------------------------------------------- the evaluation grid and its tables

def meme_table(labels: np.ndarray, dataset: str):
    splits = np.where(np.arange(len(labels)) < 0.7 * len(labels), "train", "test")
    return pd.DataFrame({"id": [f"m{i}" for i in range(len(labels))], "dataset": dataset, "split": splits,
                         "label": labels})


@pytest.fixture(scope="module")
def scores():
    image, text, labels = memes(200, seed=5)
    quick = Settings(hidden=16, shared_dim=8, epochs=60)
    frames = [evaluate(meme_table(labels, name), image, text, list(METHODS), quick, seeds=[0, 1],
                       rates=[0.0, 0.5, 1.0]) for name in ("harm_c", "harm_p")]
    return pd.concat(frames, ignore_index=True)


def test_the_grid_scores_every_method_seed_and_rate(scores):
    assert len(scores) == 2 * (len(METHODS) + 2) * 2 * 3
    n_test = 200 - 140
    assert set(scores["n_test"]) == {n_test}
    assert dict(scores.groupby("rate")["n_missing"].first()) == {0.0: 0, 0.5: n_test // 2, 1.0: n_test}
    # the trivial baselines read no feature: the rate does not move them
    trivial = scores[scores["method"].isin(["most_frequent", "chance"])]
    assert (trivial.groupby(["dataset", "method", "seed"])["macro_f1"].nunique() == 1).all()
    # image_only reads no text either
    image_only = scores[scores["method"] == "image_only"]
    assert (image_only.groupby(["dataset", "seed"])["accuracy"].nunique() == 1).all()


def test_main_table_has_both_conditions_spread_and_trivial_rows(scores):
    table = table_main_results(scores, {"harm_c": 0.8, "harm_p": float("nan")})
    assert list(table["dataset"].unique()) == ["Harm-C", "Harm-P"]
    assert list(table["method"][:8]) == [*METHODS, "most_frequent", "chance", "picture_ceiling"]
    row = table[(table["dataset"] == "Harm-C") & (table["method"] == "shared_space")].iloc[0]
    assert row["kind"] == "method" and row["seeds"] == 2
    expected = scores[(scores["dataset"] == "harm_c") & (scores["method"] == "shared_space") & (scores["rate"] == 1.0)]
    assert row["macro_f1_text_missing"] == pytest.approx(expected["macro_f1"].mean())
    assert row["macro_f1_text_missing_sd"] == pytest.approx(expected["macro_f1"].std(ddof=1))
    assert row["macro_f1_drop"] == pytest.approx(row["macro_f1_complete"] - row["macro_f1_text_missing"])
    ceiling = table[table["method"] == "picture_ceiling"]
    assert ceiling["accuracy_text_missing"].iloc[0] == 0.8 and np.isnan(ceiling["accuracy_text_missing"].iloc[1])


def test_rates_table_and_figure(scores, tmp_path):
    rates = table_missing_rates(scores)
    assert len(rates) == 2 * (len(METHODS) + 2) * 3
    assert set(rates.columns) >= {"rate", "macro_f1", "macro_f1_sd", "accuracy", "accuracy_sd"}
    paths = save_figure(figure_missing_rates(rates, "test"), tmp_path / "figure_missing_rates")
    assert all(p.stat().st_size > 0 for p in paths)


def test_config_problems_name_the_rates_and_datasets_the_tables_and_claims_need():
    import yaml

    from papers.missing_modality.config import problems
    from tests.test_inputs import ROOT

    config = yaml.safe_load((ROOT / "config/config.yaml").read_text())
    assert problems(config) == []
    config["missing_modality"].update(missing_rates=[0.5, 0.25], datasets=["harm_c"])
    found = "\n".join(problems(config))
    assert "must include 0 (complete memes) and 1" in found and "increasing order" in found
    assert "must include harm_p" in found
