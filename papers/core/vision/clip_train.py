"""Train a tiny CLIP on the mini memes' pictures and their captions (the mini scale's image encoder).

    python -m papers.core.vision.clip_train --memes results/vision/memes/harm_c/memes.parquet ... \
        --settings '{"model_cfg": {...}, "steps": 120, ...}' --seed 42 --out results/vision/models/mini-clip

No wheel ships CLIP weights, so the mini scale trains its own: open_clip's CLIP built from a model
config (`model_cfg`, open_clip's own format), trained contrastively on the train split of every table
given, each rendered meme paired with its `caption` (the picture in words; the OCR text is never the
caption). Its retrieval accuracy (image -> caption, top-1 among the distinct captions of the held-out
split, against chance) is measured during and after training.

The output is a model directory that open_clip loads as `local-dir:<dir>` (llm/clip_backend.py):
    open_clip_config.json       {"model_cfg": ..., "preprocess_cfg": ...}
    open_clip_model.safetensors the weights
    training.json               settings, seed, data, tokenizer, loss per step, retrieval per eval
Reproducible: the same memes, settings and seed give byte-identical weights. torch runs on a fixed
number of threads (`threads` in the settings, not the job's), deterministic algorithms only, and the
batches come from a seeded generator.
"""
from __future__ import annotations

import json
import math
import time
from pathlib import Path

import numpy as np

from ..io import atomic_dir
from .memes import load_memes

CONFIG_FILE, WEIGHTS_FILE, TRAINING_FILE = "open_clip_config.json", "open_clip_model.safetensors", "training.json"
# OpenAI CLIP's normalisation, open_clip's default: a model trained here is preprocessed like any other.
MEAN, STD = (0.48145466, 0.4578275, 0.40821073), (0.26862954, 0.26130258, 0.27577711)
EVALS = 6  # retrieval is measured this many times during training (and at step 0)
SETTINGS = ("model_cfg", "holdout", "steps", "batch_size", "learning_rate", "weight_decay", "warmup", "threads")


def check_settings(settings: dict) -> dict:
    if not isinstance(settings, dict):
        raise TypeError(f"settings must be a dict, got {type(settings).__name__}")
    missing = [k for k in SETTINGS if k not in settings]
    if missing:
        raise ValueError(f"CLIP training settings lack {', '.join(missing)}")
    return settings


def open_clip_config(model_cfg: dict) -> dict:
    size = model_cfg["vision_cfg"]["image_size"]
    return {"model_cfg": model_cfg,
            "preprocess_cfg": {"size": [size, size], "mean": list(MEAN), "std": list(STD),
                               "interpolation": "bicubic", "resize_mode": "shortest"}}


def load_images(paths, transform):
    """Every image once, through the model's own evaluation transform: one (N, 3, S, S) tensor."""
    import torch
    from PIL import Image

    from ..llm.types import image

    tensors = []
    for path in paths:
        image(path)  # a missing or broken file is an ImageError naming it, not a PIL traceback
        with Image.open(path) as picture:
            tensors.append(transform(picture.convert("RGB")))
    return torch.stack(tensors)


def retrieval(model, images, captions: list[str], truth: list[str], tokenizer) -> dict:
    """Image -> caption retrieval among the distinct `captions`: top-1 and top-5 accuracy, chance."""
    import torch

    with torch.no_grad():
        image_features = torch.nn.functional.normalize(model.encode_image(images), dim=-1)
        text_features = torch.nn.functional.normalize(model.encode_text(tokenizer(captions)), dim=-1)
    ranked = (image_features @ text_features.T).argsort(dim=1, descending=True).numpy()
    target = np.array([captions.index(t) for t in truth])
    k = min(5, len(captions))
    return {"top1": float((ranked[:, 0] == target).mean()),
            "top5": float((ranked[:, :k] == target[:, None]).any(axis=1).mean()),
            "chance_top1": 1 / len(captions), "chance_top5": k / len(captions), "captions": len(captions),
            "images": len(truth)}


def learning_rate(step: int, settings: dict) -> float:
    """Linear warm-up, then cosine decay to zero."""
    peak, warmup, steps = settings["learning_rate"], settings["warmup"], settings["steps"]
    if step < warmup:
        return peak * (step + 1) / warmup
    return peak * 0.5 * (1 + math.cos(math.pi * (step - warmup) / max(1, steps - warmup)))


