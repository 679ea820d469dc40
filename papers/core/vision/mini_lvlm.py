"""The mini LVLM: the mini CLIP's image tower, a trained projector, and SmolLM2 (frozen).

No wheel ships vision-language weights, so the mini scale assembles one (lvlm_train.py trains it in
the DAG). The design is ClipCap's prefix mapping in LLaVA's plumbing: the CLIP image embedding (unit
length) goes through a two-layer MLP to `image_tokens` vectors of the language model's width; a
prompt holds one `<image>` placeholder per image, which the processor expands to `image_tokens`
placeholder ids; the model puts the projected vectors at those positions of the input embeddings, so
the image tokens go through every layer of the language model like its text tokens.

Model directory (a DAG output; llm/hf_vision.py loads it):
    mini_lvlm.json            settings, the language model's directory, the CLIP's open_clip config
    model.safetensors         the CLIP image tower (visual.*) and the projector (projector.*)
    training.json             the training record (lvlm_train.py)
The language model is not copied: mini_lvlm.json names its directory (SmolLM2's, from its wheel).

It mirrors transformers' LVLM interface where the backend uses it (llm/hf_vision.py):
MiniLVLMProcessor.apply_chat_template / __call__ / tokenizer, and MiniLVLM forward / generate taking
input_ids, attention_mask and pixel_values. Where it differs: it is not a PreTrainedModel (no
from_pretrained through the Auto classes, no device_map), and its image tower is open_clip's.
"""
from __future__ import annotations

import io
import json
from pathlib import Path

import torch
from torch import nn

CONFIG_FILE, WEIGHTS_FILE = "mini_lvlm.json", "model.safetensors"
IMAGE_TOKEN = "<image>"  # added to the language model's tokenizer; its id is never embedded


def is_mini_lvlm(directory: str | Path) -> bool:
    return (Path(directory) / CONFIG_FILE).is_file()


class Projector(nn.Module):
    """CLIP image embedding -> `tokens` vectors of the language model's width (Linear, GELU, Linear)."""

    def __init__(self, clip_dim: int, hidden: int, tokens: int, width: int):
        super().__init__()
        self.tokens, self.width = tokens, width
        self.net = nn.Sequential(nn.Linear(clip_dim, hidden), nn.GELU(), nn.Linear(hidden, tokens * width))

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.net(features).view(len(features), self.tokens, self.width)


class MiniLVLM(nn.Module):
    def __init__(self, visual: nn.Module, projector: Projector, language_model, image_token_id: int):
        super().__init__()
        self.visual, self.projector, self.language_model = visual, projector, language_model
        self.image_token_id = image_token_id
        self.config = language_model.config  # what the backend reads (max_position_embeddings)

    def image_embeddings(self, pixel_values: torch.Tensor) -> torch.Tensor:
        """(images, image_tokens, width): the frozen CLIP's unit-length embedding, projected."""
        with torch.no_grad():
            features = nn.functional.normalize(self.visual(pixel_values.to(self.projector.net[0].weight.dtype)), dim=-1)
        return self.projector(features)

    def input_embeddings(self, input_ids: torch.Tensor, pixel_values: torch.Tensor | None = None,
                         image_embeddings: torch.Tensor | None = None) -> torch.Tensor:
        """The language model's input embeddings with each image's vectors at its placeholder ids.
        `image_embeddings` (precomputed) replaces pixel_values in training."""
        is_image = input_ids == self.image_token_id
        embeds = self.language_model.get_input_embeddings()(input_ids.masked_fill(is_image, 0))
        if image_embeddings is None and pixel_values is not None:
            image_embeddings = self.image_embeddings(pixel_values)
        given = 0 if image_embeddings is None else image_embeddings.shape[0] * image_embeddings.shape[1]
        if int(is_image.sum()) != given:
            raise ValueError(f"the inputs hold {int(is_image.sum())} image placeholder ids for {given} image "
                             "vectors: one <image> per image part, expanded by the processor")
        if given:
            embeds = embeds.masked_scatter(is_image[..., None], image_embeddings.to(embeds.dtype).reshape(-1))
        return embeds

    def forward(self, input_ids, attention_mask=None, pixel_values=None, image_embeddings=None, **kwargs):
        embeds = self.input_embeddings(input_ids, pixel_values, image_embeddings)
        return self.language_model(inputs_embeds=embeds, attention_mask=attention_mask, **kwargs)

    def generate(self, input_ids, attention_mask=None, pixel_values=None, **kwargs):
        """As a transformers LVLM's generate: the returned ids begin with the prompt's."""
        embeds = self.input_embeddings(input_ids, pixel_values)
        new = self.language_model.generate(inputs_embeds=embeds, attention_mask=attention_mask, **kwargs)
        return torch.cat([input_ids, new], dim=1)

    @classmethod
    def from_pretrained(cls, directory: str | Path, dtype: torch.dtype = torch.float32) -> tuple["MiniLVLM",
                                                                                                "MiniLVLMProcessor"]:
        """(model, processor) from a model directory written by lvlm_train.py."""
        from safetensors.torch import load_file
        from transformers import AutoModelForCausalLM

        directory = Path(directory)
        config = json.loads((directory / CONFIG_FILE).read_text())
        processor = MiniLVLMProcessor.from_config(config)
        language_model = AutoModelForCausalLM.from_pretrained(config["language_model"], dtype=dtype)
        model = build(config, language_model, processor.image_token_id)
        missing, unexpected = model.load_state_dict(load_file(directory / WEIGHTS_FILE), strict=False)
        missing = [k for k in missing if not k.startswith("language_model.")]
        if missing or unexpected:
            raise ValueError(f"{directory / WEIGHTS_FILE}: weights do not fit {CONFIG_FILE} "
                             f"(missing {missing[:3]}, unexpected {unexpected[:3]})")
        return model.eval(), processor


