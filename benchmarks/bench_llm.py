"""Speed of the hf backend on this machine, as ratios against a baseline run in the same process.

    .venv/bin/python benchmarks/bench_llm.py [--prompts 6] [--dtype bfloat16]

1. Option scoring, K = 14, 56, 41 (the taxonomy's dimensions): the shared prompt KV cache against
   K full sequences; prompts/s for both, the speed-up, and whether the argmax agrees everywhere.
2. Generation of 16 prompts: one batch with left padding against one prompt at a time; tokens/s.
3. Sampled generation in bfloat16 against float32 (the mini registry's `generate_dtype`): tokens/s of
   each, and how many of 16 answers change when each is generated alone instead of in one batch.
4. The DAG's peak memory, from the benchmark files of the last run under results/benchmarks/.
Goals (issue 2): scoring >= 4x, batched generation >= 4x, DAG peak < 8 GB at mini scale; issue 13:
float32 generation answers do not depend on their batchmates, at a cost stated here.
"""
from __future__ import annotations

import argparse
import glob
import os
import time

import numpy as np
import pandas as pd

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from papers.core.llm.base import ModelSpec, load_backend  # noqa: E402
from papers.core.llm.types import GenerateRequest, Sampling, ScoreRequest, user  # noqa: E402
from papers.core.prompt_pool import load_prompt_pool  # noqa: E402
from papers.core.taxonomy import DIMENSION_QUESTIONS, load_taxonomy  # noqa: E402

MODEL = "resources/models/smollm2-135m-instruct"


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def bench_scoring(backend, prompts, taxonomy):
    print("\n## Option scoring (shared prompt KV cache vs K full sequences)")
    print("| K | dimension | shared prompts/s | naive prompts/s | speed-up | same argmax |")
    print("|---:|---|---:|---:|---:|---|")
    backend.score([ScoreRequest(user("warm up"), ("a", "b"))])
    for dim in taxonomy.dimensions():
        options = tuple(d.display_name for d in taxonomy.of(dim))
        requests = [ScoreRequest(user(f'Request: "{p}"\n\n{DIMENSION_QUESTIONS[dim]}'), options)
                    for p in prompts]
        shared, t_shared = timed(lambda: backend.score(requests))
        naive, t_naive = timed(lambda: [backend.score_naive(r) for r in requests])
        same = all(np.argmax(a) == np.argmax(b) for a, b in zip(shared, naive))
        print(f"| {len(options)} | {dim} | {len(prompts) / t_shared:.2f} | {len(prompts) / t_naive:.2f} "
              f"| {t_naive / t_shared:.1f}x | {same} |")


def bench_generation(backend, prompts, new_tokens):
    print(f"\n## Generation, {len(prompts)} prompts, greedy, up to {new_tokens} new tokens")
    requests = [GenerateRequest(user(p), Sampling(max_new_tokens=new_tokens)) for p in prompts]
    backend.generate(requests[:1])
    batched, t_batch = timed(lambda: backend.generate(requests))
    single, t_single = timed(lambda: [backend.generate([r])[0] for r in requests])

    def tokens(texts):
        return sum(len(backend.tokenizer(t, add_special_tokens=False).input_ids) for t in texts)
    print("| mode | seconds | tokens/s |\n|---|---:|---:|")
    print(f"| one at a time | {t_single:.1f} | {tokens(single) / t_single:.1f} |")
    print(f"| batch of {len(prompts)} (left padding) | {t_batch:.1f} | {tokens(batched) / t_batch:.1f} |")
    print(f"speed-up {tokens(batched) / t_batch / (tokens(single) / t_single):.1f}x; "
          f"identical outputs: {sum(a == b for a, b in zip(batched, single))}/{len(prompts)}")


def bench_generation_dtype(prompts, new_tokens):
    print(f"\n## Sampled generation by dtype, {len(prompts)} prompts, up to {new_tokens} new tokens")
    print("| dtype | batch of 16: s | tokens/s | answers changed when generated alone |\n|---|---:|---:|---:|")
    sampling = Sampling(temperature=0.7, top_p=0.9, max_new_tokens=new_tokens, seed=42)
    requests = [GenerateRequest(user(p), sampling) for p in prompts]
    speed = {}
    for dtype in ("bfloat16", "float32"):
        backend = load_backend(ModelSpec(backend="hf", model=MODEL, dtype=dtype, batch_size=16))
        backend.generate(requests[:1])
        batched, seconds = timed(lambda: backend.generate(requests))
        alone = [backend.generate([r])[0] for r in requests]
        n = sum(len(backend.tokenizer(t, add_special_tokens=False).input_ids) for t in batched)
        speed[dtype] = n / seconds
        print(f"| {dtype} | {seconds:.1f} | {speed[dtype]:.1f} | {sum(a != b for a, b in zip(batched, alone))} |")
    print(f"float32 generates at {speed['float32'] / speed['bfloat16']:.2f}x the speed of bfloat16")


def dag_memory():
    print("\n## DAG peak memory (results/benchmarks/, last run)")
    rows = []
    for path in sorted(glob.glob("results/benchmarks/**/*.tsv", recursive=True)):
        bench = pd.read_csv(path, sep="\t")
        rss = pd.to_numeric(bench["max_rss"], errors="coerce").max()
        rows.append((path, rss, bench["s"].iloc[0]))
    if not rows:
        print("no benchmark files: run `make` first")
        return
    print("| rule | max RSS MB | seconds |\n|---|---:|---:|")
    for path, rss, secs in rows:
        print(f"| {path.removeprefix('results/benchmarks/')} | {rss:.0f} | {secs:.1f} |")
    top2 = sorted((r[1] for r in rows if np.isfinite(r[1])), reverse=True)[:2]
    print(f"largest rule {top2[0]:.0f} MB; two largest together (2 cores run at most 2 jobs) "
          f"{sum(top2):.0f} MB; goal < 8000 MB")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--prompts", type=int, default=6, help="prompts per scoring measurement")
    p.add_argument("--dtype", default="bfloat16")
    args = p.parse_args()
    import torch
    print(f"# bench_llm: SmolLM2-135M-Instruct, {args.dtype}, torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads")
    taxonomy = load_taxonomy("data/taxonomy/domains.csv")
    pool = load_prompt_pool("data/prompt_pool/mini_pool.csv", taxonomy)
    backend = load_backend(ModelSpec(backend="hf", model=MODEL, dtype=args.dtype, batch_size=16))
    bench_scoring(backend, list(pool["prompt"][:args.prompts]), taxonomy)
    bench_generation(backend, list(pool["prompt"][:16]), new_tokens=32)
    bench_generation_dtype(list(pool["prompt"][:16]), new_tokens=32)
    dag_memory()


if __name__ == "__main__":
    main()