def train_clip(memes, settings: dict, seed: int, out: str | Path, log=print) -> dict:
    """Train on the train split of `memes` (a table with image and caption columns), write the model
    directory `out` (staged under a temporary name and renamed); return training.json's content."""
    import open_clip
    import torch
    from safetensors.torch import save_file

    check_settings(settings)
    if not isinstance(seed, int):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    torch.set_num_threads(settings["threads"])
    torch.use_deterministic_algorithms(True)
    out = Path(out)
    with atomic_dir(out) as staged:
        (staged / CONFIG_FILE).write_text(json.dumps(open_clip_config(settings["model_cfg"]), indent=2) + "\n")
        torch.manual_seed(seed)
        model, _, transform = open_clip.create_model_and_transforms(f"local-dir:{staged}")
        tokenizer = open_clip.get_tokenizer(f"local-dir:{staged}")
        train, held = memes[memes["split"] == "train"], memes[memes["split"] == settings["holdout"]]
        if train.empty or held.empty:
            raise ValueError(f"CLIP training needs memes in the train and {settings['holdout']} splits")
        images, held_images = load_images(train["image"], transform), load_images(held["image"], transform)
        texts = tokenizer(list(train["caption"]))
        held_captions = sorted(set(held["caption"]))
        optimiser = torch.optim.AdamW(model.parameters(), lr=settings["learning_rate"],
                                      weight_decay=settings["weight_decay"])
        loss_fn = open_clip.ClipLoss()
        order = torch.Generator().manual_seed(seed)
        batch, steps, evals = settings["batch_size"], settings["steps"], []
        eval_at = set(np.linspace(0, steps, EVALS + 1).round().astype(int).tolist())
        losses, queue, started = [], torch.empty(0, dtype=torch.long), time.perf_counter()
        for step in range(steps + 1):
            if step in eval_at:
                model.eval()
                evals.append({"step": step, **retrieval(model, held_images, held_captions, list(held["caption"]),
                                                        tokenizer)})
                loss_text = f"loss {losses[-1]:.3f}, " if losses else ""
                log(f"step {step}: {loss_text}held-out top-1 "
                    f"{evals[-1]['top1']:.3f} (chance {evals[-1]['chance_top1']:.3f}), "
                    f"{time.perf_counter() - started:.1f} s")
            if step == steps:
                break
            if len(queue) < batch:  # a fresh seeded permutation per epoch; no partial batches
                queue = torch.cat([queue, torch.randperm(len(train), generator=order)])
            index, queue = queue[:batch], queue[batch:]
            for group in optimiser.param_groups:
                group["lr"] = learning_rate(step, settings)
            model.train()
            image_features, text_features, logit_scale = model(images[index], texts[index])
            loss = loss_fn(image_features, text_features, logit_scale)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            with torch.no_grad():
                model.logit_scale.clamp_(0, math.log(100))  # CLIP's cap on the temperature
            losses.append(round(loss.item(), 6))
        save_file({k: v.contiguous() for k, v in model.state_dict().items()}, staged / WEIGHTS_FILE)
        summary = {
            "settings": settings, "seed": seed, "parameters": sum(p.numel() for p in model.parameters()),
            "data": {"train_memes": len(train), "holdout_memes": len(held), "holdout_split": settings["holdout"],
                     "datasets": sorted(set(memes["dataset"])), "text": "caption (the picture in words)"},
            "tokenizer": {"kind": type(tokenizer).__name__, "context_length": settings["model_cfg"]["text_cfg"]
                          ["context_length"], "package": f"open_clip_torch=={open_clip.__version__}"},
            "loss": losses, "retrieval": evals, "final": evals[-1],
        }
        # a plain write: the whole folder is staged and renamed (an all_or_none() around the step
        # would otherwise stage this file past the folder's rename)
        (staged / TRAINING_FILE).write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n")
    log(f"trained in {time.perf_counter() - started:.1f} s: {out}")
    return summary


def main(argv=None) -> None:
    import pandas as pd

    from ..cli import parser

    p = parser(__doc__)
    p.add_argument("--memes", nargs="+", required=True, help="meme tables (load_memes) with captions")
    p.add_argument("--settings", required=True, help="vision.clip of the config, as JSON")
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--out", required=True)
    a = p.parse_args(argv)
    memes = pd.concat([load_memes(path) for path in a.memes], ignore_index=True)
    train_clip(memes, json.loads(a.settings), a.seed, a.out)


if __name__ == "__main__":
    from papers.core.cli import run

    run(main, trains=True)  # replay: the model comes from the bundle
