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

Efficiency (--efficiency-prompts N): N test prompts (taken from each axis in turn) answered by the
backend itself (no cache) by AlignX and the top-k MoE, each method in a fresh process forked
before any model is loaded, timed (wall and CPU seconds), with its peak memory: the
accelerator's allocation on a GPU, the process's peak resident memory on a CPU (time_methods).
A replay (config `replay`) loads no model, so it writes these rows unmeasured (NaN; `untimed`).
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
TIMED = {"alignx": AXES, "topk_moe": AXES}  # method: the adapters the process serving it holds
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


def efficiency_prompts(requests: pd.DataFrame, n_prompts: int) -> list[str]:
    """The n_prompts test prompts every timed method answers: taken from each axis in turn (the first
    helpful, the first harmless, the first honest, the second helpful...), so the routers' experts
    all serve some of them."""
    if not isinstance(n_prompts, int) or isinstance(n_prompts, bool) or n_prompts < 1:
        raise ValueError(f"n_prompts must be an int >= 1, got {n_prompts!r}")
    per_axis = [list(dict.fromkeys(requests.loc[requests["axis"] == axis, "prompt_id"])) for axis in AXES]
    turns: list[str] = []
    for rank in range(max(map(len, per_axis), default=0)):
        turns += [ids[rank] for ids in per_axis if rank < len(ids)]
    return turns[:n_prompts]


def _rss_mb() -> float:
    """This process's resident memory now (Linux /proc), in MiB."""
    import os

    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2 ** 20


def _measure(load, method: str, own: pd.DataFrame, conn) -> None:
    """In a fresh child process: load the method's model, warm up, time its answers, and send back the
    seconds, the CPU seconds and the peak memory (the accelerator's allocation on a GPU; on a CPU the
    process's peak resident memory, ru_maxrss, which nothing before the fork has touched)."""
    import dataclasses
    import resource
    import time

    try:
        import torch

        cuda = torch.cuda.is_available()
        backend = load(method)
        loaded = torch.cuda.memory_allocated() / 2 ** 20 if cuda else _rss_mb()
        first = own["request"].iat[0]  # warm-up, one token: first-call allocations and lazy set-up
        backend.generate([dataclasses.replace(first, sampling=dataclasses.replace(first.sampling, max_new_tokens=1))])
        if cuda:
            torch.cuda.reset_peak_memory_stats()
        wall, cpu = time.perf_counter(), time.process_time()
        answer_all(backend, own)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        peak = torch.cuda.max_memory_allocated() / 2 ** 20 if cuda else \
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2 ** 10  # Linux: KiB
        conn.send({"seconds": wall, "cpu_seconds": cpu, "loaded_memory_mb": loaded, "peak_memory_mb": peak,
                   "memory": "cuda allocated" if cuda else "peak RSS of a fresh process"})
    except BaseException as err:  # noqa: BLE001 (any failure goes back: the parent raises it, naming the method)
        conn.send({"error": f"{type(err).__name__}: {err}"})
    finally:
        conn.close()


def time_methods(load, requests: pd.DataFrame, n_prompts: int) -> pd.DataFrame:
    """Each method of TIMED answering the same n_prompts test prompts (efficiency_prompts), uncached,
    each in a fresh process forked from this one before any model is loaded: `load(method)` there
    returns the backend the method is served by (TIMED: the adapters it holds), which answers a
    one-token warm-up request and then the method's requests, timed (wall and CPU seconds). Fresh processes
    because a CPU has no allocation counter: an earlier method's freed memory, which the allocator
    keeps, would hide the next one's peak (in one process the resident memory moved by under 0.1 MB).
    Peak memory is therefore the whole process's (imports, weights, generation): the methods differ
    only by what they add to the same start. Call it before this process loads a model or runs torch
    code (a forked child inherits both)."""
    import multiprocessing

    if not callable(load):
        raise TypeError(f"load must be a function of the method name, got {type(load).__name__}")
    prompts = efficiency_prompts(requests, n_prompts)
    rows = []
    context = multiprocessing.get_context("fork")
    for method in TIMED:
        own = requests[(requests["method"] == method) & requests["prompt_id"].isin(prompts)]
        receive, send = context.Pipe(duplex=False)
        child = context.Process(target=_measure, args=(load, method, own, send))
        child.start()
        send.close()
        try:
            result = receive.recv()
        except EOFError:
            result = {"error": "the process died without a result"}
        child.join()
        if "error" in result:
            raise RuntimeError(f"timing {method}: {result['error']} (exit code {child.exitcode})")
        rows.append({"method": method, "prompts": len(own), **result})
    return pd.DataFrame(rows)


