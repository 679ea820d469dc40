"""Embeddings through the registry and the call cache (the `embedder` role: all-MiniLM-L6-v2).

    vectors = embed(model, ["a text", ...])   # model: a CachedModel (cli.open_model)

Every vector is a cached model call like any other (llm.types.EmbedRequest), so a rerun loads no
model and a shipped cache answers it.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from .llm.types import EmbedRequest, ImagePart


def embed(model, inputs: Sequence[str | ImagePart]) -> np.ndarray:
    """One float32 row per input (texts or images), as the backend gives them (unit length for
    sentence-transformers)."""
    if isinstance(inputs, (str, ImagePart)):
        raise TypeError("embed() takes a sequence of inputs, not a single one")
    rows = model.embed([EmbedRequest(x) for x in inputs])
    return np.asarray(rows, dtype=np.float32).reshape(len(rows), -1)
