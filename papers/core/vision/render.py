"""The mini memes: real HarMeme OCR text drawn over synthetic pictures, with a label rule that needs both.

    python -m papers.core.vision.prepare ... --render      # the memes rule at mini scale (prepare.py)

No meme image of HarMeme may be redistributed, and no wheel ships any, so at mini scale every meme's
picture is made here. The text is the meme's real OCR text; the picture is synthetic, composed from
the vendored Noto Color Emoji pictograms (data/memes/pictograms/, OFL), and the meme's label is a
documented function of both. The generator, per meme (its own random stream, seeded from the config
seed, the dataset and the meme id, so a meme's picture does not depend on which other memes are drawn):

1. text_label: 1 if the real HarMeme severity is "very" or "somewhat harmful", else 0.
2. picture_group, drawn given text_label (GROUP_GIVEN_TEXT): hostile (weapons, explosions, death,
   rage) with probability 0.25 whatever the text; otherwise a joke picture (clowns, laughing faces)
   is likelier over harmful text (0.45 against 0.15) and a benign one (animals, food, flowers) over
   harmless text (0.30 against 0.60). So the picture also hints at the text, as a real meme's does.
3. the pictograms: one or two (even odds). A hostile picture holds exactly one hostile pictogram,
   beside one of any other group or alone; a joke picture a joke pictogram, beside a joke or benign
   one or alone; a benign picture only benign ones. Left-right order, background colour and the text
   band's place (top or bottom) are drawn uniformly; none of them carries label information.
4. picture_label = 1 if the picture is hostile; label = text_label OR picture_label ("a hostile picture
   makes a harmless text harmful").
5. the image: SIZE x SIZE PNG, the background colour, the pictograms at PICTO px, the OCR text in a
   white band (Pillow's bundled font, so the bytes are the same on every machine with this Pillow).
6. caption: the pictograms in words, "a bomb and a cat" (what the mini CLIP is trained on; the OCR
   text is not in it). The background colour is left out: a CLIP told the colour learned the colour
   (0.97 zero-shot) and hardly the pictograms (0.19), which are what the label depends on; without it,
   0.64 (2026-12-02, 250 steps).

So text alone cannot always give the label (a harmless text under a hostile picture is harmful) and
the picture alone cannot either (under a non-hostile picture the label is the text's). With the text
missing, the best any model can do is predict from the picture group: P(label = 1 | group) follows from
GROUP_GIVEN_TEXT and the rate of harmful text (`picture_posterior`); `text_missing_ceiling` is the
accuracy of that Bayes-optimal rule on a table, the ceiling paper 9's "text missing" results stand
next to. Each table keeps the generator's ground truth as columns (GENERATOR_COLUMNS).
"""
from __future__ import annotations

import csv
import io
import random
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..io import InputError, read_text

GROUPS = ("hostile", "joke", "benign")
GROUP_GIVEN_TEXT = {  # P(picture group | text_label)
    1: {"hostile": 0.25, "joke": 0.45, "benign": 0.30},
    0: {"hostile": 0.25, "joke": 0.15, "benign": 0.60},
}
SECOND_PICTOGRAM = 0.5  # the chance a picture holds two pictograms rather than one
SECOND_FROM = {"hostile": ("joke", "benign"), "joke": ("joke", "benign"), "benign": ("benign",)}
BACKGROUNDS = {"red": (200, 60, 60), "blue": (60, 90, 200), "green": (60, 160, 80),
               "yellow": (220, 200, 70), "purple": (140, 70, 170), "grey": (128, 128, 128)}
SIZE = 96         # pixels per side of a mini meme
PICTO = 32        # pixels per side of a pictogram (the vendored size)
BAND = 30         # height of the text band: three lines of FONT_SIZE
FONT_SIZE = 9
GENERATOR_COLUMNS = ("text_label", "text_severity", "picture", "picture_group", "picture_label", "caption",
                     "background", "layout")


@dataclass(frozen=True)
class Pictogram:
    name: str
    group: str
    png: bytes


