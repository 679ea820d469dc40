"""A random LoRA adapter on SmolLM2 and the hf backend's scores with it, for the vllm LoRA test.

    .venv/bin/python tests/vllm/make_adapter.py OUT_DIR     # scripts/test_vllm.sh runs it

Runs in the main environment (peft is not in .venv-vllm): writes OUT_DIR/adapter (peft, random
non-zero weights: a model visibly different from the base) and OUT_DIR/hf_generated.json, the hf
backend's float32 greedy answers to tests/vllm's PROMPTS through that adapter, which the vllm engine
must match.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import torch
from peft import LoraConfig, get_peft_model
from transformers import AutoModelForCausalLM

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from papers.core.llm.base import ModelSpec, load_backend  # noqa: E402
from papers.core.llm.types import GenerateRequest  # noqa: E402
from tests.vllm.vllm_cases import GREEDY, PROMPTS  # noqa: E402

MODEL = ROOT / "resources" / "models" / "smollm2-135m-instruct"


def main(out: Path) -> None:
    torch.manual_seed(0)
    adapter = out / "adapter"
    config = LoraConfig(r=8, lora_alpha=32, target_modules=["q_proj", "v_proj"], init_lora_weights=False)
    get_peft_model(AutoModelForCausalLM.from_pretrained(MODEL), config).save_pretrained(adapter)
    hf = load_backend(ModelSpec(backend="hf", model=str(MODEL), dtype="float32", adapters={"random": str(adapter)}))
    answers = hf.generate([GenerateRequest(p, GREEDY, adapter="random") for p in PROMPTS])
    (out / "hf_generated.json").write_text(json.dumps(answers))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
