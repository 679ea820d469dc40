"""Every method's answers to the test prompts on one backbone, in one process with every adapter loaded.

    python -m papers.alignx.answers --help

Methods (what each answer is generated with; greedy decoding, the same max_new_tokens for all):
  base          the backbone without adapters, bare prompt (the trivial baseline)
  sft           the multi-objective SFT adapter, bare prompt
  softmax       the uncalibrated softmax router's top expert, prompt injected with that expert's axis
  alignx        MoCaE: the calibrated router's top expert, injected
  no_natural    ablation: the router without the natural term, its top expert, injected
  no_fractal    ablation: the router without the fractal term, its top expert, injected
  no_injection  ablation: the calibrated router's top expert trained and queried without injection
  topk_moe      the top-k LoRA-MoE baseline: the softmax router's k largest gates, renormalised, as
                the weights of a mixture of the experts' LoRA updates (GenerateRequest.adapter_weights),
                prompt injected with the top expert's axis
Routing is hard for the routers (the top gate's expert answers alone): pluralign's reading of "route
to the calibrated expert" (README). Two methods that route a prompt to the same expert ask the same
request, which the call cache answers once.
Output (Parquet): backbone, method, prompt_id, axis, expert, adapter, answer.

Efficiency (--efficiency-prompts N): the first N test prompts answered again by the backend itself
(no cache), in this process, by AlignX and by the top-k MoE (and the bare backbone for scale), each
timed, with its peak accelerator memory (not measured on a CPU: time_methods).
"""
from __future__ import annotations

import pandas as pd

from papers.core.llm.types import GenerateRequest, Sampling

from .data import AXES
from .inject import expert_chat
from .router import top_k_gates
from .routing import GATES

ROUTED = {"softmax": "softmax", "alignx": "alignx", "no_natural": "no_natural", "no_fractal": "no_fractal",
          "no_injection": "alignx"}  # method: the router it follows
METHODS = ("base", "sft", *ROUTED, "topk_moe")
TIMED = ("base", "alignx", "topk_moe")
COLUMNS = ["method", "prompt_id", "axis", "expert", "adapter", "request"]


def method_requests(test: pd.DataFrame, gates: pd.DataFrame, template: str, sampling: Sampling,
                    top_k: int = 2) -> pd.DataFrame:
    """COLUMNS: one GenerateRequest per (method, test prompt); `expert` is the routed axis ("" for base
    and sft; the top expert for topk_moe, whose `adapter` column spells the mixture, e.g.
    "helpful:0.700+honest:0.300")."""
    if not isinstance(test, pd.DataFrame) or not isinstance(gates, pd.DataFrame):
        raise TypeError("method_requests takes the test prompts and the router gates as DataFrames")
    top = {(r.router, r.prompt_id): AXES[int(r.top)]
           for r in gates.assign(top=gates[GATES].to_numpy().argmax(axis=1)).itertuples(index=False)}
    softmax = gates[gates["router"] == "softmax"]
    mixture = dict(zip(softmax["prompt_id"], top_k_gates(softmax[GATES].to_numpy(), top_k).tolist()))
    rows = []
    for pid, axis, prompt in zip(test["prompt_id"], test["axis"], test["prompt"]):
        bare = expert_chat(prompt, axis, "none")
        rows.append(("base", pid, axis, "", "", GenerateRequest(bare, sampling)))
        rows.append(("sft", pid, axis, "", "sft", GenerateRequest(bare, sampling, adapter="sft")))
        for method, router in ROUTED.items():
            if (router, pid) not in top:
                raise ValueError(f"router {router!r} has no gates for test prompt {pid}")
            expert = top[(router, pid)]
            if method == "no_injection":
                chat, adapter = bare, f"{expert}_plain"
            else:
                chat, adapter = expert_chat(prompt, expert, template), expert
            rows.append((method, pid, axis, expert, adapter, GenerateRequest(chat, sampling, adapter=adapter)))
        # only the k kept experts are named: the others are not computed, as in a top-k MoE
        weights = tuple((name, float(w)) for name, w in zip(AXES, mixture[pid]) if w > 0)
        label = "+".join(f"{name}:{w:.3f}" for name, w in weights)
        rows.append(("topk_moe", pid, axis, top[("softmax", pid)], label,
                     GenerateRequest(expert_chat(prompt, top[("softmax", pid)], template), sampling,
                                     adapter_weights=weights)))
    return pd.DataFrame(rows, columns=COLUMNS)