def load_pictograms(folder: str | Path) -> dict[str, list[Pictogram]]:
    """The vendored pictograms by group (pictograms.csv: name, group, file, ...), in file order."""
    from PIL import Image

    folder = Path(folder)
    index = folder / "pictograms.csv"
    rows = list(csv.DictReader(io.StringIO(read_text(index))))
    by_group: dict[str, list[Pictogram]] = {g: [] for g in GROUPS}
    for row_no, row in enumerate(rows, start=1):
        if row.get("group") not in by_group:
            raise InputError(index, f"group {row.get('group')!r} is not one of {GROUPS}", row=row_no, field="group")
        path = folder / row["file"]
        try:
            data = path.read_bytes()
            with Image.open(io.BytesIO(data)) as picture:
                picture.load()
        except OSError as err:
            raise InputError(index, f"pictogram {path}: {err}", row=row_no, field="file") from None
        by_group[row["group"]].append(Pictogram(row["name"], row["group"], data))
    empty = [g for g, items in by_group.items() if not items]
    if empty:
        raise InputError(index, f"no pictogram of group(s) {', '.join(empty)}")
    return by_group


def article(name: str) -> str:
    return ("an " if name[0] in "aeiou" else "a ") + name


def design(meme_id: str, dataset: str, text_label: int, pictograms: dict[str, list[Pictogram]],
           seed: int) -> dict:
    """What a meme's picture shows and its label (steps 2-4 and 6 of the module docstring)."""
    if text_label not in (0, 1):
        raise ValueError(f"text_label must be 0 or 1, got {text_label!r}")
    rng = random.Random(f"{seed}:{dataset}:{meme_id}")  # a string seed is hashed the same on every run
    weights = GROUP_GIVEN_TEXT[text_label]
    group = rng.choices(GROUPS, weights=[weights[g] for g in GROUPS])[0]
    chosen = [rng.choice(pictograms[group])]
    if rng.random() < SECOND_PICTOGRAM:
        chosen.append(rng.choice([p for g in SECOND_FROM[group] for p in pictograms[g] if p != chosen[0]]))
        rng.shuffle(chosen)
    background = rng.choice(sorted(BACKGROUNDS))
    layout = rng.choice(("top", "bottom"))
    picture_label = int(group == "hostile")
    names = [p.name for p in chosen]
    return {"text_label": text_label, "picture": "+".join(names), "picture_group": group,
            "picture_label": picture_label, "label": int(text_label or picture_label),
            "caption": " and ".join(article(n) for n in names),
            "background": background, "layout": layout, "_pictograms": chosen}


def _wrap(text: str, font, width: int, lines: int) -> list[str]:
    words, out, line = text.split(), [], ""
    for word in words:
        trial = f"{line} {word}".strip()
        if font.getlength(trial) <= width:
            line = trial
            continue
        if line:
            out.append(line)
        line = word
        while font.getlength(line) > width:  # a word wider than the band is cut
            line = line[:-1]
        if len(out) == lines:
            break
    if line and len(out) < lines:
        out.append(line)
    return out[:lines]