def build(config: dict, language_model, image_token_id: int) -> MiniLVLM:
    """A MiniLVLM from its config, with a fresh CLIP image tower and projector (weights loaded after)."""
    import open_clip

    clip = open_clip.CLIP(**config["clip"]["model_cfg"])
    projector = Projector(config["clip"]["model_cfg"]["embed_dim"], config["projector_hidden"],
                          config["image_tokens"], language_model.config.hidden_size)
    model = MiniLVLM(clip.visual, projector, language_model, image_token_id)
    model.visual.requires_grad_(False)
    model.language_model.requires_grad_(False)
    return model


class MiniLVLMProcessor:
    """Chat rendering, tokenization and image preprocessing for the mini LVLM, with the call shapes of
    a transformers processor that the hf backend uses."""

    def __init__(self, tokenizer, transform, image_tokens: int):
        self.tokenizer, self.transform, self.image_tokens = tokenizer, transform, image_tokens
        tokenizer.add_tokens([IMAGE_TOKEN], special_tokens=True)
        self.image_token_id = tokenizer.convert_tokens_to_ids(IMAGE_TOKEN)
        self.chat_template = tokenizer.chat_template

    @classmethod
    def from_config(cls, config: dict) -> "MiniLVLMProcessor":
        from open_clip.transform import PreprocessCfg, image_transform_v2
        from transformers import AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(config["language_model"])
        transform = image_transform_v2(PreprocessCfg(**config["clip"]["preprocess_cfg"]), is_train=False)
        return cls(tokenizer, transform, config["image_tokens"])

    def apply_chat_template(self, conversation: list[dict], add_generation_prompt: bool = True,
                            tokenize: bool = False) -> str:
        """The language model's own chat template over text contents, an image entry written as the
        <image> placeholder (ahead of the text of its message, where it stands among the parts)."""
        if tokenize:
            raise ValueError("MiniLVLMProcessor renders text only; call the processor on the text and images")
        flat = [{"role": m["role"], "content": "".join(IMAGE_TOKEN if p["type"] == "image" else p["text"]
                                                       for p in m["content"])} for m in conversation]
        return self.tokenizer.apply_chat_template(flat, tokenize=False, add_generation_prompt=add_generation_prompt)

    def expand(self, ids: list[int]) -> list[int]:
        """Each placeholder id repeated image_tokens times (the positions the image vectors fill)."""
        out: list[int] = []
        for token in ids:
            out.extend([token] * self.image_tokens if token == self.image_token_id else [token])
        return out

    def pixels(self, images) -> torch.Tensor:
        from PIL import Image

        tensors = []
        for picture in images:
            if isinstance(picture, bytes):
                picture = Image.open(io.BytesIO(picture))
            tensors.append(self.transform(picture.convert("RGB")))
        return torch.stack(tensors)

    def __call__(self, text: list[str], images=None, padding: bool = True, return_tensors: str = "pt",
                 add_special_tokens: bool = True) -> dict:
        """input_ids and attention_mask (padded on the tokenizer's padding side) and pixel_values of
        the images in order of their placeholders across the texts."""
        if isinstance(text, str):
            text = [text]
        rows = [self.expand(self.tokenizer(t, add_special_tokens=add_special_tokens)["input_ids"]) for t in text]
        width = max(map(len, rows))
        pad, left = self.tokenizer.pad_token_id or 0, self.tokenizer.padding_side == "left"
        ids = [([pad] * (width - len(r)) + r) if left else (r + [pad] * (width - len(r))) for r in rows]
        mask = [([0] * (width - len(r)) + [1] * len(r)) if left else ([1] * len(r) + [0] * (width - len(r)))
                for r in rows]
        out = {"input_ids": torch.tensor(ids), "attention_mask": torch.tensor(mask)}
        if images:
            out["pixel_values"] = self.pixels(images)
        return out

    def batch_decode(self, ids, skip_special_tokens: bool = True) -> list[str]:
        return self.tokenizer.batch_decode(ids, skip_special_tokens=skip_special_tokens)
