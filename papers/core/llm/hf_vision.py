"""Vision-language models (LVLMs) on the `hf` backend: generate and score options for chats with images.

Which models: any whose registry `model` is a transformers LVLM (its config has a vision_config: the
LLaVA-1.5, InstructBLIP and Qwen2-VL families, loaded by AutoProcessor + AutoModelForImageTextToText
at the entry's revision), or a mini LVLM directory trained in the DAG (vision/mini_lvlm.py, which
mirrors the processor and model calls used here). hf.load_hf picks this class for them.

- The chat goes to the processor's chat template as transformers' multimodal messages: every content a
  list of {"type": "image"} and {"type": "text", "text": ...} entries in the order of the parts; the
  images go to the processor in the order they appear. A processor without a template (InstructBLIP)
  gets the plain transcript (chat.render_plain) of the text, and the images beside it: its processor
  puts the image (query) tokens in front of the text itself.
- generate: batches padded on the left, greedy or sampled with one generator per row (hf.PerRowSampler).
- score: each option's ids (tokenized on their own, as on every backend) are appended to the prompt's
  ids. Options that are one token each (Yes / No) are read from the prompt's last logits; otherwise
  the K sequences run in one batch with the image inputs repeated: the KV-cache sharing of the text
  path is not used, since where image tokens sit and how positions continue (Qwen2-VL's rope deltas)
  differ between architectures.
- adapters: as on the text path (hf.HFBackend), loaded onto the whole model with peft.
"""
from __future__ import annotations

from typing import Sequence
import torch

from .base import ModelSpec
from .chat import PromptTooLong, conversation, images_of, render_plain, uses_plain
from .hf import OPTION_CHUNK, HFBackend, _batches, hub_revision
from .types import Chat, ScoreRequest


def is_vision_model(spec: ModelSpec) -> bool:
    """A mini LVLM directory, or a transformers model whose config has a vision tower."""
    from papers.core.vision.mini_lvlm import is_mini_lvlm

    if is_mini_lvlm(spec.model):
        return True
    from transformers import AutoConfig

    config = AutoConfig.from_pretrained(spec.model, revision=hub_revision(spec))
    return getattr(config, "vision_config", None) is not None


class HFVisionBackend(HFBackend):
    def __init__(self, spec: ModelSpec):
        self.spec = spec
        self.processor = None
        self.model = self._load(spec.dtype)
        self.tokenizer = self.processor.tokenizer
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        text_config = getattr(self.model.config, "text_config", self.model.config)
        self.context_length = getattr(text_config, "max_position_embeddings", None)
        self._generator = None
        self.plain = uses_plain(self.processor, spec.chat_template)

    def _load(self, dtype: str):
        from papers.core.vision.mini_lvlm import MiniLVLM, is_mini_lvlm

        if is_mini_lvlm(self.spec.model):
            model, processor = MiniLVLM.from_pretrained(self.spec.model, dtype=getattr(torch, dtype))
        else:
            from transformers import AutoModelForImageTextToText, AutoProcessor

            revision = hub_revision(self.spec)
            processor = AutoProcessor.from_pretrained(self.spec.model, revision=revision)
            model = AutoModelForImageTextToText.from_pretrained(self.spec.model, revision=revision,
                                                                dtype=getattr(torch, dtype))
            if torch.cuda.is_available():
                model = model.to("cuda")
        self.processor = self.processor or processor
        return self._with_adapters(model).eval()

    # -- prompts -----------------------------------------------------------------------------------
    def prompt_text(self, messages: Chat) -> str:
        if self.plain:
            return render_plain(tuple((r, c if isinstance(c, str) else "".join(getattr(p, "text", "") for p in c))
                                      for r, c in messages))
        return self.processor.apply_chat_template(conversation(messages), add_generation_prompt=True,
                                                  tokenize=False)

    def inputs(self, chats: Sequence[Chat]) -> dict:
        """The processor's model inputs for a batch of chats (padded on the tokenizer's side)."""
        images = [picture for messages in chats for picture in images_of(messages)]
        inputs = self.processor(text=[self.prompt_text(m) for m in chats], images=images or None,
                                padding=True, return_tensors="pt")
        device = next(self.model.parameters()).device
        return {k: v.to(device) if hasattr(v, "to") else v for k, v in dict(inputs).items()}

    def _check_length(self, length: int, after: int) -> None:
        if self.context_length and length + after > self.context_length:
            raise PromptTooLong(f"model {self.spec.model!r}: a prompt of {length} tokens (+{after} after it, "
                                f"image tokens included) exceeds the model's context of {self.context_length}")

    def batch_inputs(self, chats, max_new_tokens: int) -> dict:
        """The processor's inputs for a batch of prompts, padded on the left (generation)."""
        self.tokenizer.padding_side = "left"
        inputs = self.inputs(chats)
        self._check_length(inputs["input_ids"].shape[1], max_new_tokens)
        return inputs

    @torch.inference_mode()
    def score_one(self, request: ScoreRequest) -> list[float]:
        options = self.encode_options(request.options)
        inputs = self.inputs([request.messages])
        prompt = inputs.pop("input_ids")[0]
        inputs.pop("attention_mask")
        self._check_length(len(prompt), max(map(len, options)))
        if all(len(o) == 1 for o in options):  # Yes / No: the prompt's last logits are the answer
            logits = self.model(input_ids=prompt[None], attention_mask=torch.ones_like(prompt)[None], **inputs).logits
            first = torch.log_softmax(logits[0, -1].float(), dim=-1)
            return first[[o[0] for o in options]].double().tolist()
        scores: list[float] = []
        p = len(prompt)
        for chunk in _batches(options, OPTION_CHUNK):
            ids, mask = self._pad_right([prompt.tolist() + o for o in chunk])
            ids, mask = ids.to(prompt.device), mask.to(prompt.device)
            repeated = {k: torch.cat([v] * len(chunk)) if isinstance(v, torch.Tensor) else v for k, v in inputs.items()}
            logits = self.model(input_ids=ids, attention_mask=mask, **repeated).logits
            opt_ids, opt_mask = ids[:, p:], mask[:, p:]
            first = torch.log_softmax(logits[:, p - 1].float(), -1).gather(1, opt_ids[:, :1])[:, 0]
            scores += self._sum_logprobs(first, logits[:, p:-1], opt_ids, opt_mask)
        return scores

    def score_naive(self, request: ScoreRequest) -> list[float]:
        raise NotImplementedError("an LVLM scores every option as a full sequence already (score)")
