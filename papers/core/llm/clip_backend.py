"""The `open_clip` backend: CLIP embeddings of texts (text tower) and images (image tower).

embed(requests) gives one unit-length float32 vector per request, a text's or an image's, in the
order asked; the two towers share one space, so a text and an image compare by their dot product.
CLIP does not generate text or score options: those requests are refused, naming the model.

Which weights, from the registry entry:
- `model` a directory: a CLIP open_clip loads as `local-dir:` (open_clip_config.json and weights; the
  mini CLIP of vision_train_clip). Its weights' sha256 is part of every cache key (base.BACKENDS).
- `model` an open_clip model name (ViT-L-14) with `options.pretrained`: a local weights file, or
  `hf-hub:<repo>`, whose open_clip weights file is fetched at the entry's `revision` (pin a commit).
  open_clip's own tags ("openai") are refused: their download cannot be pinned to a revision.
"""
from __future__ import annotations

import io
from pathlib import Path
from typing import Sequence

from .base import Backend, ModelConfigError, ModelSpec
from .types import EmbedRequest, ImagePart

HUB_WEIGHTS = ("open_clip_model.safetensors", "open_clip_pytorch_model.bin")
DTYPES = {"float32": "float32", "bfloat16": "bfloat16", "float16": "float16"}


def resolve(spec: ModelSpec) -> tuple[str, str | None]:
    """(open_clip model name, weights file or None) for a registry entry; a config error otherwise."""
    pretrained = spec.options.get("pretrained")
    if Path(spec.model).is_dir():
        if pretrained:
            raise ModelConfigError(f"model {spec.model!r}: a model directory holds its own weights; drop "
                                   "options.pretrained")
        return f"local-dir:{spec.model}", None
    if not isinstance(pretrained, str) or not pretrained:
        raise ModelConfigError(f"model {spec.model!r}: not a directory, so options.pretrained must name its weights "
                               "(a file, or hf-hub:<repo> fetched at the entry's revision)")
    if pretrained.startswith("hf-hub:"):
        return spec.model, hub_weights(pretrained.removeprefix("hf-hub:"), spec.revision)
    if not Path(pretrained).is_file():
        raise ModelConfigError(f"model {spec.model!r}: options.pretrained {pretrained!r} is neither a file nor "
                               "hf-hub:<repo> (open_clip's tags cannot be pinned to a revision)")
    return spec.model, pretrained


def hub_weights(repo: str, revision: str) -> str:
    """The open_clip weights file of a hub repository at `revision` (a local path, downloaded once)."""
    from huggingface_hub import hf_hub_download
    from huggingface_hub.errors import EntryNotFoundError

    for filename in HUB_WEIGHTS:
        try:
            return hf_hub_download(repo, filename, revision=revision)
        except EntryNotFoundError:
            continue
    raise ModelConfigError(f"hf-hub:{repo}@{revision} holds none of {', '.join(HUB_WEIGHTS)}")


class OpenCLIPBackend(Backend):
    def __init__(self, spec: ModelSpec):
        super().__init__(spec)
        import open_clip
        import torch

        if spec.adapter or spec.adapters:
            raise ModelConfigError(f"model {spec.model!r}: the open_clip backend takes no adapters")
        if spec.dtype not in DTYPES:
            raise ModelConfigError(f"model {spec.model!r}: dtype {spec.dtype!r} is not one of {', '.join(DTYPES)}")
        name, weights = resolve(spec)
        self.device = "cuda" if torch.cuda.is_available() else "cpu"
        self.dtype = getattr(torch, DTYPES[spec.dtype])
        self.model, _, self.transform = open_clip.create_model_and_transforms(name, pretrained=weights)
        self.model = self.model.to(self.device, self.dtype).eval()
        self.tokenizer = open_clip.get_tokenizer(name)

    def generate(self, requests):
        self._cannot("generate text: CLIP embeds texts and images (use a vision-language model)")

    def score(self, requests):
        self._cannot("score options: CLIP embeds texts and images (use a vision-language model)")

    def embed(self, requests: Sequence[EmbedRequest]) -> list[list[float]]:
        import torch

        texts = [i for i, r in enumerate(requests) if isinstance(r.input, str)]
        images = [i for i, r in enumerate(requests) if isinstance(r.input, ImagePart)]
        out: list[list[float] | None] = [None] * len(requests)
        size = self.spec.batch_size
        with torch.no_grad():
            for start in range(0, len(texts), size):
                part = texts[start:start + size]
                tokens = self.tokenizer([requests[i].input for i in part]).to(self.device)
                self._store(out, part, self.model.encode_text(tokens))
            for start in range(0, len(images), size):
                part = images[start:start + size]
                pixels = torch.stack([self._pixels(requests[i].input) for i in part]).to(self.device, self.dtype)
                self._store(out, part, self.model.encode_image(pixels))
        return out

    def _pixels(self, part: ImagePart):
        from PIL import Image

        with Image.open(io.BytesIO(part.data)) as picture:  # image() checked that it decodes
            return self.transform(picture.convert("RGB"))

    @staticmethod
    def _store(out: list, indices: list[int], features) -> None:
        import torch

        unit = torch.nn.functional.normalize(features.float(), dim=-1).cpu().numpy()
        for i, row in zip(indices, unit):
            out[i] = [float(x) for x in row]
