"""The `hf-classifier` backend: a transformers sequence classifier (an MNLI model at paper scale).

classify(requests) gives, per request, the log-probability of each label it names: the log-softmax of
the model's logits over all its labels, read out by name from the model's config (`id2label`, matched
without case, so "entailment" finds DeBERTa-MNLI's "ENTAILMENT"). Labels are matched by name, never by
position: MNLI checkpoints disagree on the order of their three labels, and a classifier read by
position would swap entailment and contradiction without an error.

Requests are batched with right padding; a text pair is encoded as the model was trained, premise then
hypothesis. An input longer than the entry's `options.max_length` (default: the tokenizer's or the
model's limit) is an error that quotes its beginning, never silently truncated, as with every backend:
a truncated premise could lose the very words that entail or contradict. Runs on the GPU when there is one.
"""
from __future__ import annotations

from typing import Sequence

import torch

from .base import Backend, ModelConfigError, ModelSpec
from .chat import PromptTooLong
from .hf import hub_revision
from .types import ClassifyRequest


class SequenceClassifierBackend(Backend):
    def __init__(self, spec: ModelSpec):
        super().__init__(spec)
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        if spec.adapter or spec.adapters:
            raise ModelConfigError(f"model {spec.model!r}: the hf-classifier backend takes no adapters")
        revision = hub_revision(spec)
        self.tokenizer = AutoTokenizer.from_pretrained(spec.model, revision=revision)
        self.model = AutoModelForSequenceClassification.from_pretrained(
            spec.model, revision=revision, dtype=getattr(torch, spec.dtype)).eval()
        if torch.cuda.is_available():
            self.model = self.model.to("cuda")
        max_length = spec.options.get("max_length")
        if max_length is not None and (isinstance(max_length, bool) or not isinstance(max_length, int) or max_length < 2):
            raise ModelConfigError(f"model {spec.model!r}: options.max_length must be an int >= 2 (tokens), "
                                   f"got {max_length!r}")
        self.max_length = max_length or self._model_max_length()
        self.label_index = {str(name).lower(): int(i) for i, name in self.model.config.id2label.items()}

    def _model_max_length(self) -> int:
        """The tokenizer's limit, or the model's positions where the tokenizer states none (a tokenizer
        saved without one reports a huge sentinel, which the fast tokenizer cannot truncate to)."""
        positions = getattr(self.model.config, "max_position_embeddings", None)
        limit = self.tokenizer.model_max_length
        return min(limit, positions) if positions else limit

    def _indices(self, labels: tuple[str, ...]) -> list[int]:
        missing = [label for label in labels if label.lower() not in self.label_index]
        if missing:
            raise ModelConfigError(
                f"model {self.spec.model!r} has no label(s) {', '.join(map(repr, missing))}; its labels are "
                f"{', '.join(repr(n) for n in self.model.config.id2label.values())}")
        return [self.label_index[label.lower()] for label in labels]

    def classify(self, requests: Sequence[ClassifyRequest]) -> list[list[float]]:
        for r in requests:
            if r.adapter:
                raise ModelConfigError(f"model {self.spec.model!r}: the hf-classifier backend takes no adapters")
        pairs = [r.text_pair for r in requests]
        if any(pairs) and not all(pairs):
            # One batch is encoded one way; the cache batches whatever it is given, so keep it simple.
            return [row for r in requests for row in self.classify([r])]
        encoded = self.tokenizer([r.text for r in requests], pairs if all(pairs) else None, padding=True,
                                 return_tensors="pt")
        lengths = encoded["attention_mask"].sum(dim=1).tolist()
        for r, length in zip(requests, lengths):
            if length > self.max_length:
                raise PromptTooLong(f"model {self.spec.model!r}: an input of {length} tokens exceeds its limit of "
                                    f"{self.max_length} (options.max_length); it begins {r.text[:80]!r}")
        device = next(self.model.parameters()).device
        with torch.inference_mode():
            logits = self.model(**{k: v.to(device) for k, v in encoded.items()}).logits
        log_probs = torch.log_softmax(logits.float(), dim=-1).cpu()
        return [[float(log_probs[row, j]) for j in self._indices(r.labels)] for row, r in enumerate(requests)]
