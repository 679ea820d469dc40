"""LoRA supervised fine-tuning of a chat model on (chat, answer) pairs, the loss on the answer only.

The prompt and the answer are tokenised exactly as the hf backend scores an option (the same
PromptEncoding), so training "answer Yes to this chat" moves precisely the log-likelihood that
option scoring later reads. The base weights stay frozen; only the LoRA matrices (peft) learn.
The adapter is written with `save_pretrained` into a temporary directory that is renamed into
place, next to `training.json` (settings, example count, loss per epoch).

A chat may show images (a vision-language model, llm/hf_vision.py): its prompt is then the
processor's ids (each image's placeholder expanded) with the image inputs beside them, exactly as the
backend scores it; the LoRA goes on the language model's layers only (never the image tower), and the
frozen modules stay in eval mode (the mini CLIP's batch norms must not update their statistics).

Determinism: the LoRA initialisation and the order of examples come from `seed`; with the same
thread count the same inputs give the same adapter.
"""
from __future__ import annotations

import dataclasses
import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
import torch
from torch import Tensor

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


def encode_image_example(backend, messages: Chat, answer: str, max_length: int
                         ) -> tuple[list[int], list[int], dict[str, Tensor]]:
    """Ids, labels and image inputs (pixel_values...) of one example of a vision-language backend, as
    its score() sees them. Too long is an error: cutting the start would cut an image's placeholders."""
    inputs = backend.inputs([messages])
    prompt = inputs.pop("input_ids")[0].tolist()
    inputs.pop("attention_mask")
    target = backend.encode_options([answer])[0]
    if len(prompt) + len(target) > max_length:
        raise ValueError(f"an example of {len(prompt) + len(target)} tokens (image tokens included) exceeds "
                         f"max_length {max_length}; raise the LoRA max_length")
    return prompt + target, [-100] * len(prompt) + target, inputs


def _collate(batch: list[tuple], pad: int) -> dict[str, torch.Tensor]:
    width = max(len(example[0]) for example in batch)
    out = {"input_ids": torch.tensor([e[0] + [pad] * (width - len(e[0])) for e in batch]),
           "attention_mask": torch.tensor([[1] * len(e[0]) + [0] * (width - len(e[0])) for e in batch]),
           "labels": torch.tensor([e[1] + [-100] * (width - len(e[1])) for e in batch])}
    # image inputs: one row per image (or patch), in the order of the placeholders across the batch
    for name in (batch[0][2] if len(batch[0]) > 2 else {}):
        out[name] = torch.cat([e[2][name] for e in batch])
    return out


# LoRA on the language model only: a module whose name says vision (LLaVA's vision_tower, the mini
# LVLM's visual) is left alone; CLIP towers have q_proj/v_proj layers of their own.
VISION_MODULES = r"(^|.*\.)(visual|vision_tower|vision_model|visual_encoder)(\..*|$)"


def _target_modules(names: tuple[str, ...], vision: bool):
    if not vision:
        return list(names)
    return rf"^(?!{VISION_MODULES}).*\.({'|'.join(map(re.escape, names))})$"


def _freeze_modes(model) -> None:
    """Modules none of whose parameters learn go back to eval mode (batch norms keep their statistics)."""
    for module in model.modules():
        params = list(module.parameters())
        if params and not any(p.requires_grad for p in params):
            module.eval()


def training_base(spec: ModelSpec):
    """The bare backend (no adapter) that train_lora puts a LoRA on: pass it to several train_lora
    calls to load the weights once for all of them."""
    from ..llm.hf import HFBackend
    from ..llm.hf_vision import HFVisionBackend, is_vision_model

    bare = dataclasses.replace(spec, adapter="", adapters={})
    return HFVisionBackend(bare) if is_vision_model(bare) else HFBackend(bare)


def train_lora(spec: ModelSpec, examples: Sequence[tuple[Chat, str]], settings: LoraSettings,
               out_dir: str | Path, base=None) -> dict:
    """Train one adapter on `examples` and write it to `out_dir`; returns the training summary.
    `base`: training_base(spec), already loaded, or None to load it here. A given base gets its own
    layers back after training (the LoRA is unloaded), so the next adapter starts from the same
    weights; the adapter is the one a freshly loaded base would give (tests/test_train_lora.py)."""
    from peft import LoraConfig, get_peft_model

    from ..llm.hf_vision import HFVisionBackend

    if not examples:
        raise ValueError(f"{out_dir}: no training examples")
    reused = base is not None
    if reused and getattr(base, "spec", None) != dataclasses.replace(spec, adapter="", adapters={}):
        raise ValueError(f"{out_dir}: base must be training_base(spec) of the same model, got "
                         f"{getattr(base, 'spec', type(base).__name__)!r}")
    torch.manual_seed(settings.seed)
    base = base if reused else training_base(spec)
    vision = isinstance(base, HFVisionBackend)
    # a text model given an image part stops in encode_prompt (types.text_only names the model)
    encoded = [encode_image_example(base, m, a, settings.max_length) if vision
               else encode_example(base, m, a, settings.max_length) for m, a in examples]
    # A vision-language model is not a transformers causal LM to peft (the mini LVLM is a plain
    # module): no task type, so peft's forward passes every input through as it is.
    model = get_peft_model(base.model, LoraConfig(
        r=settings.rank, lora_alpha=settings.alpha, lora_dropout=settings.dropout,
        target_modules=_target_modules(settings.target_modules, vision), task_type=None if vision else "CAUSAL_LM"))
    try:
        return _train(model, encoded, base.tokenizer.pad_token_id, spec, settings, vision, len(examples),
                      Path(out_dir))
    finally:
        if reused:
            base.model = model.unload()  # the base's own layers again, for the next adapter


def _train(model, encoded: list, pad: int, spec: ModelSpec, settings: LoraSettings, vision: bool,
           n_examples: int, out_dir: Path) -> dict:
    model.train()
    if vision:
        _freeze_modes(model)
    optimiser = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=settings.learning_rate)
    device = next(model.parameters()).device
    rng = np.random.default_rng(settings.seed)
    losses = []
    for epoch in range(settings.epochs):
        order = rng.permutation(len(encoded))
        total, batches = 0.0, 0
        for start in range(0, len(order), settings.batch_size):
            batch = _collate([encoded[i] for i in order[start:start + settings.batch_size]], pad)
            batch = {name: tensor.to(device) for name, tensor in batch.items()}  # the model's device (a GPU's)
            # bf16 autocast where the model is bf16 (fast on GPUs and AVX512-BF16 CPUs); LoRA weights stay fp32.
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=spec.dtype == "bfloat16"):
                loss = model(**batch).loss
            loss.backward()
            optimiser.step()
            optimiser.zero_grad()
            total, batches = total + loss.item(), batches + 1
        losses.append(total / batches)
        log.info("epoch %d/%d: mean answer loss %.4f over %d batches", epoch + 1, settings.epochs,
                 losses[-1], batches)
    summary = {"base_model": spec.model, "base_revision": spec.revision, "examples": n_examples,
               "settings": dataclasses.asdict(settings), "loss_per_epoch": losses}
    save_adapter(model, summary, out_dir)
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
