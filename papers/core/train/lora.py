"""LoRA supervised fine-tuning of a chat model on (chat, answer) pairs, the loss on the answer only.

The prompt and the answer are tokenised exactly as the hf backend scores an option (the same
PromptEncoding), so training "answer Yes to this chat" moves precisely the log-likelihood that
option scoring later reads. The base weights stay frozen; only the LoRA matrices (peft) learn.
The adapter is written with `save_pretrained` into a temporary directory that is renamed into
place, next to `training.json` (settings, example count, loss per epoch).

Determinism: the LoRA initialisation and the order of examples come from `seed`; with the same
thread count the same inputs give the same adapter.
"""
from __future__ import annotations

import dataclasses
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
import torch

from ..io import atomic_dir
from ..llm.base import ModelSpec
from ..llm.types import Chat

log = logging.getLogger("pluralign")


@dataclass(frozen=True)
class LoraSettings:
    rank: int = 8
    alpha: int = 16
    dropout: float = 0.05
    target_modules: tuple[str, ...] = ("q_proj", "k_proj", "v_proj", "o_proj")  # attention, as is usual
    learning_rate: float = 2e-4
    epochs: int = 2
    batch_size: int = 8
    max_length: int = 512          # longer examples keep their end (the answer) and lose their start
    seed: int = 0


def encode_example(encoder, messages: Chat, answer: str, max_length: int) -> tuple[list[int], list[int]]:
    """Token ids and labels (-100 on the prompt) of one example, as option scoring would see it."""
    prompt = encoder.encode_prompt(messages)
    target = encoder.encode_options([answer])[0]
    ids = (prompt + target)[-max_length:]
    labels = ([-100] * len(prompt) + target)[-max_length:]
    return ids, labels


def _collate(batch: list[tuple[list[int], list[int]]], pad: int) -> dict[str, torch.Tensor]:
    width = max(len(ids) for ids, _ in batch)
    return {"input_ids": torch.tensor([ids + [pad] * (width - len(ids)) for ids, _ in batch]),
            "attention_mask": torch.tensor([[1] * len(ids) + [0] * (width - len(ids)) for ids, _ in batch]),
            "labels": torch.tensor([labels + [-100] * (width - len(labels)) for _, labels in batch])}


def train_lora(spec: ModelSpec, examples: Sequence[tuple[Chat, str]], settings: LoraSettings,
               out_dir: str | Path) -> dict:
    """Train one adapter on `examples` and write it to `out_dir`; returns the training summary."""
    from peft import LoraConfig, get_peft_model

    from ..llm.hf import HFBackend

    if not examples:
        raise ValueError(f"{out_dir}: no training examples")
    torch.manual_seed(settings.seed)
    base = HFBackend(dataclasses.replace(spec, adapter=""))
    encoded = [encode_example(base, m, a, settings.max_length) for m, a in examples]
    model = get_peft_model(base.model, LoraConfig(
        r=settings.rank, lora_alpha=settings.alpha, lora_dropout=settings.dropout,
        target_modules=list(settings.target_modules), task_type="CAUSAL_LM"))
    model.train()
    optimiser = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=settings.learning_rate)
    rng = np.random.default_rng(settings.seed)
    pad = base.tokenizer.pad_token_id
    losses = []
    for epoch in range(settings.epochs):
        order = rng.permutation(len(encoded))
        total, batches = 0.0, 0
        for start in range(0, len(order), settings.batch_size):
            batch = _collate([encoded[i] for i in order[start:start + settings.batch_size]], pad)
            # bf16 autocast where the model is bf16 (fast on GPUs and AVX512-BF16 CPUs); LoRA weights stay fp32.
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=spec.dtype == "bfloat16"):
                loss = model(**batch).loss
            loss.backward()
            optimiser.step()
            optimiser.zero_grad()
            total, batches = total + loss.item(), batches + 1
        losses.append(total / batches)
        log.info("epoch %d/%d: mean answer loss %.4f over %d batches", epoch + 1, settings.epochs,
                 losses[-1], batches)
    summary = {"base_model": spec.model, "base_revision": spec.revision, "examples": len(examples),
               "settings": dataclasses.asdict(settings), "loss_per_epoch": losses}
    save_adapter(model, summary, Path(out_dir))
    return summary


def _canonical_config(path: Path) -> None:
    """peft writes target_modules from a set, in an order that changes between processes."""
    config = json.loads(path.read_text())
    if isinstance(config.get("target_modules"), list):
        config["target_modules"] = sorted(config["target_modules"])
    path.write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")


def save_adapter(model, summary: dict, out_dir: Path) -> None:
    """The adapter (peft save_pretrained, target modules sorted) and training.json, written whole or not at all."""
    with atomic_dir(out_dir) as tmp:
        model.save_pretrained(tmp)
        _canonical_config(tmp / "adapter_config.json")
        (tmp / "README.md").unlink(missing_ok=True)  # peft's empty model-card template
        (tmp / "training.json").write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n")
