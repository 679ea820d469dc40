"""The `sentence-transformers` backend: text embeddings (all-MiniLM-L6-v2 at both scales).

embed(requests) gives one unit-length vector per text, computed in float32 on the CPU (a small model:
the same numbers on every machine) and returned as plain floats, so the call cache stores them exactly.
"""
from __future__ import annotations

from typing import Sequence

from .base import Backend, ModelSpec
from .types import EmbedRequest


class SentenceTransformersBackend(Backend):
    def __init__(self, spec: ModelSpec):
        super().__init__(spec)
        from sentence_transformers import SentenceTransformer

        if spec.adapter or spec.adapters:
            raise ValueError(f"model {spec.model!r}: the sentence-transformers backend takes no adapters")
        self.model = SentenceTransformer(spec.model, device="cpu")  # cheap; the same numbers everywhere

    def embed(self, requests: Sequence[EmbedRequest]) -> list[list[float]]:
        texts = []
        for r in requests:
            if not isinstance(r.input, str):
                raise ValueError(f"model {self.spec.model!r} embeds text only, not images")
            texts.append(r.input)
        vectors = self.model.encode(texts, batch_size=self.spec.batch_size, normalize_embeddings=True,
                                    convert_to_numpy=True, show_progress_bar=False)
        return [[float(x) for x in row.astype("float32")] for row in vectors]
