"""What every step's command line shares: the model argument, the cache, threads, logging."""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys

from .cache import CachedModel, CallCache
from .llm.base import ModelSpec


def parser(doc: str) -> argparse.ArgumentParser:
    return argparse.ArgumentParser(description=doc.strip().splitlines()[0],
                                   formatter_class=argparse.RawDescriptionHelpFormatter)


def add_model_args(p: argparse.ArgumentParser, role: str) -> None:
    p.add_argument(f"--{role}", required=True, metavar="JSON",
                   help=f"the {role} role's registry entry as JSON (backend, model, revision, dtype)")
    p.add_argument("--cache", required=True, help="SQLite file of the model-call cache")
    p.add_argument("--threads", type=int, default=1)


def open_model(spec_json: str, cache_path: str, threads: int, desc: str = "") -> CachedModel:
    """The registry entry as a cached model; torch gets `threads` threads when it is loaded."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # mini scale never touches the network
    import torch

    torch.set_num_threads(max(1, threads))
    spec = ModelSpec.from_config(json.loads(spec_json))
    return CachedModel(spec, CallCache(cache_path), desc=desc)


def setup_logging() -> logging.Logger:
    logging.basicConfig(stream=sys.stderr, level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(message)s")
    return logging.getLogger("pluralign")
