"""Train the mini LVLM's projector on the mini memes' pictures (the vision-language model at mini scale).

    python -m papers.core.vision.lvlm_train --memes results/vision/memes/harm_c/memes.parquet ... \
        --clip results/vision/models/mini-clip --language-model resources/models/smollm2-135m-instruct \
        --settings '{"image_tokens": 4, ...}' --seed 42 --out results/vision/models/mini-lvlm

The model is mini_lvlm.py's: the mini CLIP's image tower and SmolLM2, both frozen, and a projector
between them, the only part trained. The projector learns to write the picture into SmolLM2's word
space: for each training meme, its `image_tokens` vectors are regressed (mean squared error) onto
SmolLM2's input embeddings of the meme's caption (" a bomb and a cat", the pictograms in words,
render.py), padded with the embedding of "." to `image_tokens` tokens. The language model is not run
while training: on this 2-core machine (AVX2, no bfloat16 units) one SmolLM2 forward and backward
pass over 16 chats took about 14 s, so a caption-likelihood objective could not take more than a few
steps in the mini budget; the regression takes milliseconds per step. The language model reads the
projected vectors at inference, where the image tokens go through all its layers.

The regression loss on the held-out memes is recorded during training; after training, the model as
the backend runs it (SmolLM2 reading the image vectors) is measured on `eval_memes` held-out memes
(`holdout` split, seeded), against baselines that say what the image adds:
- caption_nll: per-token negative log-likelihood of the true caption given the meme's own image, given
  another meme's image (the next one in the held-out order), and with no image in the prompt;
- yes_no: accuracy of P(Yes) > P(No) on "Is there <a thing> in the picture? Answer Yes or No." about
  one of its pictograms or one it does not show (even odds, seeded), with the meme's own image and
  with another meme's image (chance 0.5; always-Yes is the share of Yes answers).
Reproducible: fixed threads, deterministic algorithms, seeded data order, initialisation and questions.
"""
from __future__ import annotations

import json
import random
import time
from pathlib import Path

import numpy as np

from ..io import atomic_dir
from .clip_train import WEIGHTS_FILE as CLIP_WEIGHTS, learning_rate, load_images, open_clip_config
from .memes import load_memes
from .render import article

SETTINGS = ("holdout", "image_tokens", "projector_hidden", "steps", "batch_size", "learning_rate", "warmup",
            "eval_memes", "threads")
CAPTION_PROMPT = "What does the picture show?"
QUESTION = "Is there {thing} in the picture? Answer Yes or No."
EVALS = 10  # the held-out regression loss is recorded this many times during training (and at step 0)
PAD_WORD = "."  # what pads a caption's embeddings to image_tokens vectors
TRAINING_FILE = "training.json"


def check_settings(settings: dict) -> dict:
    if not isinstance(settings, dict):
        raise TypeError(f"settings must be a dict, got {type(settings).__name__}")
    missing = [k for k in SETTINGS if k not in settings]
    if missing:
        raise ValueError(f"LVLM training settings lack {', '.join(missing)}")
    return settings


