"""Per-country hate labels for the mini memes: a documented, seeded generator with known differences.

Multi3Hate has the same memes labelled by annotators of five countries (US, DE, MX, IN, CN). The
mini memes have one label, the vision core's `label` = text_label OR picture_label (render.py). The
countries here differ from it in two known ways, so "which country does a model agree with" has a
right answer to find:

1. Sensitive pictograms (SENSITIVE): a country calls a meme hateful when its picture holds one of
   the pictograms it is sensitive to. The US is sensitive exactly to the renderer's hostile group, so
   its labels are the vision core's labels (the "Western" reference). DE adds mockery (a clown, a pile
   of poo); MX reads death imagery (skulls, a coffin) as festive, not hostile (Dia de Muertos); IN
   reads fire as ritual, not hostile, and adds mockery; CN adds mockery and mocking laughter.
2. Reading of the text (TEXT_FLIP): each country's annotators disagree with the real HarMeme text
   label of a share of memes (US 0: HarMeme's labels are the reference), drawn per country and meme
   from its own random stream (config seed, country, meme id), so a meme's label does not depend on
   which other memes are drawn.

label_<country> = (text_label XOR flip) OR (picture holds a pictogram of SENSITIVE[country]).
"""
from __future__ import annotations

import random

import pandas as pd

HOSTILE = frozenset({"bomb", "knife", "dagger", "pair of swords", "skull", "skull and crossbones", "fire",
                     "explosion", "angry face", "coffin"})  # render.py's hostile pictograms
MOCKERY = frozenset({"clown", "pile of poo"})
DEATH = frozenset({"skull", "skull and crossbones", "coffin"})
SENSITIVE = {
    "US": HOSTILE,
    "DE": HOSTILE | MOCKERY,
    "MX": HOSTILE - DEATH,
    "IN": (HOSTILE - {"fire"}) | MOCKERY,
    "CN": HOSTILE | MOCKERY | {"laughing face", "rolling laughing face"},
}
TEXT_FLIP = {"US": 0.0, "DE": 0.05, "MX": 0.10, "IN": 0.15, "CN": 0.15}
WESTERN = ("US", "DE")  # the countries the paper's "Western norms" finding names


def country_label(meme_id: str, text_label: int, picture: str, country: str, seed: int) -> int:
    """One meme's label by annotators of `country` (the module docstring's rule)."""
    if country not in SENSITIVE:
        raise ValueError(f"unknown country {country!r}; known: {', '.join(SENSITIVE)}")
    if text_label not in (0, 1) or isinstance(text_label, bool):
        raise ValueError(f"text_label must be 0 or 1, got {text_label!r}")
    if not isinstance(picture, str) or not picture:
        raise TypeError(f"picture must be a non-empty str such as 'bomb+cat', got {picture!r}")
    flip = random.Random(f"{seed}:{country}:{meme_id}").random() < TEXT_FLIP[country]
    sensitive = any(name in SENSITIVE[country] for name in picture.split("+"))
    return int(bool(text_label) != flip or sensitive)


def country_labels(memes: pd.DataFrame, countries: list[str], seed: int) -> pd.DataFrame:
    """label_<country> columns for every meme of a rendered meme table (id, text_label, picture)."""
    if not isinstance(memes, pd.DataFrame):
        raise TypeError(f"memes must be a DataFrame, got {type(memes).__name__}")
    return pd.DataFrame({f"label_{c}": [country_label(str(m), int(t), p, c, seed) for m, t, p in
                                        zip(memes["id"], memes["text_label"], memes["picture"])]
                         for c in countries}, index=memes.index)
