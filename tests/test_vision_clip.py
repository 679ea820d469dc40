"""The CLIP trained in the DAG and the open_clip backend: training is reproducible to the byte and
learns (held-out retrieval above chance); the backend embeds texts and images as unit vectors through
the cache, keys on the weights, and refuses what CLIP cannot do."""
import copy
import json

import numpy as np
import pytest
from pathlib import Path

from papers.core.cache import CachedModel, CallCache
from papers.core.embed import embed
from papers.core.llm.base import ModelConfigError, ModelSpec, load_backend
from papers.core.llm.clip_backend import resolve
from papers.core.llm.types import GenerateRequest, ScoreRequest, image, user
from papers.core.vision.clip_train import WEIGHTS_FILE, train_clip
from papers.core.vision.memes import load_memes
from papers.core.vision.prepare import prepare

TINY = {
    "model_cfg": {"embed_dim": 32,
                  "vision_cfg": {"image_size": 32, "layers": 1, "width": 64, "patch_size": 8},
                  "text_cfg": {"context_length": 16, "vocab_size": 49408, "width": 32, "heads": 2, "layers": 1}},
    "holdout": "val", "steps": 4, "batch_size": 8, "learning_rate": 0.002, "weight_decay": 0.1, "warmup": 1,
    "threads": 1,
}
SPLITS = {s: f"data/memes/harmeme/Harm-C_{s}.jsonl" for s in ("train", "val")}


@pytest.fixture(scope="module")
def memes(tmp_path_factory):
    out = tmp_path_factory.mktemp("memes")
    prepare("harm_c", "harmeme", SPLITS, out / "memes.parquet", out / "images", pictograms="data/memes/pictograms",
            seed=42)
    return load_memes(out / "memes.parquet")


@pytest.fixture(scope="module")
def tiny_model(memes, tmp_path_factory):
    out = tmp_path_factory.mktemp("clip") / "tiny-clip"
    train_clip(memes, copy.deepcopy(TINY), 7, out, log=lambda *_: None)
    return out


def test_training_is_byte_identical_across_runs(memes, tiny_model, tmp_path):
    again = tmp_path / "again"
    train_clip(memes, copy.deepcopy(TINY), 7, again, log=lambda *_: None)
    for name in (WEIGHTS_FILE, "open_clip_config.json", "training.json"):
        assert (tiny_model / name).read_bytes() == (again / name).read_bytes(), name
    other = tmp_path / "other-seed"
    train_clip(memes, copy.deepcopy(TINY), 8, other, log=lambda *_: None)
    assert (other / WEIGHTS_FILE).read_bytes() != (tiny_model / WEIGHTS_FILE).read_bytes()


def test_the_training_record(tiny_model):
    record = json.loads((tiny_model / "training.json").read_text())
    assert len(record["loss"]) == TINY["steps"] and record["data"]["train_memes"] == len(Path(SPLITS["train"]).read_text().splitlines())
    final = record["final"]
    assert final["step"] == TINY["steps"] and final["chance_top1"] == 1 / final["captions"]
    assert record["tokenizer"]["context_length"] == 16


def test_training_rejects_bad_settings(memes, tmp_path):
    with pytest.raises(ValueError, match="lack steps"):
        train_clip(memes, {k: v for k, v in TINY.items() if k != "steps"}, 1, tmp_path / "x")
    with pytest.raises(TypeError):
        train_clip(memes, TINY, "7", tmp_path / "x")


@pytest.mark.slow
def test_training_learns(memes, tmp_path):
    """60 steps of the tiny model learn what a caption names: here the background colour (six captions,
    something 32 px can show), so held-out image -> caption retrieval is well above chance. (Whether
    the mini config's model learns the pictograms is measured in the DAG: training.json, the figure.)"""
    settings = {**copy.deepcopy(TINY), "steps": 60, "threads": 2}
    colours = memes.assign(caption=[f"a {b} background" for b in memes["background"]])
    record = train_clip(colours, settings, 3, tmp_path / "m", log=lambda *_: None)
    assert record["final"]["captions"] == 6
    assert record["final"]["top1"] > 3 * record["final"]["chance_top1"]
    assert record["loss"][-1] < record["loss"][0]


