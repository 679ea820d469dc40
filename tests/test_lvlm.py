"""Vision-language models on the hf backend: the mini LVLM trained in the DAG (tiny settings here) and a
tiny random transformers LLaVA, both through the same backend code path (llm/hf_vision.py). Their
answers change with the image, an image part is in the cache key, and bad input is named."""
import copy
import json
import shutil

import pandas as pd
import pytest
import torch

from papers.core.cache import CachedModel, CallCache
from papers.core.llm.base import ModelSpec, load_backend
from papers.core.llm.hf_vision import HFVisionBackend, is_vision_model
from papers.core.llm.types import GenerateRequest, ImageError, Sampling, ScoreRequest, TextPart, image, user
from papers.core.vision.clip_train import train_clip
from papers.core.vision.lvlm_train import QUESTION, TRAINING_FILE, train_lvlm
from papers.core.vision.mini_lvlm import CONFIG_FILE, WEIGHTS_FILE, MiniLVLM
from tests.conftest import model_dir
from tests.test_vision_clip import TINY as TINY_CLIP, memes  # noqa: F401 (the memes fixture)

TINY = {"holdout": "val", "eval_memes": 4, "image_tokens": 3, "projector_hidden": 32, "steps": 20, "batch_size": 16,
        "learning_rate": 0.01, "warmup": 2, "threads": 1}
SMOL = model_dir("smollm2-135m-instruct")


@pytest.fixture(scope="module")
def mini_lvlm(memes, tmp_path_factory):
    root = tmp_path_factory.mktemp("lvlm")
    train_clip(memes, copy.deepcopy(TINY_CLIP), 7, root / "clip", log=lambda *_: None)
    train_lvlm(memes, root / "clip", SMOL, dict(TINY), 7, root / "mini-lvlm", log=lambda *_: None)
    return root / "mini-lvlm"


@pytest.fixture(scope="module")
def backend(mini_lvlm):
    return load_backend(ModelSpec(backend="hf", model=str(mini_lvlm)))


def ask(path, question, options=("Yes", "No")):
    return ScoreRequest(user((image(path), TextPart(question))), tuple(options))


def test_the_model_directory_and_its_record(mini_lvlm, memes):
    assert {p.name for p in mini_lvlm.iterdir()} == {CONFIG_FILE, WEIGHTS_FILE, TRAINING_FILE}
    record = json.loads((mini_lvlm / TRAINING_FILE).read_text())
    assert len(record["loss"]) == TINY["steps"] and record["final"]["step"] == TINY["steps"]
    assert record["data"]["train_memes"] == int((memes["split"] == "train").sum())
    held = record["holdout_loss"]
    assert held[0]["step"] == 0 and held[-1]["step"] == TINY["steps"]
    assert held[-1]["loss"] < held[0]["loss"]  # the projector learns the caption embeddings of unseen memes
    assert record["holdout_loss_of_mean_caption"] > 0
    final = record["final"]
    assert final["memes"] == TINY["eval_memes"] and final["yes_no"]["chance"] == 0.5
    assert set(final["caption_nll"]) == {"own_image", "other_image", "no_image"}


def test_the_backend_loads_it_through_the_vision_path(backend, mini_lvlm):
    assert isinstance(backend, HFVisionBackend)
    assert is_vision_model(ModelSpec(backend="hf", model=str(mini_lvlm)))
    assert not is_vision_model(ModelSpec(backend="hf", model=str(SMOL)))


def test_option_scores_change_with_the_image(backend, memes):
    """The image tokens go through the language model: replacing the picture changes every answer."""
    held = memes[memes["split"] == "val"]
    first, other = held.iloc[0], held[held["picture"] != held.iloc[0]["picture"]].iloc[0]
    question = QUESTION.format(thing="a cat")
    captions = (first["caption"], other["caption"], "a dog and a bomb")
    own = backend.score([ask(first["image"], question), ask(first["image"], "What does the picture show?", captions)])
    swapped = backend.score([ask(other["image"], question), ask(other["image"], "What does the picture show?",
                                                                  captions)])
    for a, b in zip(own, swapped):
        assert len(a) == len(b) and all(abs(x - y) > 1e-6 for x, y in zip(a, b))
    again = backend.score([ask(first["image"], question)])
    assert again[0] == pytest.approx(own[0], abs=1e-9)  # and the same image gives the same scores