def draw(picture: dict, text: str) -> bytes:
    """The meme as PNG bytes (step 5): background, pictograms, the OCR text in its band."""
    from PIL import Image, ImageDraw, ImageFont

    canvas = Image.new("RGB", (SIZE, SIZE), BACKGROUNDS[picture["background"]])
    band_top = 0 if picture["layout"] == "top" else SIZE - BAND
    area_top = BAND if picture["layout"] == "top" else 0
    slots = [(SIZE - PICTO) // 2] if len(picture["_pictograms"]) == 1 else [SIZE // 4 - PICTO // 2 + 2,
                                                                           3 * SIZE // 4 - PICTO // 2 - 2]
    y = area_top + (SIZE - BAND - PICTO) // 2
    for x, pictogram in zip(slots, picture["_pictograms"]):
        with Image.open(io.BytesIO(pictogram.png)) as icon:
            icon = icon.convert("RGBA")
            canvas.paste(icon, (x, y), icon)
    pen = ImageDraw.Draw(canvas)
    pen.rectangle((0, band_top, SIZE - 1, band_top + BAND - 1), fill=(255, 255, 255))
    font = ImageFont.load_default(size=FONT_SIZE)  # ships with Pillow: no system font is read
    for i, line in enumerate(_wrap(text, font, SIZE - 4, BAND // (FONT_SIZE + 1))):
        pen.text((2, band_top + 1 + i * (FONT_SIZE + 1)), line, fill=(0, 0, 0), font=font)
    out = io.BytesIO()
    canvas.save(out, "PNG")  # Pillow writes no timestamp: the same picture is the same bytes
    return out.getvalue()


def render_memes(annotations: pd.DataFrame, pictograms: dict[str, list[Pictogram]], images: str | Path,
                 seed: int) -> pd.DataFrame:
    """Draw every meme of `annotations` (a memes.read_harmeme table: its label is the text's) into
    the folder `images` as <id>.png; return the mini meme table (memes.COLUMNS + GENERATOR_COLUMNS)."""
    if not isinstance(annotations, pd.DataFrame):
        raise TypeError(f"annotations must be a pandas DataFrame, got {type(annotations).__name__}")
    if not isinstance(seed, int):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    images = Path(images)
    rows = []
    for meme in annotations.itertuples(index=False):
        picture = design(meme.id, meme.dataset, int(meme.label), pictograms, seed)
        path = images / f"{meme.id}.png"
        path.write_bytes(draw(picture, meme.text))
        label_name = meme.label_name if meme.label else ("harmful by picture" if picture["label"] else meme.label_name)
        rows.append({"id": meme.id, "dataset": meme.dataset, "split": meme.split, "text": meme.text,
                     "image": str(path), "label": picture["label"], "label_name": label_name,
                     "text_severity": meme.label_name,
                     **{k: v for k, v in picture.items() if k in GENERATOR_COLUMNS}})
    from .memes import COLUMNS

    return pd.DataFrame(rows, columns=[*COLUMNS, *GENERATOR_COLUMNS])


def picture_posterior(group: str, prior: float) -> float:
    """P(label = 1 | picture group) under the generator, when a share `prior` of texts is harmful."""
    if group not in GROUPS:
        raise ValueError(f"group must be one of {GROUPS}, got {group!r}")
    if not isinstance(prior, (int, float)) or not 0 <= prior <= 1:
        raise ValueError(f"prior must be a number in [0, 1], got {prior!r}")
    if group == "hostile":
        return 1.0
    harmful, harmless = prior * GROUP_GIVEN_TEXT[1][group], (1 - prior) * GROUP_GIVEN_TEXT[0][group]
    return harmful / (harmful + harmless)


def expected_text_missing_ceiling(prior: float) -> float:
    """The Bayes-optimal accuracy from the picture alone over the generator's population."""
    total = 0.0
    for group in GROUPS:
        p_group = prior * GROUP_GIVEN_TEXT[1][group] + (1 - prior) * GROUP_GIVEN_TEXT[0][group]
        posterior = picture_posterior(group, prior)
        total += p_group * max(posterior, 1 - posterior)
    return total


def text_missing_ceiling(memes: pd.DataFrame, prior: float | None = None) -> float:
    """The accuracy on `memes` (a mini meme table) of the Bayes-optimal prediction from the picture
    alone: label 1 where P(label = 1 | picture group) >= 0.5. `prior` is the share of harmful texts
    the rule assumes; by default the table's own."""
    if not isinstance(memes, pd.DataFrame):
        raise TypeError(f"memes must be a pandas DataFrame, got {type(memes).__name__}")
    missing = {"picture_group", "text_label", "label"} - set(memes.columns)
    if missing:
        raise ValueError(f"not a rendered mini meme table: no column(s) {', '.join(sorted(missing))}")
    if memes.empty:
        raise ValueError("the meme table is empty")
    prior = float(memes["text_label"].mean()) if prior is None else prior
    predicted = memes["picture_group"].map(lambda g: int(picture_posterior(g, prior) >= 0.5))
    return float((predicted == memes["label"]).mean())
