"""Render the mini memes' pictograms from Noto Color Emoji into small PNGs under data/memes/pictograms/.

    apt-get install fonts-noto-color-emoji        # Debian bookworm: 2.042-0+deb12u1
    .venv/bin/python scripts/vendor_pictograms.py [--font PATH] [--out data/memes/pictograms]

Run once, by hand, when the list below changes; the DAG reads the vendored PNGs, so running it needs no
font package. Each emoji is drawn at the font's one bitmap size (109 px; Noto Color Emoji is a CBDT
bitmap font), cropped to its drawn pixels, centred on a square transparent canvas and shrunk to
SIZE x SIZE with Lanczos resampling. Writes one PNG per pictogram, `pictograms.csv` (name, group,
emoji, codepoint, file, sha256) and copies the font's OFL licence; PROVENANCE.md says the rest.

Groups (papers/core/vision/render.py decides what they mean for a meme's label):
- hostile: weapons, explosions, death, rage;
- benign: animals, plants, food, weather, toys;
- joke: clowns, laughing faces and other signs of satire; hostile-looking to a careless model, but
  not hostile.
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import io
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

FONT = "/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf"
LICENCE = "/usr/share/doc/fonts-noto-color-emoji/copyright"
BITMAP_SIZE = 109   # the only size NotoColorEmoji.ttf's bitmaps come in
SIZE = 32           # pixels per side: a third of a 96 px meme, enough for a 64 px CLIP to tell apart

# (name, group, emoji): the name is what a caption says ("a bomb and a cat on a red background").
PICTOGRAMS = [
    ("bomb", "hostile", "\U0001F4A3"),
    ("knife", "hostile", "\U0001F52A"),
    ("dagger", "hostile", "\U0001F5E1"),
    ("pair of swords", "hostile", "\u2694"),
    ("skull", "hostile", "\U0001F480"),
    ("skull and crossbones", "hostile", "\u2620"),
    ("fire", "hostile", "\U0001F525"),
    ("explosion", "hostile", "\U0001F4A5"),
    ("angry face", "hostile", "\U0001F621"),
    ("coffin", "hostile", "\u26B0"),
    ("flower", "benign", "\U0001F338"),
    ("cat", "benign", "\U0001F431"),
    ("dog", "benign", "\U0001F436"),
    ("sun", "benign", "\u2600"),
    ("cake", "benign", "\U0001F382"),
    ("tree", "benign", "\U0001F333"),
    ("rainbow", "benign", "\U0001F308"),
    ("balloon", "benign", "\U0001F388"),
    ("apple", "benign", "\U0001F34E"),
    ("teddy bear", "benign", "\U0001F9F8"),
    ("clown", "joke", "\U0001F921"),
    ("laughing face", "joke", "\U0001F602"),
    ("rolling laughing face", "joke", "\U0001F923"),
    ("zany face", "joke", "\U0001F92A"),
    ("pile of poo", "joke", "\U0001F4A9"),
    ("party popper", "joke", "\U0001F389"),
]


def render(font: ImageFont.FreeTypeFont, emoji: str) -> Image.Image:
    """One emoji as an RGBA SIZE x SIZE image, centred, on a transparent background."""
    canvas = Image.new("RGBA", (BITMAP_SIZE * 2, BITMAP_SIZE * 2), (0, 0, 0, 0))
    ImageDraw.Draw(canvas).text((BITMAP_SIZE // 2, BITMAP_SIZE // 2), emoji, font=font, embedded_color=True)
    box = canvas.getbbox()
    if box is None:
        raise ValueError(f"the font draws nothing for {emoji!r} (U+{ord(emoji[0]):04X})")
    glyph = canvas.crop(box)
    side = max(glyph.size)
    square = Image.new("RGBA", (side, side), (0, 0, 0, 0))
    square.paste(glyph, ((side - glyph.width) // 2, (side - glyph.height) // 2))
    return square.resize((SIZE, SIZE), Image.Resampling.LANCZOS)


def file_name(name: str) -> str:
    return name.replace(" ", "_") + ".png"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--font", default=FONT)
    parser.add_argument("--licence", default=LICENCE, help="the font package's copyright file (holds the OFL)")
    parser.add_argument("--out", type=Path, default=Path("data/memes/pictograms"))
    args = parser.parse_args(argv)
    font = ImageFont.truetype(args.font, BITMAP_SIZE)
    args.out.mkdir(parents=True, exist_ok=True)
    rows = []
    for name, group, emoji in PICTOGRAMS:
        buffer = io.BytesIO()
        render(font, emoji).save(buffer, "PNG", optimize=True)
        data = buffer.getvalue()
        (args.out / file_name(name)).write_bytes(data)
        rows.append({"name": name, "group": group, "emoji": emoji,
                     "codepoint": " ".join(f"U+{ord(c):04X}" for c in emoji), "file": file_name(name),
                     "sha256": hashlib.sha256(data).hexdigest()})
    with open(args.out / "pictograms.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    (args.out / "LICENSE").write_text(Path(args.licence).read_text(encoding="utf-8"), encoding="utf-8")
    print(f"wrote {len(rows)} pictograms to {args.out}")


if __name__ == "__main__":
    main()
