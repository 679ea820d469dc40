"""What every step's command line shares: the model argument, the cache, threads, logging, and
`run`, the entry point every step's `if __name__ == "__main__"` calls."""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from typing import Callable

from pathlib import Path

from .cache import CachedModel, CallCache, ReplayMiss, replaying
from .io import UserError, all_or_none
from .llm.base import TRAINING_RECORD, ModelSpec
from .llm.openai_backend import MissingAPIKey

# Exit status of a step stopped by bad input or config (argparse uses 2 for a bad command line too).
USER_ERROR_STATUS = 2
# The project's own errors about what the user gave it; anything else is a bug and keeps its traceback.
USER_ERRORS = (UserError, MissingAPIKey)


def run(main: Callable[[list[str] | None], object], argv: list[str] | None = None,
        trains: bool = False) -> None:
    """Run a step's main(argv) as its command line: all its outputs are written or none is
    (io.all_or_none), and a project error (bad input, bad config, a missing API key) prints its
    message alone on stderr and exits with status 2 instead of a traceback. A training step
    (`trains`: its --out directories are trained models) does not train in replay mode."""
    try:
        if trains and replaying():
            return keep_trained(sys.argv[1:] if argv is None else argv)
        with all_or_none():
            main(argv)
    except USER_ERRORS as err:
        print(err, file=sys.stderr)
        sys.exit(USER_ERROR_STATUS)


def keep_trained(argv: list[str]) -> None:
    """Replay mode's training step: its models (--out directories, each with its training record)
    come from the replay bundle, restored before the run; it never trains nor loads a model. Parsed
    on their own: in replay the rule passes no inputs (common.smk get_training_input)."""
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument("--out", nargs="+", default=[])
    outs = p.parse_known_args(argv)[0].out
    missing = [d for d in outs if not (Path(d) / TRAINING_RECORD).is_file()]
    if missing or not outs:
        raise ReplayMiss(f"replay: the trained model(s) {', '.join(missing) or '(no --out given)'} are missing "
                         f"(no {TRAINING_RECORD}); replay does not train: it needs the trained models of the "
                         "bundle it replays, restored first (python -m papers.core.replay restore BUNDLE .)")
    logging.getLogger("pluralign").warning("replay: %s present, not retrained", ", ".join(outs))


def parser(doc: str) -> argparse.ArgumentParser:
    return argparse.ArgumentParser(description=doc.strip().splitlines()[0],
                                   formatter_class=argparse.RawDescriptionHelpFormatter)


def add_model_args(p: argparse.ArgumentParser, role: str) -> None:
    p.add_argument(f"--{role}", required=True, metavar="JSON",
                   help=f"the {role} role's registry entry as JSON (backend, model, revision, dtype)")
    p.add_argument("--cache", required=True, help="SQLite file of the model-call cache")
    p.add_argument("--threads", type=int, default=1)


def named_paths(pairs: list[str], flag: str) -> dict[str, str]:
    """NAME=PATH arguments of one option as a dict; a malformed one stops with its flag and value."""
    named = {}
    for pair in pairs:
        name, sep, path = pair.partition("=")
        if not sep or not name or not path:
            raise SystemExit(f"{flag}: expected NAME=PATH, got {pair!r}")
        named[name] = path
    return named


def open_model(spec_json: str, cache_path: str, threads: int, desc: str = "") -> CachedModel:
    """The registry entry as a cached model; torch gets `threads` threads when it is loaded."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # mini scale never touches the network
    import torch

    torch.set_num_threads(max(1, threads))
    spec = ModelSpec.from_config(json.loads(spec_json))
    if replaying() and not Path(cache_path).is_file():
        raise ReplayMiss(f"replay: no call cache at {cache_path}; replay answers every model call from the "
                         "bundle's cache, restored first (python -m papers.core.replay restore BUNDLE .)")
    return CachedModel(spec, CallCache(cache_path), desc=desc)


def setup_logging() -> logging.Logger:
    logging.basicConfig(stream=sys.stderr, level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(message)s")
    return logging.getLogger("pluralign")
