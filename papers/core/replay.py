"""The replay bundle: what a run in replay mode (config `replay`, README: Replay) needs from a run that
computed everything, and its restoring into a fresh working folder.

    python -m papers.core.replay bundle RUN_DIR BUNDLE     # RUN_DIR: the working folder of a finished run
    python -m papers.core.replay restore BUNDLE WORK_DIR   # then: snakemake ... --config replay=True

A bundle is a folder: `files/` holds, at their paths relative to the working folder, the call cache
(a consistent copy made by SQLite's backup, whatever its WAL holds) and every model trained in the DAG
(each directory under results/ with a training record: LoRA and DPO adapters, the mini CLIP, the mini
LVLM; the training rules write nothing else). A model call cannot answer for those: training is not a
call, and their weights are in the cache keys by sha256. `manifest.json` lists each file's sha256 and
size; restore checks every file against it before copying anything, and never overwrites a file that
differs.
"""
from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path
from urllib.parse import quote

from .io import UserError, atomic_dir, atomic_path
from .llm.base import TRAINING_RECORD
from .report.manifest import sha256

DEFAULT_CACHE = "results/cache/llm_calls.sqlite"  # config `cache` of both scales
MANIFEST = "manifest.json"
FILES = "files"
FORMAT = 1


class BundleError(UserError, ValueError):
    """A run that cannot be bundled or a bundle that cannot be restored; the message names the file."""


def trained_models(run_dir: Path) -> list[str]:
    """Every directory under run_dir/results/ holding a training record, relative to run_dir, sorted;
    hidden folders (a crashed step's staging) left out."""
    found = []
    for record in (run_dir / "results").rglob(TRAINING_RECORD):
        rel = record.parent.relative_to(run_dir)
        if not any(part.startswith(".") for part in rel.parts):
            found.append(rel.as_posix())
    return sorted(found)


def copy_cache(source: Path, target: Path) -> None:
    """A consistent copy of a call cache, committed WAL pages included (SQLite's online backup)."""
    src = sqlite3.connect(f"file:{quote(str(source.resolve()))}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
    except sqlite3.DatabaseError as err:
        raise BundleError(f"{source}: cannot copy the call cache ({err})") from None
    finally:
        dst.close()
        src.close()


def bundle(run_dir: Path, out: Path, cache: str = DEFAULT_CACHE) -> dict:
    """Write the bundle of run_dir's cache and trained models to `out` (a new folder); its manifest."""
    if not (run_dir / cache).is_file():
        raise BundleError(f"{run_dir / cache}: no call cache; bundle the working folder of a finished run")
    if out.exists():
        raise BundleError(f"{out}: already exists; a bundle is written to a new folder")
    with atomic_dir(out) as staged:  # a bundle is whole or absent
        (staged / FILES / cache).parent.mkdir(parents=True)
        copy_cache(run_dir / cache, staged / FILES / cache)
        models = trained_models(run_dir)
        for model in models:
            shutil.copytree(run_dir / model, staged / FILES / model)
        files = sorted(p for p in (staged / FILES).rglob("*") if p.is_file())
        manifest = {"format": FORMAT, "cache": cache, "trained_models": models,
                    "files": {p.relative_to(staged / FILES).as_posix(): {"sha256": sha256(p), "bytes": p.stat().st_size}
                              for p in files}}
        (staged / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return manifest


def read_manifest(bundle_dir: Path) -> dict:
    path = bundle_dir / MANIFEST
    try:
        manifest = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as err:
        raise BundleError(f"{path}: not a bundle manifest ({err})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT or not isinstance(manifest.get("files"), dict):
        raise BundleError(f"{path}: not a format-{FORMAT} bundle manifest (fields format, files)")
    return manifest


def restore(bundle_dir: Path, work_dir: Path) -> dict:
    """Copy the bundle's files into work_dir at their paths, each checked against the manifest first;
    a file already there is kept when it is the same, and an error when it differs."""
    manifest = read_manifest(bundle_dir)
    todo = []
    for rel, entry in sorted(manifest["files"].items()):
        source, target = bundle_dir / FILES / rel, work_dir / rel
        if Path(rel).is_absolute() or ".." in Path(rel).parts:
            raise BundleError(f"{bundle_dir / MANIFEST}: file {rel!r}: a path outside the working folder")
        if not source.is_file():
            raise BundleError(f"{source}: listed in {bundle_dir / MANIFEST} but missing")
        if sha256(source) != entry.get("sha256"):
            raise BundleError(f"{source}: sha256 differs from {bundle_dir / MANIFEST}; the bundle is damaged")
        if target.exists():
            if not target.is_file() or sha256(target) != entry["sha256"]:
                raise BundleError(f"{target}: already there and not the bundle's; restore into a fresh folder")
            continue
        todo.append((source, target))
    for source, target in todo:
        with atomic_path(target) as partial:
            shutil.copyfile(source, partial)
    return manifest


def main(argv=None) -> None:
    from .cli import parser, setup_logging

    p = parser(__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    b = sub.add_parser("bundle", help="collect a finished run's call cache and trained models")
    b.add_argument("run_dir", type=Path, help="the working folder of a finished run")
    b.add_argument("out", type=Path, help="the bundle folder to write (must not exist)")
    b.add_argument("--cache", default=DEFAULT_CACHE, help="the call cache, relative to run_dir (config `cache`)")
    r = sub.add_parser("restore", help="copy a bundle into a fresh working folder")
    r.add_argument("bundle", type=Path)
    r.add_argument("work_dir", type=Path)
    a = p.parse_args(argv)
    log = setup_logging()
    if a.command == "bundle":
        manifest = bundle(a.run_dir, a.out, a.cache)
        log.info("%s: the call cache and %d trained model(s), %d files", a.out, len(manifest["trained_models"]),
                 len(manifest["files"]))
    else:
        manifest = restore(a.bundle, a.work_dir)
        log.info("%s: restored %d files; now run with --config replay=True", a.work_dir, len(manifest["files"]))


if __name__ == "__main__":
    from .cli import run

    run(main)
