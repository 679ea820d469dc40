"""DPO of the policy model, one LoRA adapter per policy (PersoDPO, standard, simple, random pairs),
all with WeightedDPOTrainer (weights 1 but for PersoDPO's), in one job.

    python -m papers.persodpo.train --help

Each policy starts from the same base and the same seeded LoRA initialisation and sees its own pairs
(pairs.py) as TRL preference records: the turn's prompt as a user turn, the raw replies (the JSON) as
chosen and rejected. TRL 1.16's defaults that would silently differ from what is meant are set here
explicitly (ENVIRONMENT.md): bf16 off (CPU), gradient checkpointing off, the learning rate, the
maximum length, a constant schedule, weight decay 0, no saving or reporting; the reference is the
base with the adapter disabled (peft_config, ref_model None). The adapter is written as
papers.core.train.lora writes its adapters, with training.json: the settings, the pair count and
TRL's log history per step (loss, grad_norm, rewards/margins, rewards/accuracies, the mean weight),
without its wall-time entries, so two runs with the same thread count write the same bytes.
A policy without pairs (say, simple DPO when no candidate failed) keeps the initial adapter (LoRA's B
matrices are zero: the base model), and training.json says it was not trained.
"""
from __future__ import annotations

import dataclasses
import json
import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

log = logging.getLogger("pluralign")
TIMING_KEYS = ("runtime", "per_second", "total_flos")  # wall time: not a result


@dataclass(frozen=True)
class DPOSettings:
    beta: float = 0.1                 # the paper's
    learning_rate: float = 5e-4
    max_steps: int = 2
    batch_size: int = 2
    max_length: int = 512             # prompt and reply tokens; longer pairs lose the prompt's start
    rank: int = 8
    alpha: int = 16
    dropout: float = 0.0
    target_modules: tuple[str, ...] = ("q_proj", "k_proj", "v_proj", "o_proj")

    @classmethod
    def from_json(cls, text: str) -> "DPOSettings":
        values = json.loads(text)
        unknown = sorted(set(values) - {f.name for f in dataclasses.fields(cls)})
        if unknown:
            raise ValueError(f"unknown DPO setting(s): {', '.join(unknown)}")
        if "target_modules" in values:
            values["target_modules"] = tuple(values["target_modules"])
        return cls(**values)


def _records(pairs: pd.DataFrame, turns: pd.DataFrame, candidates: pd.DataFrame) -> list[dict]:
    from .pairs import preference_records

    prompts = dict(zip(turns["prompt_id"], turns["prompt"]))
    replies = dict(zip(candidates["candidate_id"], candidates["reply"]))
    return preference_records(pairs, prompts, replies)


def train_policy(model_dir: str, records: list[dict], settings: DPOSettings, seed: int) -> tuple[object, list[dict]]:
    """The peft model after DPO on `records` (untrained when there are none) and TRL's log history."""
    import torch
    from datasets import Dataset
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import DPOConfig

    from .weighted_dpo import WeightedDPOTrainer

    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    lora = LoraConfig(r=settings.rank, lora_alpha=settings.alpha, lora_dropout=settings.dropout,
                      target_modules=list(settings.target_modules), task_type="CAUSAL_LM")
    if not records:
        return get_peft_model(model, lora), []
    with tempfile.TemporaryDirectory() as tmp:
        args = DPOConfig(output_dir=tmp, beta=settings.beta, learning_rate=settings.learning_rate,
                         max_length=settings.max_length, max_steps=settings.max_steps,
                         per_device_train_batch_size=settings.batch_size, bf16=False,
                         gradient_checkpointing=False, lr_scheduler_type="constant", weight_decay=0.0,
                         loss_type=["sigmoid"], logging_steps=1, save_strategy="no", report_to=[], seed=seed,
                         data_seed=seed, use_cpu=True, dataloader_num_workers=0, disable_tqdm=True)
        trainer = WeightedDPOTrainer(model=model, args=args, train_dataset=Dataset.from_list(records),
                                     processing_class=tokenizer, peft_config=lora)
        trainer.train()
    history = [{k: v for k, v in entry.items() if not any(t in k for t in TIMING_KEYS)}
               for entry in trainer.state.log_history if "loss" in entry]
    return trainer.model, history


def main(argv=None) -> None:
    import os

    import torch

    from papers.core.cli import parser, setup_logging
    from papers.core.llm.base import ModelSpec
    from papers.core.train.lora import save_adapter

    p = parser(__doc__)
    p.add_argument("--turns", required=True)
    p.add_argument("--candidates", required=True, help="pairs.py's candidates with their quality")
    p.add_argument("--pairs", required=True)
    p.add_argument("--policy", required=True, metavar="JSON", help="the policy model's registry entry")
    p.add_argument("--dpo", required=True, metavar="JSON", help="DPOSettings as JSON")
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--policies", nargs="+", required=True)
    p.add_argument("--out", nargs="+", required=True, help="one adapter directory per policy")
    a = p.parse_args(argv)
    setup_logging()
    if len(a.policies) != len(a.out):
        raise ValueError("--policies and --out must have one entry each per policy")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    torch.set_num_threads(max(1, a.threads))
    spec = ModelSpec.from_config(json.loads(a.policy))
    settings = DPOSettings.from_json(a.dpo)
    turns, candidates, pairs = (pd.read_parquet(f) for f in (a.turns, a.candidates, a.pairs))
    for name, out in zip(a.policies, a.out):
        records = _records(pairs[pairs["policy"] == name], turns, candidates)
        model, history = train_policy(spec.model, records, settings, a.seed)
        summary = {"policy": name, "base_model": spec.model, "base_revision": spec.revision, "pairs": len(records),
                   "trained": bool(records), "seed": a.seed, "settings": dataclasses.asdict(settings),
                   "log_history": history}
        save_adapter(model, summary, Path(out))
        log.info("%s: %d pairs, final loss %s", name, len(records), history[-1]["loss"] if history else "untrained")


if __name__ == "__main__":
    from papers.core.cli import run

    run(main, trains=True)  # replay: the model comes from the bundle