def time_methods(backend, requests: pd.DataFrame, n_prompts: int) -> pd.DataFrame:
    """Seconds and peak memory for each method of TIMED to answer the same first n_prompts test
    prompts through `backend` directly (no cache), one method after another. Peak memory is the
    accelerator's (torch.cuda.max_memory_allocated); on a CPU it is not measured (nan): the
    process's resident memory was tried and did not move, as the allocator reuses what earlier
    generations freed."""
    import time

    import torch

    prompts = list(dict.fromkeys(requests["prompt_id"]))[:n_prompts]
    chosen = requests[requests["prompt_id"].isin(prompts)]
    backend.generate([chosen["request"].iat[0]])  # warm-up: first-call allocations are not a method's
    rows = []
    for method in TIMED:
        own = chosen[chosen["method"] == method]
        if torch.cuda.is_available():
            torch.cuda.reset_peak_memory_stats()
        start = time.perf_counter()
        answer_all(backend, own)
        seconds = time.perf_counter() - start
        peak = torch.cuda.max_memory_allocated() / 2 ** 20 if torch.cuda.is_available() else float("nan")
        rows.append({"method": method, "prompts": len(own), "seconds": seconds, "peak_memory_mb": peak,
                     "memory": "cuda allocated" if torch.cuda.is_available() else "not measured on a CPU"})
    return pd.DataFrame(rows)


def answer_all(model, requests: pd.DataFrame) -> list[str]:
    """The answers in the frame's order; asked grouped by adapter (a mixture by the adapters it
    names), as the backend batches them, so a batch does not mix adapters."""
    def group(i):
        r = requests["request"].iat[i]
        return r.adapter, tuple(name for name, _ in r.adapter_weights), i

    order = sorted(range(len(requests)), key=group)
    answers = model.generate([requests["request"].iat[i] for i in order])
    out = [""] * len(requests)
    for i, answer in zip(order, answers):
        out[i] = answer.strip()
    return out


def main(argv=None) -> None:
    import json
    from pathlib import Path

    from papers.core.cli import open_model, parser, setup_logging
    from papers.core.io import UserError, write_parquet

    from .experts import ADAPTERS

    p = parser(__doc__)
    p.add_argument("--axes", required=True)
    p.add_argument("--gates", required=True)
    p.add_argument("--backbone", required=True, help="the backbone's registry name (a column of the output)")
    p.add_argument("--base", required=True, metavar="JSON", help="the backbone's registry entry")
    p.add_argument("--adapters", nargs="+", required=True, help=f"the adapter directories, named {ADAPTERS}")
    p.add_argument("--template", required=True)
    p.add_argument("--max-new-tokens", type=int, required=True)
    p.add_argument("--top-k", type=int, required=True, help="experts mixed by the top-k LoRA-MoE baseline")
    p.add_argument("--efficiency-prompts", type=int, required=True, help="test prompts timed per method")
    p.add_argument("--out-efficiency", required=True)
    p.add_argument("--cache", required=True)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--out", required=True)
    a = p.parse_args(argv)
    adapters = {Path(d).name: d for d in a.adapters}
    if sorted(adapters) != sorted(ADAPTERS):
        raise UserError(f"--adapters must name one directory per adapter {', '.join(ADAPTERS)}")
    log = setup_logging()
    table = pd.read_parquet(a.axes)
    test = table[table["split"] == "test"]
    requests = method_requests(test, pd.read_parquet(a.gates), a.template, Sampling(max_new_tokens=a.max_new_tokens),
                               a.top_k)
    entry = json.dumps({**json.loads(a.base), "adapters": adapters})
    model = open_model(entry, a.cache, a.threads, desc=f"{a.backbone} answers")
    answers = requests.drop(columns="request").assign(answer=answer_all(model, requests))
    write_parquet(a.out, answers.assign(backbone=a.backbone)[["backbone", *answers.columns]])
    timing = time_methods(model.backend, requests, a.efficiency_prompts)
    write_parquet(a.out_efficiency, timing.assign(backbone=a.backbone)[["backbone", *timing.columns]])
    log.info("efficiency:\n%s", timing.to_string())
    log.info("%d answers (%d methods x %d test prompts), %d model calls", len(answers), len(METHODS), len(test),
             model.calls)


if __name__ == "__main__":
    from papers.core.cli import run

    run(main)
