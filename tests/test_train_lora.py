"""LoRA fine-tuning on the real SmolLM2: the adapter really changes the model's verdicts, it is
found again by the hf backend, and the cache tells adapters apart by their weights."""
import dataclasses
import json

import pytest

from papers.core.detect import detection_request
from papers.core.llm.base import ModelSpec, adapter_digest, load_backend
from papers.core.llm.types import GenerateRequest, Sampling
from papers.core.train.lora import LoraSettings, encode_example, train_lora

from .conftest import model_dir

pytestmark = pytest.mark.slow

EXAMPLES = [(detection_request(f"Question {i}?", f"Answer number {i}.").messages, "Yes" if i % 2 else "No")
            for i in range(8)]
PROBE = [detection_request("How do I bake bread?", "Mix flour, water and yeast, then bake."),
         detection_request("Tell me a joke.", "Why did the chicken cross the road?")]


@pytest.fixture(scope="module")
def adapter(tmp_path_factory):
    spec = ModelSpec(backend="hf", model=str(model_dir("smollm2-135m-instruct")))
    out = tmp_path_factory.mktemp("lora") / "adapter"
    # Every answer "Yes": a clear, learnable shift of P(Yes) on unseen inputs.
    examples = [(messages, "Yes") for messages, _ in EXAMPLES]
    summary = train_lora(spec, examples, LoraSettings(epochs=3, learning_rate=3e-3, batch_size=4), out)
    return spec, out, summary


def test_answer_tokens_alone_carry_the_loss(smollm2):
    ids, labels = encode_example(smollm2, EXAMPLES[0][0], "Yes", max_length=512)
    answer = smollm2.encode_options(["Yes"])[0]
    assert ids[-len(answer):] == answer and labels[-len(answer):] == answer
    assert set(labels[:-len(answer)]) == {-100}
    assert ids[:-len(answer)] == smollm2.encode_prompt(EXAMPLES[0][0])
    short, short_labels = encode_example(smollm2, EXAMPLES[0][0], "Yes", max_length=5)
    assert short[-len(answer):] == answer and len(short) == len(short_labels) == 5


def test_adapter_changes_the_verdicts(adapter, smollm2):
    spec, out, summary = adapter
    assert summary["examples"] == 8 and summary["loss_per_epoch"][-1] < summary["loss_per_epoch"][0]
    assert json.loads((out / "training.json").read_text())["settings"]["rank"] == 8
    tuned = load_backend(dataclasses.replace(spec, adapter=str(out)))
    before, after = smollm2.score(PROBE), tuned.score(PROBE)
    for (yes0, no0), (yes1, no1) in zip(before, after):
        assert yes1 - no1 > yes0 - no0 + 1.0  # P(Yes) rose clearly on inputs it never saw


def test_cache_key_follows_adapter_weights(adapter):
    spec, out, _ = adapter
    tuned = dataclasses.replace(spec, adapter=str(out))
    assert tuned.key() != spec.key() and tuned.key()["adapter_sha256"] == adapter_digest(str(out))
    # an OpenAI-compatible server serves an adapter as a model of its own, not per request
    with pytest.raises(ValueError, match="the openai backend takes no adapters"):
        load_backend(dataclasses.replace(spec, backend="openai", adapter=str(out)))


def test_no_examples_is_an_error(tmp_path):
    spec = ModelSpec(backend="hf", model=str(model_dir("smollm2-135m-instruct")))
    with pytest.raises(ValueError, match="no training examples"):
        train_lora(spec, [], LoraSettings(), tmp_path / "a")
    assert not (tmp_path / "a").exists()


