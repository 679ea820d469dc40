"""The memes rule's step: one dataset's meme table and its images folder.

    python -m papers.core.vision.prepare --dataset harm_c --format harmeme \
        --annotations train=Harm-C_train.jsonl val=Harm-C_val.jsonl test=Harm-C_test.jsonl \
        (--images DIR | --render PICTOGRAM_DIR --seed 42) \
        --out-table results/vision/memes/harm_c/memes.parquet --out-images results/vision/memes/harm_c/images

With --images (paper scale) the real images are read from DIR, each decoded (a missing or broken
image stops the step, naming the meme and the path) and linked into --out-images. With --render (mini
scale) each meme's picture is drawn by render.py from the vendored pictograms and its real text.
Either way the table's `image` column points into --out-images, so later steps read one place.
"""
from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from ..io import InputError, atomic_dir, write_parquet
from .memes import SPLITS, check_images, read_fhm, read_harmeme, read_mami, read_mmsd2, read_multioff, validate
from .render import load_pictograms, render_memes

READERS = {"harmeme": read_harmeme, "fhm": read_fhm, "multioff": read_multioff, "mami": read_mami,
           "mmsd2": read_mmsd2}


def read_annotations(fmt: str, annotations: dict[str, str], images: str | Path, dataset: str,
                     skip_unlabelled: bool = False) -> pd.DataFrame:
    """Every split's annotations of one dataset as one meme table (splits in SPLITS order)."""
    if fmt not in READERS:
        raise ValueError(f"unknown meme format {fmt!r}; known: {', '.join(READERS)}")
    unknown = sorted(set(annotations) - set(SPLITS))
    if unknown:
        raise ValueError(f"unknown split(s) {', '.join(unknown)}; known: {', '.join(SPLITS)}")
    extra = {"skip_unlabelled": skip_unlabelled} if fmt == "harmeme" else {}
    frames = [READERS[fmt](annotations[s], images, dataset, s, **extra) for s in SPLITS if s in annotations]
    memes = pd.concat(frames, ignore_index=True)
    twice = memes["id"].duplicated()
    if twice.any():
        meme = memes[twice].iloc[0]
        raise InputError(annotations[meme["split"]], f"meme id {meme['id']!r} is also in another split", field="id")
    return memes


def link_images(memes: pd.DataFrame, folder: Path) -> list[str]:
    """Link each meme's (checked) image into `folder` under its file name; the new paths."""
    names = memes["image"].map(lambda p: Path(p).name)
    if names.duplicated().any():
        clash = names[names.duplicated()].iloc[0]
        raise ValueError(f"two memes' images share the file name {clash!r}; cannot gather them in one folder")
    for source, name in zip(memes["image"], names):
        os.symlink(Path(source).resolve(), folder / name)
    return list(names)


def prepare(dataset: str, fmt: str, annotations: dict[str, str], out_table: str | Path, out_images: str | Path,
            images: str | Path | None = None, pictograms: str | Path | None = None, seed: int | None = None,
            skip_unlabelled: bool = False) -> pd.DataFrame:
    """Write the meme table and its images folder (the folder written under a temporary name and
    renamed, so a crash leaves no half-filled folder); return the table."""
    if (images is None) == (pictograms is None):
        raise ValueError("give either images (real images) or pictograms (render the memes), not both or neither")
    out_images = Path(out_images)
    memes = read_annotations(fmt, annotations, images or out_images, dataset, skip_unlabelled)
    with atomic_dir(out_images) as tmp:
        if images is not None:
            check_images(memes)
            names = link_images(memes, tmp)
        else:
            if not isinstance(seed, int):
                raise TypeError(f"rendering needs an int seed, got {seed!r}")
            memes = render_memes(memes, load_pictograms(pictograms), tmp, seed)
            names = [Path(p).name for p in memes["image"]]
        memes["image"] = [str(out_images / name) for name in names]
        validate(memes, out_table)
    write_parquet(out_table, memes)
    return memes


def _split_paths(items: list[str]) -> dict[str, str]:
    pairs = dict(item.split("=", 1) for item in items if "=" in item)
    if len(pairs) != len(items):
        raise SystemExit(f"--annotations takes SPLIT=PATH items, got {items}")
    return pairs


def main(argv=None) -> None:
    from ..cli import parser

    p = parser(__doc__)
    p.add_argument("--dataset", required=True)
    p.add_argument("--format", required=True, choices=sorted(READERS))
    p.add_argument("--annotations", required=True, nargs="+", metavar="SPLIT=PATH")
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--images", help="the folder of the real images (paper scale)")
    source.add_argument("--render", metavar="PICTOGRAMS", help="render the memes from these pictograms (mini)")
    p.add_argument("--seed", type=int)
    p.add_argument("--skip-unlabelled", action="store_true", help="drop HarMeme memes with an empty severity")
    p.add_argument("--out-table", required=True)
    p.add_argument("--out-images", required=True)
    a = p.parse_args(argv)
    memes = prepare(a.dataset, a.format, _split_paths(a.annotations), a.out_table, a.out_images, images=a.images,
                    pictograms=a.render, seed=a.seed, skip_unlabelled=a.skip_unlabelled)
    counts = memes.groupby("split")["label"].agg(["count", "mean"]).round(3)
    print(f"{a.out_table}: {len(memes)} memes of {a.dataset}\n{counts}")


if __name__ == "__main__":
    from papers.core.cli import run

    run(main)