def test_one_token_options_read_as_full_sequences(backend, memes):
    """Yes / No read from the prompt's last logits equal the same option scored as a full sequence."""
    path = memes.iloc[0]["image"]
    short, full = backend.score([ask(path, "Is it a meme?", ("Yes", "No")), ask(path, "Is it a meme?", ("Yes", "No way"))])
    assert short[0] == pytest.approx(full[0], abs=1e-4)


def test_generate_with_and_without_an_image(backend, memes):
    path = memes.iloc[0]["image"]
    texts = backend.generate([GenerateRequest(user((image(path), TextPart("What does the picture show?"))),
                                              Sampling(max_new_tokens=6)),
                              GenerateRequest(user("Say hello."), Sampling(max_new_tokens=4)),
                              GenerateRequest(user((image(path), TextPart("Describe it."))),
                                              Sampling(temperature=0.8, max_new_tokens=4))])
    assert all(isinstance(t, str) for t in texts)


def test_an_image_part_is_in_the_cache_key(mini_lvlm, memes, tmp_path):
    spec = ModelSpec(backend="hf", model=str(mini_lvlm), revision="trained-in-dag")
    assert "weights_sha256" in spec.key()  # a retrained model at the same path is a new model
    model = CachedModel(spec, CallCache(tmp_path / "calls.sqlite"))
    first, second = memes.iloc[0]["image"], memes.iloc[1]["image"]
    copy_of_first = tmp_path / "copy.png"
    shutil.copy(first, copy_of_first)
    question = QUESTION.format(thing="a cat")
    a = model.score([ask(first, question)])
    b = model.score([ask(second, question)])  # same text, another image: a miss
    assert model.calls == 2 and a != b
    c = model.score([ask(copy_of_first, question)])  # the same pixels from another file: a hit
    assert model.calls == 2 and c == a


def test_bad_input_is_named(mini_lvlm, memes, tmp_path):
    with pytest.raises(ImageError, match="missing.png: cannot read"):
        ask(tmp_path / "missing.png", "Is there a cat?")
    broken = tmp_path / "broken.png"
    broken.write_bytes(open(memes.iloc[0]["image"], "rb").read()[:100])
    with pytest.raises(ImageError, match="broken.png: not a readable image"):
        ask(broken, "Is there a cat?")
    gone = memes.copy()
    gone.loc[gone.index[0], "image"] = str(tmp_path / "gone.png")
    with pytest.raises(ImageError, match="gone.png"):
        train_lvlm(gone, mini_lvlm.parent / "clip", SMOL, dict(TINY), 1, tmp_path / "out", log=lambda *_: None)
    assert not (tmp_path / "out").exists()  # nothing half-written
    with pytest.raises(ValueError, match="lack steps"):
        train_lvlm(memes, mini_lvlm, SMOL, {k: v for k, v in TINY.items() if k != "steps"}, 1, tmp_path / "out")
    with pytest.raises(TypeError):
        train_lvlm(memes, mini_lvlm, SMOL, dict(TINY), "1", tmp_path / "out")


def test_placeholders_must_match_the_images(mini_lvlm):
    model, processor = MiniLVLM.from_pretrained(mini_lvlm)
    inputs = processor(text=["<image> two placeholders <image>"])
    with pytest.raises(ValueError, match="image placeholder ids for 0 image vectors"):
        model(**inputs)


# -- a tiny random transformers LVLM through the same backend ---------------------------------------------
LLAVA_TEMPLATE = ("{% for m in messages %}{{ m['role'].upper() }}: {% for c in m['content'] %}"
                  "{% if c['type'] == 'image' %}<image>\n{% else %}{{ c['text'] }}{% endif %}{% endfor %}\n"
                  "{% endfor %}{% if add_generation_prompt %}ASSISTANT:{% endif %}")