def image_turn(question: str) -> list[dict]:
    """The user turn the model is trained and measured on, as hf_vision.conversation renders
    (image(path), TextPart(question)): the image, then the question."""
    return [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": question}]}]


def questions(memes, names: list[str], rng: random.Random) -> list[tuple[str, str]]:
    """Per meme a (question, answer): a pictogram it shows (Yes) or one it does not (No), even odds."""
    out = []
    for picture in memes["picture"]:
        shown = picture.split("+")
        if rng.random() < 0.5:
            out.append((QUESTION.format(thing=article(rng.choice(shown))), "Yes"))
        else:
            out.append((QUESTION.format(thing=article(rng.choice([n for n in names if n not in shown]))), "No"))
    return out


class Encoder:
    """Token ids of (prompt, answer) pairs as the backend renders them; the answer ends the turn."""

    def __init__(self, processor):
        self.processor = processor
        self.end = processor.tokenizer.convert_tokens_to_ids("<|im_end|>")
        self._prompts: dict = {}

    def prompt(self, question: str, with_image: bool = True) -> list[int]:
        key = (question, with_image)
        if key not in self._prompts:
            turn = image_turn(question) if with_image else [{"role": "user", "content": [{"type": "text",
                                                                                             "text": question}]}]
            text = self.processor.apply_chat_template(turn, add_generation_prompt=True)
            self._prompts[key] = self.processor.expand(self.processor.tokenizer(text)["input_ids"])
        return self._prompts[key]

    def answer(self, text: str) -> list[int]:
        return list(self.processor.tokenizer(text, add_special_tokens=False)["input_ids"]) + [self.end]


def answer_losses(model, encoder, pairs: list[tuple[list[int], list[int]]], image_embeddings):
    """Per pair, the summed cross-entropy of its answer tokens and their count; image_embeddings holds
    one (image_tokens, width) block per pair that has placeholders (None: no pair has any)."""
    import torch

    width = max(len(p) + len(a) for p, a in pairs)
    pad = encoder.processor.tokenizer.pad_token_id
    ids = torch.full((len(pairs), width), pad)
    mask = torch.zeros((len(pairs), width), dtype=torch.long)
    target = torch.full((len(pairs), width), -100)
    for row, (prompt, answer) in enumerate(pairs):
        seq = prompt + answer
        ids[row, :len(seq)] = torch.tensor(seq)
        mask[row, :len(seq)] = 1
        target[row, len(prompt):len(seq)] = torch.tensor(answer)
    embeds = model.input_embeddings(ids, image_embeddings=image_embeddings)
    hidden = model.language_model.model(inputs_embeds=embeds, attention_mask=mask).last_hidden_state
    # Only answer positions reach the vocabulary projection: the prompt's logits are never needed.
    predicts = target[:, 1:] != -100
    logits = model.language_model.lm_head(hidden[:, :-1][predicts])
    token_loss = torch.nn.functional.cross_entropy(logits.float(), target[:, 1:][predicts], reduction="none")
    rows = predicts.nonzero()[:, 0]
    summed = torch.zeros(len(pairs)).index_add(0, rows, token_loss)
    return summed, predicts.sum(1)


def caption_embeddings(model, processor, captions: list[str], tokens: int):
    """(captions, tokens, width): the language model's input embeddings of each caption as it follows
    a space, cut or padded with PAD_WORD's embedding to `tokens` vectors: the projector's targets."""
    import torch

    tokenizer = processor.tokenizer
    pad = tokenizer(PAD_WORD, add_special_tokens=False)["input_ids"][0]
    ids = []
    for caption in captions:
        row = list(tokenizer(" " + caption, add_special_tokens=False)["input_ids"])[:tokens]
        ids.append(row + [pad] * (tokens - len(row)))
    return model.language_model.get_input_embeddings()(torch.tensor(ids)).float()


def evaluate(model, encoder, held, features, names: list[str], seed: int) -> dict:
    """Caption log-likelihood and yes/no accuracy on the held-out memes, with their baselines."""
    import torch

    yes, no = encoder.processor.tokenizer("Yes", add_special_tokens=False)["input_ids"][0], \
        encoder.processor.tokenizer("No", add_special_tokens=False)["input_ids"][0]
    wrong = torch.roll(torch.arange(len(held)), 1)  # another meme's image, the same for every measure
    asked = questions(held, names, random.Random(seed))
    with torch.no_grad():
        own, other = model.projector(features), model.projector(features[wrong])
        caption = [(encoder.prompt(CAPTION_PROMPT), encoder.answer(c)) for c in held["caption"]]
        bare = [(encoder.prompt(CAPTION_PROMPT, with_image=False), encoder.answer(c)) for c in held["caption"]]
        nll = {}
        for name, pairs, images in (("own_image", caption, own), ("other_image", caption, other),
                                    ("no_image", bare, None)):
            summed, count = answer_losses(model, encoder, pairs, images)
            nll[name] = float(summed.sum() / count.sum())
        yes_no = {}
        for name, images in (("own_image", own), ("other_image", other)):
            pairs = [(encoder.prompt(q), encoder.answer(a)) for q, a in asked]
            ids, mask = _left_pad([p for p, _ in pairs], encoder)
            embeds = model.input_embeddings(ids, image_embeddings=images)
            last = model.language_model(inputs_embeds=embeds, attention_mask=mask).logits[:, -1]
            said_yes = (last[:, yes] > last[:, no]).numpy()
            yes_no[name] = float(np.mean(said_yes == np.array([a == "Yes" for _, a in asked])))
    return {"caption_nll": nll, "yes_no": {**yes_no, "chance": 0.5,
                                           "always_yes": float(np.mean([a == "Yes" for _, a in asked]))},
            "memes": len(held)}


def _left_pad(rows: list[list[int]], encoder):
    import torch

    width, pad = max(map(len, rows)), encoder.processor.tokenizer.pad_token_id
    ids = torch.tensor([[pad] * (width - len(r)) + r for r in rows])
    mask = torch.tensor([[0] * (width - len(r)) + [1] * len(r) for r in rows])
    return ids, mask


def train_lvlm(memes, clip_dir: str | Path, language_model: str | Path, settings: dict, seed: int,
               out: str | Path, log=print) -> dict:
    """Train the projector on the train split of `memes` (image, caption and picture columns); write
    the model directory `out` (staged and renamed); return training.json's content."""
    import torch
    from safetensors.torch import load_file, save_file
    from transformers import AutoModelForCausalLM

    from .mini_lvlm import CONFIG_FILE, WEIGHTS_FILE, MiniLVLMProcessor, build

    check_settings(settings)
    if not isinstance(seed, int):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    torch.set_num_threads(settings["threads"])
    torch.use_deterministic_algorithms(True)
    clip_dir, out, started = Path(clip_dir), Path(out), time.perf_counter()
    clip_config = json.loads((clip_dir / "open_clip_config.json").read_text())
    config = {"language_model": str(language_model), "image_tokens": settings["image_tokens"],
              "projector_hidden": settings["projector_hidden"],
              "clip": open_clip_config(clip_config["model_cfg"]), "clip_source": str(clip_dir)}
    processor = MiniLVLMProcessor.from_config(config)
    torch.manual_seed(seed)
    model = build(config, AutoModelForCausalLM.from_pretrained(str(language_model), dtype=torch.float32),
                  processor.image_token_id)
    clip_weights = load_file(clip_dir / CLIP_WEIGHTS)
    model.visual.load_state_dict({k.removeprefix("visual."): v for k, v in clip_weights.items()
                                  if k.startswith("visual.")})
    model.eval()  # frozen towers stay in eval mode (no dropout, batch-norm statistics fixed)
    train, held = memes[memes["split"] == "train"], memes[memes["split"] == settings["holdout"]]
    if train.empty or held.empty:
        raise ValueError(f"LVLM training needs memes in the train and {settings['holdout']} splits")
    held = held.sample(n=min(settings["eval_memes"], len(held)), random_state=seed)
    names = sorted({n for p in memes["picture"] for n in p.split("+")})
    with torch.no_grad():  # the frozen CLIP's unit-length embedding of every image, once
        features, held_features = (torch.nn.functional.normalize(model.visual(load_images(m["image"], processor.transform)),
                                                                 dim=-1) for m in (train, held))
        targets, held_targets = (caption_embeddings(model, processor, list(m["caption"]), settings["image_tokens"])
                                 for m in (train, held))
    optimiser = torch.optim.AdamW(model.projector.parameters(), lr=settings["learning_rate"], weight_decay=0.0)
    order = torch.Generator().manual_seed(seed)
    steps, batch, losses, held_losses = settings["steps"], settings["batch_size"], [], []
    eval_at = set(np.linspace(0, steps, EVALS + 1).round().astype(int).tolist())
    queue = torch.empty(0, dtype=torch.long)
    for step in range(steps + 1):
        if step in eval_at:
            with torch.no_grad():
                held_losses.append({"step": step, "loss": round(float(
                    torch.nn.functional.mse_loss(model.projector(held_features), held_targets)), 6)})
        if step == steps:
            break
        if len(queue) < batch:  # a fresh seeded permutation per epoch; no partial batches
            queue = torch.cat([queue, torch.randperm(len(train), generator=order)])
        index, queue = queue[:batch], queue[batch:]
        for group in optimiser.param_groups:
            group["lr"] = learning_rate(step, settings)
        loss = torch.nn.functional.mse_loss(model.projector(features[index]), targets[index])
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        losses.append(round(loss.item(), 6))
    trained = time.perf_counter() - started
    # The trivial baseline: every held-out image predicted as the mean training caption's embeddings.
    mean_loss = round(float(torch.nn.functional.mse_loss(targets.mean(0).expand_as(held_targets), held_targets)), 6)
    log(f"projector trained in {trained:.1f} s: held-out loss {held_losses[0]['loss']:.4f} -> "
        f"{held_losses[-1]['loss']:.4f} (the mean caption's: {mean_loss:.4f})")
    final = {"step": steps, **evaluate(model, Encoder(processor), held, held_features, names, seed)}
    log(f"caption NLL own/other/no image {final['caption_nll']['own_image']:.3f}/"
        f"{final['caption_nll']['other_image']:.3f}/{final['caption_nll']['no_image']:.3f}; yes/no accuracy "
        f"{final['yes_no']['own_image']:.3f} (other image {final['yes_no']['other_image']:.3f}, chance 0.5)")
    seconds = time.perf_counter() - started
    with atomic_dir(out) as staged:
        weights = {f"visual.{k}": v for k, v in model.visual.state_dict().items()}
        weights.update({f"projector.{k}": v for k, v in model.projector.state_dict().items()})
        save_file({k: v.contiguous() for k, v in weights.items()}, staged / WEIGHTS_FILE)
        (staged / CONFIG_FILE).write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")
        summary = {
            "settings": settings, "seed": seed,
            "trained_parameters": sum(p.numel() for p in model.projector.parameters()),
            "data": {"train_memes": len(train), "holdout_memes": len(held),
                     "holdout_split": settings["holdout"], "datasets": sorted(set(memes["dataset"])),
                     "pictogram_names": len(names)},
            "prompts": {"caption": CAPTION_PROMPT, "question": QUESTION},
            "loss": losses, "holdout_loss": held_losses, "holdout_loss_of_mean_caption": mean_loss, "final": final,
        }  # no timings: the file is a DAG output, byte-identical on rerun (the log and benchmark file time it)
        (staged / TRAINING_FILE).write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n")
    log(f"trained in {seconds:.1f} s: {out}")
    return summary


def main(argv=None) -> None:
    import pandas as pd

    from ..cli import parser

    p = parser(__doc__)
    p.add_argument("--memes", nargs="+", required=True, help="meme tables (load_memes) with captions")
    p.add_argument("--clip", required=True, help="the mini CLIP's model directory (vision_train_clip)")
    p.add_argument("--language-model", required=True, help="the language model's directory (SmolLM2)")
    p.add_argument("--settings", required=True, help="vision.lvlm of the config, as JSON")
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--out", required=True)
    a = p.parse_args(argv)
    memes = pd.concat([load_memes(path) for path in a.memes], ignore_index=True)
    train_lvlm(memes, a.clip, a.language_model, json.loads(a.settings), a.seed, a.out)


if __name__ == "__main__":
    from papers.core.cli import run

    run(main, trains=True)  # replay: the model comes from the bundle