def spec_of(model_dir) -> ModelSpec:
    return ModelSpec.from_config({"backend": "open_clip", "model": str(model_dir), "revision": "trained-in-dag",
                                  "dtype": "float32", "batch_size": 4})


def test_the_backend_embeds_texts_and_images_through_the_cache(memes, tiny_model, tmp_path):
    loads = []

    def loader(spec):
        loads.append(spec)
        return load_backend(spec)

    model = CachedModel(spec_of(tiny_model), CallCache(tmp_path / "c.sqlite"), loader=loader)
    pictures = [image(path, label=meme_id) for meme_id, path in zip(memes["id"][:5], memes["image"][:5])]
    texts = list(memes["caption"][:3])
    images_v, texts_v = embed(model, pictures), embed(model, texts)
    assert images_v.shape == (5, 32) and texts_v.shape == (3, 32)
    assert np.allclose(np.linalg.norm(images_v, axis=1), 1, atol=1e-5)
    assert np.allclose(np.linalg.norm(texts_v, axis=1), 1, atol=1e-5)
    mixed = embed(model, [texts[0], pictures[0]])  # one batch of both kinds, answered in order
    assert np.allclose(mixed, [texts_v[0], images_v[0]])
    again = CachedModel(spec_of(tiny_model), CallCache(tmp_path / "c.sqlite"), loader=loader)
    assert (embed(again, pictures[::-1]) == images_v[::-1]).all() and len(loads) == 1  # from the cache


def test_the_backend_refuses_generate_and_score(tiny_model):
    backend = load_backend(spec_of(tiny_model))
    with pytest.raises(NotImplementedError, match="cannot generate text: CLIP embeds texts and images"):
        backend.generate([GenerateRequest(user("hi"))])
    with pytest.raises(NotImplementedError, match="cannot score options"):
        backend.score([ScoreRequest(user("hi"), ("a", "b"))])


def test_retrained_weights_change_the_key(tiny_model, tmp_path):
    copy_dir = tmp_path / "retrained"
    copy_dir.mkdir()
    for path in tiny_model.iterdir():
        (copy_dir / path.name).write_bytes(path.read_bytes())
    assert spec_of(copy_dir).key() == {**spec_of(tiny_model).key(), "model": str(copy_dir)}
    weights = bytearray((copy_dir / WEIGHTS_FILE).read_bytes())
    weights[-1] ^= 1
    (copy_dir / WEIGHTS_FILE).write_bytes(bytes(weights))
    assert spec_of(copy_dir).key()["weights_sha256"] != spec_of(tiny_model).key()["weights_sha256"]


def test_registry_entries_that_cannot_name_weights_are_refused(tiny_model, tmp_path):
    hub = {"backend": "open_clip", "model": "ViT-L-14", "revision": "abc123", "dtype": "float16"}
    with pytest.raises(ModelConfigError, match="options.pretrained must name its weights"):
        resolve(ModelSpec.from_config(hub))
    with pytest.raises(ModelConfigError, match="open_clip's tags cannot be pinned"):
        resolve(ModelSpec.from_config({**hub, "options": {"pretrained": "openai"}}))
    weights = tmp_path / "w.safetensors"
    weights.write_bytes(b"x")
    assert resolve(ModelSpec.from_config({**hub, "options": {"pretrained": str(weights)}})) == ("ViT-L-14", str(weights))
    with pytest.raises(ModelConfigError, match="drop options.pretrained"):
        resolve(ModelSpec.from_config({**hub, "model": str(tiny_model), "options": {"pretrained": str(weights)}}))
    with pytest.raises(ModelConfigError, match="unknown option"):
        ModelSpec.from_config({**hub, "options": {"precision": "fp16"}})
