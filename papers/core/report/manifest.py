"""The provenance manifest of a paper's outputs: what went in, with which code, config and seeds,
and the sha256 of everything that came out. It holds no timestamps, so it is reproducible too.
A file it should describe that does not exist is an error: a hash must never stand for nothing."""
from __future__ import annotations

import hashlib
import platform
import subprocess
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from ..io import InputError, write_json

PACKAGES = ("torch", "transformers", "peft", "trl", "sentence-transformers", "numpy", "pandas",
            "pyarrow", "matplotlib", "snakemake", "vllm", "openai")


def sha256(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def digest(path: str | Path) -> str:
    """sha256 of a file, or of a directory's files (names and contents, in sorted order)."""
    path = Path(path)
    if not path.exists():  # rglob of a missing folder finds nothing: the empty input's hash
        raise InputError(path, "not found: the manifest hashes only files that exist")
    if path.is_file():
        return sha256(path)
    h = hashlib.sha256()
    for f in sorted(p for p in path.rglob("*") if p.is_file()):
        h.update(str(f.relative_to(path)).encode() + b"\0" + sha256(f).encode())
    return h.hexdigest()


def git_commit(cwd: str | Path = ".") -> dict:
    """The checkout's commit and whether tracked files differ from it; None for both outside a git
    checkout or where git is not installed (the container images have no git: the code is mounted)."""
    def git(*args):
        try:
            return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True).stdout.strip()
        except FileNotFoundError:
            return ""
    commit = git("rev-parse", "HEAD")
    if not commit:
        return {"commit": None, "dirty": None}
    return {"commit": commit, "dirty": bool(git("status", "--porcelain", "--untracked-files=no"))}


def package_versions() -> dict:
    found = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            pass
    return found


def write_manifest(path: str | Path, paper: str, inputs, outputs, config: dict,
                   seeds: dict | None = None) -> dict:
    """Write the manifest JSON for `paper`; inputs and outputs are file or directory paths."""
    manifest = {
        "paper": paper,
        "code": git_commit(),
        "packages": package_versions(),
        "config": config,
        "seeds": seeds or {},
        "inputs": {str(p): digest(p) for p in sorted(map(str, inputs))},
        "outputs": {str(p): digest(p) for p in sorted(map(str, outputs))},
    }
    write_json(path, manifest)
    return manifest


def main(argv=None) -> None:
    import argparse
    import json

    p = argparse.ArgumentParser(description="Write a paper's provenance manifest.")
    p.add_argument("--paper", required=True)
    p.add_argument("--config", required=True, help="the config sections used, as JSON")
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--inputs", nargs="*", default=[])
    p.add_argument("--outputs", nargs="+", required=True)
    p.add_argument("--out", required=True)
    args = p.parse_args(argv)
    write_manifest(args.out, args.paper, args.inputs, args.outputs, json.loads(args.config),
                   {"seed": args.seed})


if __name__ == "__main__":
    from papers.core.cli import run

    run(main)
