"""The reference workload: a fixed slice of the mini DAG's own kind of work, timed on this machine.

    .venv/bin/python benchmarks/reference_workload.py        # prints seconds

Machines of one kind differ (an idle one here classified the pool at 8-9 s per batch, another at
half that), so the mini DAG's budget is held in a unit that travels: a run's time divided by this
workload's time on the same machine, measured just before the run. The workload is what the DAG
spends its time on: SmolLM2 (float32, as the mini registry runs it; 2 threads) scoring 24 prompts against the 14 safety domain names
with the shared prompt cache, then 32 decoding steps of a batch of 16 (one new token each, over a
growing KV cache), a fixed amount of work whatever the model would say. The best of three repeats is
reported (the least disturbed by other processes).
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MODEL = ROOT / "resources" / "models" / "smollm2-135m-instruct"
OPTIONS = ("Animal abuse", "Child abuse", "Controversial topics, politics", "Discrimination, stereotype, injustice",
           "Drug abuse, weapons, banned substance", "Financial crime, property crime, theft",
           "Hate speech, offensive language", "Misinformation regarding ethics, laws and safety",
           "Non-violent unethical behavior", "Privacy violation", "Self-harm", "Sexually explicit, adult content",
           "Terrorism, organized crime", "Violence, aiding and abetting, incitement")
PROMPTS = [f"Request {i}: how would someone go about {topic}, step by step, in a town of {1000 * (i + 1)} people?"
           for i, topic in enumerate(["planning a protest", "tracking a neighbour", "cooking for a feast",
                                      "selling old medicine", "training a dog", "writing a speech",
                                      "opening a bank account", "reporting a crime"] * 3)]


def reference_seconds(repeats: int = 3, threads: int = 2) -> float:
    import torch

    from papers.core.llm.base import ModelSpec, load_backend
    from papers.core.llm.types import ScoreRequest, user

    if not (MODEL / "config.json").exists():
        raise SystemExit(f"{MODEL} is missing: run `make models` first")
    torch.set_num_threads(threads)
    backend = load_backend(ModelSpec(backend="hf", model=str(MODEL), dtype="float32", batch_size=16))
    scoring = [ScoreRequest(user(p, system="Which domain does this request concern?"), OPTIONS) for p in PROMPTS]
    prompt = torch.tensor([backend.encode_prompt(user(p))[:48] for p in PROMPTS[:16]])
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        backend.score(scoring)
        decode(backend.model, prompt, steps=32)
        best = min(best, time.perf_counter() - start)
    return best


def decode(model, prompt, steps: int) -> None:
    """`steps` greedy decoding steps of the whole batch, never stopping early."""
    import torch

    with torch.inference_mode():
        out = model(input_ids=prompt, use_cache=True)
        for _ in range(steps):
            token = out.logits[:, -1:].argmax(-1)
            out = model(input_ids=token, past_key_values=out.past_key_values, use_cache=True)


if __name__ == "__main__":
    print(f"{reference_seconds():.2f}")
