"""train.py's DPO of a policy on the tiny random Llama of test_persodpo_weighted_dpo: seeded, so a rerun
writes the same adapter bytes; the log history has no wall-time entries; a policy without pairs keeps
the initial adapter (the base model)."""
import json

import pytest
import torch

pytest.importorskip("trl")
from safetensors.torch import load_file  # noqa: E402
from transformers import LlamaConfig, LlamaForCausalLM  # noqa: E402

from papers.core.train.lora import save_adapter  # noqa: E402
from papers.persodpo.train import DPOSettings, train_policy  # noqa: E402
from tests.test_persodpo_weighted_dpo import WORDS, records, tokenizer  # noqa: E402

SETTINGS = DPOSettings(learning_rate=1e-2, max_steps=2, batch_size=2, max_length=64, rank=4, alpha=8,
                       target_modules=("q_proj", "v_proj"))


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("tiny-llama")
    torch.manual_seed(0)
    LlamaForCausalLM(LlamaConfig(vocab_size=len(WORDS), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                                 num_attention_heads=4, num_key_value_heads=4, max_position_embeddings=64,
                                 pad_token_id=0, eos_token_id=1, bos_token_id=1)).save_pretrained(path)
    tokenizer().save_pretrained(path)
    return str(path)


def trained(model_dir, out, pairs=None):
    model, history = train_policy(model_dir, records(pairs or (0.6, 0.7)) if pairs != () else [], SETTINGS, seed=3)
    save_adapter(model, {"log_history": history}, out)
    return load_file(out / "adapter_model.safetensors"), history


def test_training_is_seeded_and_its_adapter_reproducible(model_dir, tmp_path):
    first, history = trained(model_dir, tmp_path / "a")
    second, again = trained(model_dir, tmp_path / "b")
    assert first.keys() == second.keys() and all(torch.equal(first[k], second[k]) for k in first)
    assert (tmp_path / "a/adapter_model.safetensors").read_bytes() == (tmp_path / "b/adapter_model.safetensors").read_bytes()
    assert history == again and [h["step"] for h in history] == [1, 2]
    assert all({"loss", "grad_norm", "rewards/margins", "rewards/accuracies", "weight"} <= set(h) for h in history)
    assert not any("runtime" in k or "per_second" in k for h in history for k in h)
    assert history[0]["weight"] == pytest.approx(0.65)  # the mean weight of the batch reached the log
    lora_b = [v for k, v in first.items() if "lora_B" in k]
    assert any(torch.count_nonzero(b) for b in lora_b)  # training moved the adapter off its zero start
    summary = json.loads((tmp_path / "a/training.json").read_text())
    assert summary["log_history"] == history


def test_a_policy_without_pairs_keeps_the_base_model(model_dir, tmp_path):
    weights, history = trained(model_dir, tmp_path / "none", pairs=())
    assert history == []
    assert all(torch.count_nonzero(v) == 0 for k, v in weights.items() if "lora_B" in k)