def untimed(requests: pd.DataFrame, n_prompts: int) -> pd.DataFrame:
    """time_methods' rows with no measurement (NaN), for a replay, which loads no model."""
    prompts = efficiency_prompts(requests, n_prompts)
    return pd.DataFrame([{"method": method, "prompts": int(((requests["method"] == method)
                                                             & requests["prompt_id"].isin(prompts)).sum()),
                          "seconds": float("nan"), "cpu_seconds": float("nan"), "loaded_memory_mb": float("nan"),
                          "peak_memory_mb": float("nan"), "memory": "not measured: replay loads no model"}
                         for method in TIMED])


def timing_loader(base: dict, adapters: dict, threads: int):
    """The `load` of time_methods: each method's backend with the adapters it holds. Imports torch,
    peft and transformers here, once, so the forked processes share them; call it before this
    process loads a model or runs torch code."""
    import peft  # noqa: F401 (imported once here, shared by the forked processes)
    import torch

    import papers.core.llm.hf  # noqa: F401 (transformers, likewise)
    from papers.core.llm.base import ModelSpec, load_backend

    torch.set_num_threads(max(1, threads))

    def load(method):
        return load_backend(ModelSpec.from_config({**base, "adapters": {n: adapters[n] for n in TIMED[method]}}))
    return load


def answer_all(model, requests: pd.DataFrame) -> list[str]:
    """The answers in the frame's order, asked in the order that batches well: the top-k mixtures
    grouped by the adapters they name (a mixture's batch runs those adapters together), then the
    rest by prompt length (rows of different experts share a batch, the hf backend's
    mixed_adapter_batches), so that a batch pads little."""
    def group(i):
        r = requests["request"].iat[i]
        return tuple(name for name, _ in r.adapter_weights), sum(len(t) for _, t in r.messages if isinstance(t, str)), i

    order = sorted(range(len(requests)), key=group)
    answers = model.generate([requests["request"].iat[i] for i in order])
    out = [""] * len(requests)
    for i, answer in zip(order, answers):
        out[i] = answer.strip()
    return out


def main(argv=None) -> None:
    import json
    from pathlib import Path

    from papers.core.cache import replaying
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
    test = table[(table["split"] == "test") & table["answered"]]
    requests = method_requests(test, pd.read_parquet(a.gates), a.template, Sampling(max_new_tokens=a.max_new_tokens),
                               a.top_k)
    # Rows of different experts share a generation batch (hf backend option): hard routing serves
    # each prompt with its own expert, as a deployed router would, in one batch.
    base = {**json.loads(a.base), "options": {**json.loads(a.base).get("options", {}), "mixed_adapter_batches": True}}
    if replaying():  # timing loads the models: replay reproduces results, not timings (README: Replay)
        timing = untimed(requests, a.efficiency_prompts)
    else:
        timing = time_methods(timing_loader(base, adapters, a.threads), requests, a.efficiency_prompts)
    write_parquet(a.out_efficiency, timing.assign(backbone=a.backbone)[["backbone", *timing.columns]])
    model = open_model(json.dumps({**base, "adapters": adapters}), a.cache, a.threads,
                       desc=f"{a.backbone} answers")
    answers = requests.drop(columns="request").assign(answer=answer_all(model, requests))
    write_parquet(a.out, answers.assign(backbone=a.backbone)[["backbone", *answers.columns]])
    log.info("efficiency:\n%s", timing.to_string())
    log.info("%d answers (%d methods x %d test prompts), %d model calls", len(answers), len(METHODS), len(test),
             model.calls)


if __name__ == "__main__":
    from papers.core.cli import run

    run(main)
