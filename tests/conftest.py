"""Shared fixtures: the embedded models (materialised by `make test` before pytest runs), and one
uninterrupted run of the tiny test DAG that the end-to-end and crash-safety tests share."""
import os
from dataclasses import dataclass
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


@dataclass(frozen=True)
class DagRun:
    work: Path                # the scratch working directory; later tests may add to it
    digests: dict[str, str]   # tests.dag.result_digests, taken as soon as the run ended
    cache: dict[str, str]     # tests.dag.cache_rows, likewise


@pytest.fixture(scope="session")
def dag_run(tmp_path_factory) -> DagRun:
    """The tiny DAG run once from clean (minutes); its outputs are the reference other runs must equal."""
    from tests.dag import cache_rows, link_work, result_digests, snakemake

    work = link_work(tmp_path_factory.mktemp("dag"))
    snakemake(work)
    return DagRun(work, result_digests(work), cache_rows(work))
