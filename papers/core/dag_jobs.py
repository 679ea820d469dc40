"""Every job of the whole DAG, with its image, resources and the registry entries its parameters name.

    python -m papers.core.dag_jobs config/paper.yaml [more.yaml ...]     # JSON lines, one per job

The DAG is built as `snakemake -n --forceall` builds it, through Snakemake's API, in a scratch working
directory that links the checkout's files: the checkout's results/ and .snakemake/ are never touched. Every
input placed by hand at paper scale (config/placed_inputs.yaml: data that is not redistributed) is created
empty there first; any other missing input stops the listing, naming it: a paper-scale input must be made
by a rule or be a listed placed input. Each line: the rule, the image, the GPUs it asks for, the backends of
the models its parameters name (every model step takes its model as a JSON registry entry), those models
(their registry name and entry) and the modules its shell command runs (`python -m ...`). Runs in its own
process because the API changes the working directory and keeps global state. Used by
tests/job_images.py (the containers' tests) and papers/core/gpu_check.py (which models to probe).
"""
from __future__ import annotations

import json
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SKIP = {".git", ".snakemake", "results", "resources", "build"}
ADAPTER_FIELDS = ("adapter", "adapters")  # what a job adds to a registry entry (a LoRA trained in the DAG)


def scratch_workdir() -> Path:
    work = Path(tempfile.mkdtemp(prefix="pluralign-jobs-"))
    for entry in ROOT.iterdir():
        if entry.name not in SKIP and not entry.name.startswith(".venv"):
            (work / entry.name).symlink_to(entry)
    return work


def model_entries(params) -> list[dict]:
    entries = []
    for value in params:
        try:
            entry = json.loads(value) if isinstance(value, str) else None
        except json.JSONDecodeError:
            continue
        # one registry entry, a list of them (a detector's model in each run), or entries by role (judges)
        if isinstance(entry, dict) and "backend" not in entry:
            entry = list(entry.values())
        for one in entry if isinstance(entry, list) else [entry]:
            if isinstance(one, dict) and "backend" in one:
                entries.append(one)
    return entries


def registry_name(entry: dict, registry: dict) -> str:
    """The registry name of a job's model entry (its adapters left aside), or "" if none matches."""
    bare = {k: v for k, v in entry.items() if k not in ADAPTER_FIELDS}
    return next((name for name, known in registry.items() if known == bare), "")


def build_dag(api, configfiles: list[Path], work: Path):
    from snakemake.settings.types import ConfigSettings, DAGSettings, ResourceSettings

    # Private API (_workflow, _prepare_dag, _build_dag): the public one offers no job list. Snakemake is
    # pinned in envs/main.lock.txt, so a change there shows up here first.
    # the listing is of the DAG's shape: the registry's revisions need not be pinned for it
    workflow_api = api.workflow(ResourceSettings(), ConfigSettings(configfiles=configfiles,
                                                                   config={"require_pinned_revisions": False}),
                                snakefile=ROOT / "Snakefile", workdir=work)
    workflow = workflow_api.dag(DAGSettings(forceall=True)).workflow_api._workflow
    workflow._prepare_dag(forceall=True, ignore_incomplete=True, lock_warn_only=True, nolock=True)
    workflow._build_dag()
    return workflow


def job_records(workflow) -> list[dict]:
    registry = workflow.config.get("models", {})
    records = []
    for job in sorted(workflow.dag.jobs, key=lambda j: (j.rule.name, str(j.wildcards_dict))):
        entries = model_entries(job.params)
        records.append({"rule": job.rule.name, "wildcards": dict(job.wildcards_dict),
                        "image": job.container_img_url, "gpu": job.resources.get("gpu", 0),
                        "mem_mb": job.resources.get("mem_mb", 0), "runtime": job.resources.get("runtime", 0),
                        "backends": [e["backend"] for e in entries],
                        "model_gpus": max((e.get("gpus", 0) for e in entries), default=0),
                        "models": [{"name": registry_name(e, registry), "entry": e} for e in entries],
                        "modules": re.findall(r"python -m ([\w.]+)", job.rule.shellcmd or "")})
    return records


def place_stand_ins(configfiles: list[Path], work: Path) -> None:
    """An empty file at every placed input's path the configs name (never inside the checkout)."""
    from papers.core.config import load_config_file
    from papers.core.placed import placed_values

    for configfile in configfiles:
        for _, name in placed_values(load_config_file(configfile)):
            path = work / name
            if (work / Path(name).parts[0]).is_symlink():
                sys.exit(f"dag_jobs: placed input {name} would be written into the checkout")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.touch()


def list_jobs(configfiles: list[Path], work: Path) -> list[dict]:
    from snakemake.api import SnakemakeApi
    from snakemake.exceptions import MissingInputException
    from snakemake.settings.types import OutputSettings

    place_stand_ins(configfiles, work)
    with SnakemakeApi(OutputSettings(quiet={"all"})) as api:
        try:
            return job_records(build_dag(api, configfiles, work))
        except MissingInputException as missing:
            sys.exit(f"dag_jobs: an input is missing that no rule makes and config/placed_inputs.yaml does "
                     f"not list as placed by hand:\n{missing}")


def main(configfiles: list[str]) -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    configfiles = [Path(path).resolve() for path in configfiles]
    work = scratch_workdir()
    try:
        for record in list_jobs(configfiles, work):
            print(json.dumps(record))
    finally:
        shutil.rmtree(work, ignore_errors=True)  # links and empty stand-ins only: the checkout is untouched


if __name__ == "__main__":
    from papers.core.cli import run

    run(main, sys.argv[1:])
