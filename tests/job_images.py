"""Every job of the whole DAG with the image `--use-singularity` would run it in, as JSON lines.

    python tests/job_images.py config/paper.yaml [more.yaml ...]

The DAG is built as `snakemake -n --forceall` builds it, through Snakemake's API, in a scratch working
directory that links the checkout's files: the checkout's results/ and .snakemake/ are never touched. Inputs
that exist only where the paper-scale data has been placed (data that is not redistributed) are created
empty there. Each line: the rule, the image, the GPUs it asks for, the backends of the models its
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


def model_backends(params) -> list[str]:
    backends = []
    for value in params:
        try:
            entry = json.loads(value) if isinstance(value, str) else None
        except json.JSONDecodeError:
            continue
        # one registry entry, or a list of them (a detector's model in each run)
        for one in entry if isinstance(entry, list) else [entry]:
            if isinstance(one, dict) and "backend" in one:
                backends.append(one["backend"])
    return backends


def build_dag(api: SnakemakeApi, configfiles: list[Path], work: Path):
    # Private API (_workflow, _prepare_dag, _build_dag): the public one offers no job list. Snakemake is
    # pinned in envs/main.lock.txt, so a change there shows up here first.
    workflow_api = api.workflow(ResourceSettings(), ConfigSettings(configfiles=configfiles),
                                snakefile=ROOT / "Snakefile", workdir=work)
    workflow = workflow_api.dag(DAGSettings(forceall=True)).workflow_api._workflow
    workflow._prepare_dag(forceall=True, ignore_incomplete=True, lock_warn_only=True, nolock=True)
    workflow._build_dag()
    return workflow.dag


def print_jobs(dag) -> None:
    for job in sorted(dag.jobs, key=lambda j: (j.rule.name, str(j.wildcards_dict))):
        print(json.dumps({"rule": job.rule.name, "wildcards": dict(job.wildcards_dict),
                          "image": job.container_img_url, "gpu": job.resources.get("gpu", 0),
                          "backends": model_backends(job.params),
                          "modules": re.findall(r"python -m ([\w.]+)", job.rule.shellcmd or "")}))


def main(configfiles: list[str]) -> None:
    configfiles = [Path(path).resolve() for path in configfiles]
    work = scratch_workdir()
    try:
        list_jobs(configfiles, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)  # links and empty stand-ins only: the checkout is untouched


def list_jobs(configfiles: list[Path], work: Path) -> None:
    for _ in range(40):
        with SnakemakeApi(OutputSettings(quiet={"all"})) as api:
            try:
                dag = build_dag(api, configfiles, work)
            except MissingInputException as missing:
                # The exception keeps the files only in its message, after "affected files:".
                for name in str(missing).split("affected files:", 1)[1].split():
                    if (work / Path(name).parts[0]).is_symlink():  # never write into the checkout
                        sys.exit(f"job_images: input {name} is missing from the checkout itself")
                    path = work / name
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.touch()
                continue
            print_jobs(dag)
            return
    sys.exit("job_images: inputs still missing after 40 rounds")


if __name__ == "__main__":
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    main(sys.argv[1:])
