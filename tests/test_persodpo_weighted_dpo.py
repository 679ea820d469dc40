"""The PersoDPO weighting really reaches TRL's DPO loss: a tiny random Llama (hidden 32, 2 layers) with
a LoRA adapter, a word-level tokenizer, two preference pairs; milliseconds of compute per step."""
import pytest
import torch

pytest.importorskip("trl")
from datasets import Dataset  # noqa: E402
from peft import LoraConfig  # noqa: E402
from tokenizers import Tokenizer, models, pre_tokenizers  # noqa: E402
from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast  # noqa: E402
from trl import DPOConfig, DPOTrainer  # noqa: E402

from papers.persodpo.pairs import preference_records  # noqa: E402
from papers.persodpo.weighted_dpo import WEIGHT, WeightedDPOTrainer  # noqa: E402

torch.set_num_threads(1)
WORDS = ("<pad> <eos> <unk> user assistant : the a is it yes no good bad hello hi tell me about tower built in by "
         "you like cafe").split()


def tokenizer():
    inner = Tokenizer(models.WordLevel({w: i for i, w in enumerate(WORDS)}, unk_token="<unk>"))
    inner.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tok = PreTrainedTokenizerFast(tokenizer_object=inner, pad_token="<pad>", eos_token="<eos>", unk_token="<unk>")
    tok.chat_template = ("{% for m in messages %}{{ m['role'] }} : {{ m['content'] }} <eos> {% endfor %}"
                         "{% if add_generation_prompt %}assistant : {% endif %}")
    return tok


def records(weights=(1.0, 1.0)):
    import pandas as pd
    pairs = pd.DataFrame({"prompt_id": ["p1", "p2"], "chosen_id": ["c1", "c2"], "rejected_id": ["r1", "r2"],
                          "weight": list(weights)})
    prompts = {"p1": "tell me about the tower", "p2": "hello you like the cafe"}
    replies = {"c1": "it is good", "r1": "no bad", "c2": "hi hello yes", "r2": "the a is bad bad"}
    return preference_records(pairs, prompts, replies)


def trainer(cls=WeightedDPOTrainer, weights=(1.0, 1.0), tmp="/tmp", **config):
    torch.manual_seed(0)
    model = LlamaForCausalLM(LlamaConfig(vocab_size=len(WORDS), hidden_size=32, intermediate_size=64,
                                         num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=4,
                                         max_position_embeddings=64, pad_token_id=0, eos_token_id=1, bos_token_id=1))
    # ENVIRONMENT.md's TRL 1.16 pitfalls, each set explicitly; weight decay 0 so a zero gradient moves nothing
    settings = dict(output_dir=str(tmp), beta=0.1, learning_rate=1e-2, max_length=64, bf16=False,
                    gradient_checkpointing=False, per_device_train_batch_size=2, max_steps=1, weight_decay=0.0,
                    report_to=[], logging_steps=1, save_strategy="no", seed=0, use_cpu=True)
    settings.update(config)
    # init_lora_weights=False: a random (non-zero) adapter, so the policy differs from the reference
    # and the pairs' losses differ from log 2
    lora = LoraConfig(r=4, lora_alpha=8, lora_dropout=0.0, target_modules=["q_proj", "v_proj"],
                      init_lora_weights=False, task_type="CAUSAL_LM")
    return cls(model=model, args=DPOConfig(**settings), train_dataset=Dataset.from_list(records(weights)),
               processing_class=tokenizer(), peft_config=lora)


@pytest.fixture(scope="module")
def weighted(tmp_path_factory):
    return trainer(tmp=tmp_path_factory.mktemp("weighted"))


def batch_of(t, weights, rows=(0, 1)):
    batch = t.data_collator([t.train_dataset[i] for i in rows])
    batch[WEIGHT] = torch.tensor(weights, dtype=torch.float32)
    return batch


def loss_and_grad(t, batch):
    t.model.zero_grad()
    loss = t.compute_loss(t.model, batch)
    loss.backward()
    grad = torch.cat([p.grad.flatten() for p in t.model.parameters() if p.requires_grad])
    return loss.detach(), grad


def test_a_zero_weight_removes_the_pair_from_the_gradient(weighted):
    _, none = loss_and_grad(weighted, batch_of(weighted, [0.0, 0.0]))
    assert torch.count_nonzero(none) == 0
    _, first_only = loss_and_grad(weighted, batch_of(weighted, [1.0, 0.0]))
    _, alone = loss_and_grad(weighted, batch_of(weighted, [1.0], rows=(0,)))
    assert torch.count_nonzero(alone) > 0
    torch.testing.assert_close(first_only, alone / 2)  # the loss divides by the 2 pairs of the batch


def test_doubling_a_weight_doubles_its_pairs_contribution(weighted):
    _, without = loss_and_grad(weighted, batch_of(weighted, [0.0, 1.0]))
    _, once = loss_and_grad(weighted, batch_of(weighted, [1.0, 1.0]))
    _, twice = loss_and_grad(weighted, batch_of(weighted, [2.0, 1.0]))
    torch.testing.assert_close(twice - without, 2 * (once - without))
    assert torch.linalg.norm(once - without) > 0


def test_weight_one_everywhere_is_trls_plain_dpo_loss(weighted, tmp_path):
    plain = trainer(DPOTrainer, tmp=tmp_path)
    batch = batch_of(weighted, [1.0, 1.0])
    loss, grad = loss_and_grad(weighted, batch)
    plain_loss, plain_grad = loss_and_grad(plain, {k: v for k, v in batch.items() if k != WEIGHT})
    torch.testing.assert_close(loss, plain_loss)
    torch.testing.assert_close(grad, plain_grad)
    assert abs(loss.item() - 0.6931) > 1e-3  # not the trivial loss of a policy equal to its reference
    weighted_loss, _ = loss_and_grad(weighted, batch_of(weighted, [0.5, 0.25]))
    one, _ = loss_and_grad(weighted, batch_of(weighted, [1.0], rows=(0,)))
    two, _ = loss_and_grad(weighted, batch_of(weighted, [1.0], rows=(1,)))
    torch.testing.assert_close(weighted_loss, (0.5 * one + 0.25 * two) / 2)


def adapter(t):
    return {n: p.detach().clone() for n, p in t.model.named_parameters() if p.requires_grad}


@pytest.mark.parametrize("weights, moves", [((0.0, 0.0), False), ((1.0, 0.5), True)])
def test_the_weight_column_reaches_the_loss_through_train(tmp_path, weights, moves):
    t = trainer(weights=weights, tmp=tmp_path)
    before = adapter(t)
    t.train()
    after = adapter(t)
    changed = any(not torch.equal(before[n], after[n]) for n in before)
    assert changed is moves
    logged = t.state.log_history[0]
    assert logged["weight"] == pytest.approx(sum(weights) / 2)
    if not moves:
        assert logged["loss"] == 0.0


def test_rejects_a_batch_coupled_loss_and_a_missing_weight(tmp_path):
    with pytest.raises(ValueError, match="loss_type"):
        trainer(tmp=tmp_path, loss_type=["ipo"])
    t = trainer(tmp=tmp_path)
    row = {k: v for k, v in t.train_dataset[0].items() if k != WEIGHT}
    with pytest.raises(ValueError, match="no 'weight' column"):
        t.data_collator([row])
    with pytest.raises(ValueError, match="finite number >= 0"):
        t.data_collator([{**row, WEIGHT: -1.0}])
