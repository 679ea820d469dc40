"""Sentence embeddings for the `embedder` role (all-MiniLM-L6-v2 at both scales)."""
from __future__ import annotations

import numpy as np


class Embedder:
    def __init__(self, entry: dict):
        if entry["backend"] != "sentence-transformers":
            raise ValueError(f"the embedder role needs backend sentence-transformers, got {entry['backend']!r}")
        from sentence_transformers import SentenceTransformer

        self.model = SentenceTransformer(entry["model"], device="cpu")
        self.batch_size = int(entry.get("batch_size", 64))

    def embed(self, texts: list[str]) -> np.ndarray:
        """Unit-length float32 vectors, one row per text."""
        return self.model.encode(list(texts), batch_size=self.batch_size, normalize_embeddings=True,
                                 convert_to_numpy=True, show_progress_bar=False).astype(np.float32)
