"""Every rule of the workflow with its output files, its input files and the modules its shell command
runs (`python -m ...`), as JSON lines, as Snakemake parses the Snakefile: no DAG is built, nothing runs.

    python -m tests.rule_outputs config/config.yaml tests/config/test.yaml

Parsed in a scratch working directory that links the checkout's files (tests/job_images.py), in its own
process because the API changes the working directory and keeps global state. Inputs that are functions
of a job's wildcards are left out.
"""
from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path

from snakemake.api import SnakemakeApi
from snakemake.settings.types import ConfigSettings, OutputSettings, ResourceSettings

from tests.job_images import ROOT, scratch_workdir


def print_rules(configfiles: list[Path], work: Path) -> None:
    with SnakemakeApi(OutputSettings(quiet={"all"})) as api:
        # Private API (_workflow): the public one lists rule names only.
        workflow = api.workflow(ResourceSettings(), ConfigSettings(configfiles=configfiles),
                                snakefile=ROOT / "Snakefile", workdir=work)._workflow
        for rule in workflow.rules:
            print(json.dumps({"rule": rule.name, "outputs": [str(path) for path in rule.output],
                              "inputs": [str(path) for path in rule.input if isinstance(path, str)],
                              "modules": re.findall(r"python -m ([\w.]+)", rule.shellcmd or "")}))


def main(configfiles: list[str]) -> None:
    work = scratch_workdir()
    try:
        print_rules([Path(path).resolve() for path in configfiles], work)
    finally:
        shutil.rmtree(work, ignore_errors=True)  # links only: the checkout is untouched


if __name__ == "__main__":
    main(sys.argv[1:])
