"""Mixtures of LoRA adapters in one request (GenerateRequest.adapter_weights): the request checks its
input and keys on the weights and each adapter's digest; on the real SmolLM2 a mixture with one
adapter at weight 1 is that adapter, every weight 0 is the bare model, and rows with different
weights in one batch each get what they would get alone."""
import dataclasses

import pytest
import torch

from papers.core.cache import CachedModel, CallCache
from papers.core.llm.base import ModelSpec, load_backend
from papers.core.llm.types import GenerateRequest, Sampling, user

from .fakes import FAKE_SPEC
from .test_cache_key import adapter_dir

S = Sampling(max_new_tokens=6)


def test_a_mixture_request_checks_its_input():
    with pytest.raises(TypeError, match="adapter_weights"):
        GenerateRequest(user("hi"), adapter_weights=(("a", "1"),))
    with pytest.raises(TypeError, match="adapter_weights"):
        GenerateRequest(user("hi"), adapter_weights=[("a", 1.0)])
    with pytest.raises(ValueError, match="not both"):
        GenerateRequest(user("hi"), adapter="a", adapter_weights=(("a", 1.0),))
    with pytest.raises(ValueError, match="twice"):
        GenerateRequest(user("hi"), adapter_weights=(("a", 1.0), ("a", 0.5)))


def test_the_weights_and_each_adapters_digest_enter_the_key(tmp_path):
    spec = dataclasses.replace(FAKE_SPEC, adapters={"a": adapter_dir(tmp_path / "a", b"a1"),
                                                    "b": adapter_dir(tmp_path / "b", b"b1")})
    cached = CachedModel(spec, CallCache(str(tmp_path / "c.sqlite")))
    plain = GenerateRequest(user("hi"), S)
    assert "adapter_weights" not in plain.key()
    keys = {cached.request_key(dataclasses.replace(plain, adapter_weights=w))[0]
            for w in ((("a", 0.7), ("b", 0.3)), (("a", 0.6), ("b", 0.4)), (("b", 0.3), ("a", 0.7)))}
    assert len(keys) == 3 and cached.request_key(plain)[0] not in keys
    mixed = dataclasses.replace(plain, adapter_weights=(("a", 0.7), ("b", 0.3)))
    before = cached.request_key(mixed)[0]
    adapter_dir(tmp_path / "b2", b"b2")
    changed = dataclasses.replace(spec, adapters={**spec.adapters, "b": str(tmp_path / "b2")})
    assert CachedModel(changed, CallCache(str(tmp_path / "c.sqlite"))).request_key(mixed)[0] != before


def _random_adapter(base, path, seed):
    from peft import LoraConfig, get_peft_model

    torch.manual_seed(seed)
    model = get_peft_model(base, LoraConfig(r=4, lora_alpha=64, target_modules=["q_proj", "v_proj"],
                                            init_lora_weights=False))
    model.save_pretrained(path)
    return str(path)


@pytest.mark.slow
def test_mixtures_on_the_real_model(tmp_path):
    from transformers import AutoModelForCausalLM

    from .conftest import model_dir

    spec = ModelSpec(backend="hf", model=str(model_dir("smollm2-135m-instruct")), batch_size=8)
    paths = {name: _random_adapter(AutoModelForCausalLM.from_pretrained(spec.model), tmp_path / name, seed)
             for name, seed in (("a", 1), ("b", 2))}
    model = load_backend(dataclasses.replace(spec, adapters=paths))
    prompts = [user("Name a colour."), user("Count to three.")]
    base = model.generate([GenerateRequest(p, S) for p in prompts])
    only_a = model.generate([GenerateRequest(p, S, adapter="a") for p in prompts])
    assert only_a != base  # the random adapter changes the answers
    assert model.generate([GenerateRequest(p, S, adapter_weights=(("a", 1.0), ("b", 0.0))) for p in prompts]) == only_a
    assert model.generate([GenerateRequest(p, S, adapter_weights=(("a", 0.0), ("b", 0.0))) for p in prompts]) == base
    half = [GenerateRequest(prompts[0], S, adapter_weights=(("a", 0.5), ("b", 0.5))),
            GenerateRequest(prompts[1], S, adapter_weights=(("a", 1.0), ("b", 0.0)))]
    together = model.generate(half)
    assert together == [model.generate([r])[0] for r in half]  # each row keeps its own weights
    assert together[1] == only_a[1]
    assert model.generate([GenerateRequest(p, S) for p in prompts]) == base  # hooks are gone
