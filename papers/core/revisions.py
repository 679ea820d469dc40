"""Hub models must be pinned to a commit when the config says so (config/paper.yaml does): a branch
such as `main` is whatever the hub serves on the day, so two runs of "the same" config could load
different weights and never know.

    unpinned = unpinned_models(config)      # ["models.llava-1.5-13b.revision: 'main' ..."], [] when pinned

A hub model is an entry of the registry that the config uses (papers/core/config.model_references)
and whose weights come from the Hugging Face hub: the hf, vllm or open_clip backend with a model that
is not a directory the DAG makes (resources/models/, results/). Pinned means a 40-hex commit id.
API models (GPT-4o) carry the provider's dated snapshot name instead, and are not checked.
"""
from __future__ import annotations

import re

HUB_BACKENDS = ("hf", "vllm", "open_clip")
LOCAL = ("resources/", "results/")
COMMIT = re.compile(r"[0-9a-f]{40}")


def used_models(config: dict) -> list[str]:
    """The registry names the config's roles and sections refer to, each once, in config order."""
    from .config import load_schema, model_references

    schema = load_schema()
    return list(dict.fromkeys(name for _, name in model_references(schema, config, schema)))


def is_hub_model(entry: dict) -> bool:
    return entry["backend"] in HUB_BACKENDS and not str(entry["model"]).startswith(LOCAL)


def unpinned_models(config: dict) -> list[str]:
    """One line per used hub model whose revision is not a commit id."""
    if not isinstance(config, dict) or "models" not in config:
        raise TypeError("config must be a pluralign config (a dict with a model registry)")
    lines = []
    for name in used_models(config):
        entry = config["models"][name]
        revision = str(entry.get("revision", ""))
        if is_hub_model(entry) and not COMMIT.fullmatch(revision):
            lines.append(f"models.{name}.revision: {revision!r} is not a commit of {entry['model']}")
    return lines


class UnpinnedRevisions(Exception):
    """Hub models are not pinned to commits and the config requires it."""


def check(config: dict) -> None:
    if not config.get("require_pinned_revisions", False):
        return
    lines = unpinned_models(config)
    if lines:
        raise UnpinnedRevisions(
            f"{len(lines)} hub model(s) are not pinned to a commit (require_pinned_revisions is true):\n"
            + "\n".join(f"  {line}" for line in lines)
            + "\nPin each to the commit you mean to run (its 40-hex id, shown on the model's hub page under"
              " 'Files and versions', or `git ls-remote https://huggingface.co/<model> main`), or run"
              " with --config require_pinned_revisions=False to take what the hub serves today.")
