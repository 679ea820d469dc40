"""Every job of the whole DAG with the image `--use-singularity` would run it in, as JSON lines.

    python tests/job_images.py config/paper.yaml [more.yaml ...]

The DAG is built as `snakemake -n --forceall` builds it, through Snakemake's API, in a scratch working
directory that links the checkout's files: the checkout's results/ and .snakemake/ are never touched. Every
input placed by hand at paper scale (config/placed_inputs.yaml: data that is not redistributed) is created
empty there first; any other missing input stops the listing, naming it: a paper-scale input must be made
by a rule or be a listed placed input. Each line: the rule, the image, the GPUs it asks for, the backends of the models its
parameters name (every model step takes its model as a JSON registry entry) and the modules its shell
command runs (`python -m ...`). Runs in its own process because the API changes the working directory
and keeps global state.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

from snakemake.api import SnakemakeApi
from snakemake.exceptions import MissingInputException
from snakemake.settings.types import ConfigSettings, DAGSettings, OutputSettings, ResourceSettings

ROOT = Path(__file__).resolve().parents[1]
SKIP = {".git", ".snakemake", "results", "resources", "build"}


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


def build_dag(api: SnakemakeApi, configfiles: list[Path], work: Path):
    # Private API (_workflow, _prepare_dag, _build_dag): the public one offers no job list. Snakemake is
    # pinned in envs/main.lock.txt, so a change there shows up here first.
    # the listing is of the DAG's shape: the registry's revisions need not be pinned for it
    workflow_api = api.workflow(ResourceSettings(), ConfigSettings(configfiles=configfiles,
                                                                   config={"require_pinned_revisions": False}),
                                snakefile=ROOT / "Snakefile", workdir=work)
    workflow = workflow_api.dag(DAGSettings(forceall=True)).workflow_api._workflow
    workflow._prepare_dag(forceall=True, ignore_incomplete=True, lock_warn_only=True, nolock=True)
    workflow._build_dag()
    return workflow.dag


def print_jobs(dag) -> None:
    for job in sorted(dag.jobs, key=lambda j: (j.rule.name, str(j.wildcards_dict))):
        print(json.dumps({"rule": job.rule.name, "wildcards": dict(job.wildcards_dict),
                          "image": job.container_img_url, "gpu": job.resources.get("gpu", 0),
                          "mem_mb": job.resources.get("mem_mb", 0), "runtime": job.resources.get("runtime", 0),
                          "backends": [e["backend"] for e in model_entries(job.params)],
                          "model_gpus": max((e.get("gpus", 0) for e in model_entries(job.params)), default=0),
                          "modules": re.findall(r"python -m ([\w.]+)", job.rule.shellcmd or "")}))


def main(configfiles: list[str]) -> None:
    configfiles = [Path(path).resolve() for path in configfiles]
    work = scratch_workdir()
    try:
        list_jobs(configfiles, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)  # links and empty stand-ins only: the checkout is untouched


def place_stand_ins(configfiles: list[Path], work: Path) -> None:
    """An empty file at every placed input's path the configs name (never inside the checkout)."""
    sys.path.insert(0, str(ROOT))
    from papers.core.config import load_config_file
    from papers.core.placed import placed_values

    for configfile in configfiles:
        for _, name in placed_values(load_config_file(configfile)):
            path = work / name
            if (work / Path(name).parts[0]).is_symlink():
                sys.exit(f"job_images: placed input {name} would be written into the checkout")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.touch()


def list_jobs(configfiles: list[Path], work: Path) -> None:
    place_stand_ins(configfiles, work)
    with SnakemakeApi(OutputSettings(quiet={"all"})) as api:
        try:
            dag = build_dag(api, configfiles, work)
        except MissingInputException as missing:
            sys.exit(f"job_images: an input is missing that no rule makes and config/placed_inputs.yaml does "
                     f"not list as placed by hand:\n{missing}")
        print_jobs(dag)


if __name__ == "__main__":
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    main(sys.argv[1:])
