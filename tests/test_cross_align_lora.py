"""Stage II on a real mini LVLM (trained here from the test fixtures, tiny settings): the core LoRA
training takes image parts, leaves the image tower alone, and two adapters on one base, named per
request, move the verdicts in opposite directions on memes they never saw."""
import dataclasses
import json

import pytest
from safetensors import safe_open

from papers.core.llm.base import ModelSpec, load_backend
from papers.core.llm.types import ScoreRequest, chat
from papers.core.train.lora import LoraSettings, encode_image_example, train_lora
from papers.cross_align.data import meme_inputs
from papers.cross_align.prompts import answer_content, task_text
from tests.test_lvlm import mini_lvlm  # noqa: F401 (the fixture: a mini LVLM trained from the test memes)
from tests.test_vision_clip import memes  # noqa: F401 (the rendered test memes)

pytestmark = pytest.mark.slow

TASK = "harmfulness"
SETTINGS = LoraSettings(rank=4, alpha=8, dropout=0.0, learning_rate=3e-3, epochs=3, batch_size=4, max_length=320)


def _requests(memes, split, n):
    inputs = meme_inputs(memes[memes["split"] == split].head(n), {})
    return [chat(("user", answer_content(m.picture, m.text, TASK))) for m in inputs]


@pytest.fixture(scope="module")
def adapters(mini_lvlm, memes, tmp_path_factory):  # noqa: F811
    root = tmp_path_factory.mktemp("adapters")
    spec = ModelSpec(backend="hf", model=str(mini_lvlm))
    train = _requests(memes, "train", 8)
    negative, positive = task_text(TASK).labels
    out = {}
    for name, answer in (("says_harmful", positive), ("says_harmless", negative)):
        out[name] = root / name
        train_lora(spec, [(m, answer) for m in train], SETTINGS, out[name])
    return spec, out


def test_image_examples_are_encoded_as_scoring_sees_them(mini_lvlm, memes):  # noqa: F811
    backend = load_backend(ModelSpec(backend="hf", model=str(mini_lvlm)))
    (messages,) = _requests(memes, "train", 1)
    ids, labels, images = encode_image_example(backend, messages, "harmful", max_length=320)
    answer = backend.encode_options(["harmful"])[0]
    prompt = backend.inputs([messages])["input_ids"][0].tolist()
    assert ids == prompt + answer and labels == [-100] * len(prompt) + answer
    assert ids.count(backend.processor.image_token_id) == backend.processor.image_tokens  # placeholders expanded
    assert images["pixel_values"].shape[0] == 1
    with pytest.raises(ValueError, match="exceeds max_length 10"):
        encode_image_example(backend, messages, "harmful", max_length=10)


def test_adapters_leave_the_image_tower_alone_and_record_training(adapters):
    _, out = adapters
    for directory in out.values():
        with safe_open(directory / "adapter_model.safetensors", "pt") as weights:
            names = list(weights.keys())
        assert names and all(".visual." not in n and not n.startswith("visual") for n in names)
        assert all("language_model" in n for n in names)
        record = json.loads((directory / "training.json").read_text())
        assert record["examples"] == 8 and record["loss_per_epoch"][-1] < record["loss_per_epoch"][0]


def test_two_adapters_on_one_base_move_the_verdicts_apart(adapters, memes):  # noqa: F811
    spec, out = adapters
    model = load_backend(dataclasses.replace(spec, adapters={k: str(v) for k, v in out.items()}))
    probes = _requests(memes, "test", 3)  # memes no adapter saw
    labels = task_text(TASK).labels

    def margins(adapter):
        scores = model.score([ScoreRequest(m, labels, adapter=adapter) for m in probes])
        return [pos - neg for neg, pos in scores]

    bare, harmful, harmless = margins(""), margins("says_harmful"), margins("says_harmless")
    for b, up, down in zip(bare, harmful, harmless):
        assert up > b + 0.5 and down < b - 0.5  # each adapter moved log P(harmful) - log P(harmless) its way
    assert margins("") == pytest.approx(bare, abs=1e-6)  # the bare base is back after the adapters ran
