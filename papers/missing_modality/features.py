"""Image and text vectors of every meme of one dataset, through the model registry and the call cache.

    python -m papers.missing_modality.features --help

The image encoder embeds the meme's picture (text drawn in, as it is published); the text encoder
embeds its OCR text. They are separate config choices: at paper scale both are CLIP ViT-L/14's
towers; at mini scale the image encoder is the tiny CLIP trained in the DAG and the text encoder
all-MiniLM-L6-v2, because the tiny CLIP's text tower learns picture captions, not meme text (README,
"Reproduction notes"). Each vector is scaled to unit length, so the zero vector that stands in for a
missing text (masking.py) is a point no meme sits at.

Output (Parquet), one row per meme in the order of the memes file: id, image (list of floats),
text (list of floats).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from papers.core.embed import embed
from papers.core.io import InputError
from papers.core.llm.types import image as image_part


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    """Each row divided by its length (a zero row stays zero)."""
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.where(norms > 0, norms, 1.0)).astype(np.float32)


def meme_features(memes: pd.DataFrame, image_model, text_model) -> pd.DataFrame:
    """Unit-length image and text vectors of every meme (a picture that cannot be read stops the step,
    naming the meme and its path)."""
    if not isinstance(memes, pd.DataFrame):
        raise TypeError(f"memes must be a DataFrame, got {type(memes).__name__}")
    pictures = [image_part(path, label=str(meme)) for meme, path in zip(memes["id"], memes["image"])]
    image = unit_rows(embed(image_model, pictures))
    text = unit_rows(embed(text_model, [str(t) for t in memes["text"]]))
    return pd.DataFrame({"id": memes["id"].astype(str).to_numpy(), "image": list(image), "text": list(text)})


def load_features(path, ids: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(image, text) matrices of the memes `ids`, in that order; a meme without vectors is an error."""
    frame = pd.read_parquet(path).set_index("id")
    missing = [m for m in ids if m not in frame.index]
    if missing:
        raise InputError(path, f"{len(missing)} memes have no vectors (first: {missing[0]}); rerun the features step",
                         field="id")
    rows = frame.loc[ids]
    return np.stack(rows["image"].to_numpy()).astype(np.float32), np.stack(rows["text"].to_numpy()).astype(np.float32)


def main(argv=None) -> None:
    from papers.core.cli import open_model, parser, setup_logging
    from papers.core.io import write_parquet
    from papers.core.vision.memes import load_memes

    p = parser(__doc__)
    p.add_argument("--memes", required=True, help="the dataset's memes (the vision core's memes.parquet)")
    p.add_argument("--image-encoder", required=True, metavar="JSON", help="its registry entry as JSON")
    p.add_argument("--text-encoder", required=True, metavar="JSON", help="its registry entry as JSON")
    p.add_argument("--cache", required=True, help="SQLite file of the model-call cache")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--out", required=True)
    a = p.parse_args(argv)
    log = setup_logging()
    memes = load_memes(a.memes)
    image_model = open_model(a.image_encoder, a.cache, a.threads, desc="image vectors")
    text_model = open_model(a.text_encoder, a.cache, a.threads, desc="text vectors")
    features = meme_features(memes, image_model, text_model)
    write_parquet(a.out, features)
    log.info("%d memes: image vectors of %d dimensions, text vectors of %d", len(features),
             len(features["image"].iloc[0]), len(features["text"].iloc[0]))


if __name__ == "__main__":
    from papers.core.cli import run

    run(main)
