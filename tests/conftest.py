"""Shared fixtures: the embedded models (materialised by `make test` before pytest runs)."""
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MODELS = ROOT / "resources" / "models"
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def model_dir(name: str) -> Path:
    path = MODELS / name
    if not (path / "config.json").exists():
        pytest.fail(f"{path} is missing: run `make models` (or `make test`, which does it first)")
    return path


@pytest.fixture(scope="session")
def smollm2():
    from papers.core.llm.base import ModelSpec, load_backend
    return load_backend(ModelSpec(backend="hf", model=str(model_dir("smollm2-135m-instruct"))))


@pytest.fixture(scope="session")
def gemma():
    from papers.core.llm.base import ModelSpec, load_backend
    return load_backend(ModelSpec(backend="hf", model=str(model_dir("gemma-3-270m"))))