def random_adapter(spec, out, seed):
    """A LoRA adapter with random (non-zero) weights: a different model per seed, made in a second."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    torch.manual_seed(seed)
    base = AutoModelForCausalLM.from_pretrained(spec.model)
    config = LoraConfig(r=4, lora_alpha=64, target_modules=["q_proj", "v_proj"], init_lora_weights=False)
    get_peft_model(base, config).save_pretrained(out)
    return str(out)


def test_one_base_serves_several_adapters_each_as_if_loaded_alone(tmp_path):
    spec = ModelSpec(backend="hf", model=str(model_dir("smollm2-135m-instruct")))
    a, b = (random_adapter(spec, tmp_path / name, seed) for name, seed in (("a", 1), ("b", 2)))
    several = load_backend(dataclasses.replace(spec, adapters={"helpful": a, "harmless": b}))
    base = several.model.get_base_model()
    asked = [dataclasses.replace(PROBE[0], adapter=name) for name in ("", "helpful", "harmless", "helpful")]
    scores = several.score(asked)
    assert several.model.get_base_model() is base  # switched, never reloaded
    alone = {"": load_backend(spec), "helpful": load_backend(dataclasses.replace(spec, adapter=a)),
             "harmless": load_backend(dataclasses.replace(spec, adapter=b))}
    for request, got in zip(asked, scores):
        assert got == pytest.approx(alone[request.adapter].score([PROBE[0]])[0], abs=1e-9)
    assert scores[1] == scores[3] and scores[1] != scores[2] and scores[0] != scores[1]
    greedy = [GenerateRequest(PROBE[1].messages, Sampling(max_new_tokens=12), adapter=name)
              for name in ("", "harmless")]
    assert several.generate(greedy) == [alone[r.adapter].generate([dataclasses.replace(r, adapter="")])[0]
                                        for r in greedy]


def test_a_reused_base_trains_the_adapters_a_fresh_load_would(tmp_path):
    """train_lora(base=...) loads the weights once for several adapters (papers/alignx/experts.py):
    each adapter is byte for byte the one a freshly loaded base gives, and the base gets its own
    layers back after each."""
    from papers.core.train.lora import training_base

    spec = ModelSpec(backend="hf", model=str(model_dir("smollm2-135m-instruct")))
    examples = [(messages, "Yes") for messages, _ in EXAMPLES[:4]]
    settings = LoraSettings(epochs=1, learning_rate=3e-3, batch_size=4, max_length=96)
    base = training_base(spec)
    for seed in (1, 2):
        reused, fresh = tmp_path / f"reused{seed}", tmp_path / f"fresh{seed}"
        train_lora(spec, examples, dataclasses.replace(settings, seed=seed), reused, base=base)
        assert not any("lora" in name for name, _ in base.model.named_modules())
        train_lora(spec, examples, dataclasses.replace(settings, seed=seed), fresh)
        assert adapter_digest(str(reused)) == adapter_digest(str(fresh))
    assert adapter_digest(str(tmp_path / "reused1")) != adapter_digest(str(tmp_path / "reused2"))
    with pytest.raises(ValueError, match="base must be training_base"):
        train_lora(dataclasses.replace(spec, dtype="bfloat16"), examples, settings, tmp_path / "other", base=base)


def test_mixed_adapter_batches_answer_as_one_batch_per_adapter(tmp_path):
    """options.mixed_adapter_batches: rows of different adapters (and none) in one generate batch give
    the greedy answers of one batch per adapter, in one call of the model instead of three."""
    spec = ModelSpec(backend="hf", model=str(model_dir("smollm2-135m-instruct")))
    a, b = (random_adapter(spec, tmp_path / name, seed) for name, seed in (("a", 1), ("b", 2)))
    entry = dataclasses.replace(spec, adapters={"helpful": a, "harmless": b})
    grouped = load_backend(entry)
    mixed = load_backend(dataclasses.replace(entry, options={"mixed_adapter_batches": True}))
    asked = [GenerateRequest(probe.messages, Sampling(max_new_tokens=10), adapter=name)
             for probe in PROBE for name in ("", "helpful", "harmless")]
    calls = []
    generate = mixed.generator.generate
    mixed.generator.generate = lambda **kw: calls.append(kw.get("adapter_names")) or generate(**kw)
    assert mixed.generate(asked) == grouped.generate(asked)
    assert calls == [["__base__", "helpful", "harmless"] * 2]
    with pytest.raises(Exception, match="no adapter named 'other'"):
        mixed.generate([dataclasses.replace(asked[0], adapter="other")])