@pytest.fixture(scope="module")
def tiny_llava(tmp_path_factory):
    """A LlavaForConditionalGeneration with random weights and a LlavaProcessor (CLIP image processor,
    SmolLM2's tokenizer with <image> added), saved as a hub model would be: only configs, offline."""
    from transformers import (AutoTokenizer, CLIPImageProcessor, CLIPVisionConfig, LlamaConfig, LlavaConfig,
                              LlavaForConditionalGeneration, LlavaProcessor)

    out = tmp_path_factory.mktemp("tiny-llava")
    tokenizer = AutoTokenizer.from_pretrained(SMOL)
    tokenizer.add_tokens(["<image>"], special_tokens=True)
    vision = CLIPVisionConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=1, num_attention_heads=2,
                              image_size=32, patch_size=8, projection_dim=32)
    text = LlamaConfig(vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                       num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=512)
    config = LlavaConfig(vision_config=vision, text_config=text, image_token_id=tokenizer.convert_tokens_to_ids("<image>"),
                         vision_feature_layer=-1, vision_feature_select_strategy="default")
    torch.manual_seed(0)
    LlavaForConditionalGeneration(config).save_pretrained(out)
    images = CLIPImageProcessor(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32})
    LlavaProcessor(image_processor=images, tokenizer=tokenizer, patch_size=8, vision_feature_select_strategy="default",
                   num_additional_image_tokens=1, chat_template=LLAVA_TEMPLATE).save_pretrained(out)
    return out


def test_a_transformers_llava_through_the_backend(tiny_llava, memes):
    spec = ModelSpec(backend="hf", model=str(tiny_llava), batch_size=2)
    backend = load_backend(spec)
    assert isinstance(backend, HFVisionBackend) and type(backend.model).__name__ == "LlavaForConditionalGeneration"
    first, second = memes.iloc[0]["image"], memes.iloc[1]["image"]
    own, swapped = (backend.score([ask(p, "Is there a cat?"), ask(p, "What is it?", ("a cat", "a bomb and a dog"))])
                    for p in (first, second))
    for a, b in zip(own, swapped):
        assert all(abs(x - y) > 1e-7 for x, y in zip(a, b))
    full = backend.score([ask(first, "Is there a cat?", ("Yes", "No way"))])
    assert full[0][0] == pytest.approx(own[0][0], abs=1e-4)
    texts = backend.generate([GenerateRequest(user((image(first), TextPart("What is it?"))), Sampling(max_new_tokens=3)),
                              GenerateRequest(user((image(second), TextPart("And this?"))), Sampling(max_new_tokens=3)),
                              GenerateRequest(user((image(first), TextPart("What is it?"))), Sampling(max_new_tokens=3))])
    assert texts[0] == texts[2] and all(isinstance(t, str) for t in texts)


def test_the_quality_figure_and_table(mini_lvlm, tmp_path):
    from papers.core.vision.figures import main as figures

    figures(["--lvlm-training", str(mini_lvlm / TRAINING_FILE), "--scale", "test", "--figure",
             str(tmp_path / "figure"), "--table", str(tmp_path / "table")])
    assert (tmp_path / "figure.png").stat().st_size > 0 and (tmp_path / "figure.pdf").stat().st_size > 0
    final = json.loads((mini_lvlm / TRAINING_FILE).read_text())["final"]
    table = pd.read_csv(tmp_path / "table.csv")
    assert table.loc[1, "own image"] == pytest.approx(final["caption_nll"]["own_image"], abs=1e-3)
    assert table.loc[2, "other meme's image"] == pytest.approx(final["yes_no"]["other_image"], abs=1e-3)
    assert table.loc[2, "baseline"] >= 0.5


def test_training_is_byte_identical_across_runs(mini_lvlm, memes, tmp_path):
    again = tmp_path / "again"
    train_lvlm(memes, mini_lvlm.parent / "clip", SMOL, dict(TINY), 7, again, log=lambda *_: None)
    assert (again / WEIGHTS_FILE).read_bytes() == (mini_lvlm / WEIGHTS_FILE).read_bytes()
    assert (again / CONFIG_FILE).read_bytes() == (mini_lvlm / CONFIG_FILE).read_bytes()
    other = tmp_path / "other-seed"
    train_lvlm(memes, mini_lvlm.parent / "clip", SMOL, {**TINY, "eval_memes": 2}, 8, other, log=lambda *_: None)
    assert (other / WEIGHTS_FILE).read_bytes() != (mini_lvlm / WEIGHTS_FILE).read_bytes()
