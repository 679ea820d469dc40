"""The GPU check: each paper model step's model, at its registry settings, on a handful of requests.

    scripts/gpu_check.sh [--configfile config/paper.yaml] [--smallest] [--only REGEX] [--items 4]
                         [--substitute config/gpu_check_cpu.yaml] [--timeout 300] [--out FILE.md] [--list]

1. Which models: the paper-scale DAG's jobs and the registry entries their parameters name
   (papers/core/dag_jobs.py: a dry-run DAG with stand-ins for the placed inputs), grouped by registry
   entry, each listing the steps it serves. A LoRA adapter a job adds is left off: adapters are trained
   in the DAG, so the check probes the base model.
2. What to ask, by backend and modality (KINDS): a text LLM (hf, vllm, openai) greedy generations and
   Yes/No option scores; a vision-language model (a registry name under vision.lvlms, cross_align.lvlms
   or roles.lvlm) the same with a mini meme image; sentence-transformers text embeddings; open_clip text
   and image embeddings; hf-classifier (premise, hypothesis) pairs over entailment/neutral/contradiction.
3. `--smallest`: for each backend and modality only the smallest model, by the parameter count in its
   name (parameter_count: "Qwen2-0.5B" 0.5, "Llama-3.1-8B" 8, "135M" 0.135; a name without one counts
   as larger than any that has one; ties go to the first model id in alphabetical order).
4. `--substitute FILE`: a YAML mapping that replaces paper entries for a run without the paper models
   (config/gpu_check_cpu.yaml): keys are tried in the order registry name, model id,
   "<backend>:<modality>", backend; a value is a registry entry, or {skip: reason}. An entry may add
   `if_missing: reason`: when its model is a local path that does not exist, the row is skipped with
   that reason (a model trained in the DAG before a mini run has made it).
5. openai entries are skipped unless the variable their options.api_key_env names is set.
6. Each model is probed in its own process (papers/core/gpu_probe.py) with a timeout: fresh GPU memory,
   and a crash or an OOM is one failed row. vllm entries run in the vllm environment's python
   (`--vllm-python`, a path or a command such as "apptainer exec --nv IMAGE python"; `--python` for the
   others) with VLLM_ENABLE_V1_MULTIPROCESSING=0, so the engine allocates in the probe's own
   process and torch.cuda.max_memory_allocated sees it. vLLM reserves its KV cache up front
   (gpu_memory_utilization), so a vllm row's peak is that reservation, not what the requests needed.
7. The table, as Markdown on stdout and in --out with a JSON twin; exit status 1 if any row failed.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path

import yaml

from .dag_jobs import ADAPTER_FIELDS, ROOT
from .llm.base import ModelSpec

KINDS = {"text": ["generate", "score"], "vision": ["generate-image", "score-image"],
         "text embeddings": ["embed-text"], "text+image embeddings": ["embed-text", "embed-image"],
         "nli": ["classify"]}
EMBEDDERS = {"sentence-transformers": "text embeddings", "open_clip": "text+image embeddings",
             "hf-classifier": "nli"}
DEFAULT_OUT = "results/gpu_check/gpu_check.md"


@dataclass
class Model:
    """One model to probe: its paper registry name and entry, and what it is probed as."""

    name: str
    entry: dict
    modality: str
    steps: list[str] = field(default_factory=list)
    runs_as: dict | None = None     # the substitute entry, when one replaces the paper's
    skip: str = ""                  # why it is not probed ("" when it is)
    stands_for: list[str] = field(default_factory=list)  # paper models one substitute answers for

    @property
    def probed(self) -> dict:
        return self.runs_as or self.entry


# -- which models ----------------------------------------------------------------------------------
def list_jobs(configfiles: list[str]) -> list[dict]:
    """The DAG's jobs (dag_jobs.py, in its own process: Snakemake's API keeps global state)."""
    result = subprocess.run([sys.executable, "-m", "papers.core.dag_jobs", *configfiles], cwd=ROOT,
                            capture_output=True, text=True)
    if result.returncode:
        sys.exit(f"gpu_check: listing the DAG's jobs failed:\n{result.stderr[-3000:]}")
    return [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]


def vision_names(config: dict) -> set[str]:
    """Registry names the config asks with images: the LVLM lists of the vision papers and roles.lvlm."""
    names = set(config.get("vision", {}).get("lvlms", [])) | set(config.get("cross_align", {}).get("lvlms", []))
    lvlm = config.get("roles", {}).get("lvlm")
    return names | ({lvlm} if lvlm else set())


def modality(backend: str, name: str, vision: set[str]) -> str:
    return EMBEDDERS.get(backend) or ("vision" if name in vision else "text")


def models_from_jobs(jobs: list[dict], vision: set[str]) -> list[Model]:
    """One Model per distinct registry entry the jobs name (adapters left off), with the steps it serves."""
    models: dict[str, Model] = {}
    for job in jobs:
        for named in job.get("models", []):
            entry = {k: v for k, v in named["entry"].items() if k not in ADAPTER_FIELDS}
            key = json.dumps(entry, sort_keys=True)
            name = named["name"] or Path(entry["model"]).name
            model = models.setdefault(key, Model(name, entry, modality(entry["backend"], name, vision)))
            if job["rule"] not in model.steps:
                model.steps.append(job["rule"])
    for model in models.values():
        model.steps.sort()
    return sorted(models.values(), key=lambda m: (m.entry["backend"], m.modality, m.name))


# -- which of them ---------------------------------------------------------------------------------
def parameter_count(model_id: str) -> float | None:
    """Billions of parameters as the model's name states them (the last path part), or None.
    The first number followed by B or M and not preceded by a letter or digit: "Qwen3-30B-A3B" is 30
    (its 3B active parameters are not its size), "SmolLM2-135M" 0.135, "gpt-4o" none."""
    found = re.search(r"(?<![a-z0-9.])(\d+(?:\.\d+)?)([bm])(?![a-z])", Path(model_id).name.lower())
    if not found:
        return None
    return float(found.group(1)) / (1000 if found.group(2) == "m" else 1)


def smallest(models: list[Model]) -> list[Model]:
    """For each backend and modality, the model with the fewest parameters (module docstring, 3)."""
    best: dict[tuple[str, str], tuple[tuple, Model]] = {}
    for model in models:
        count = parameter_count(model.entry["model"])
        rank = (count is None, count or 0.0, model.entry["model"].lower())
        group = (model.entry["backend"], model.modality)
        if group not in best or rank < best[group][0]:
            best[group] = (rank, model)
    return [model for _, model in sorted(best.values(), key=lambda rm: (rm[1].entry["backend"], rm[1].modality))]


def only(models: list[Model], pattern: str) -> list[Model]:
    regex = re.compile(pattern)
    return [m for m in models if regex.search(m.name) or regex.search(m.entry["model"])]


# -- substitution and skips ------------------------------------------------------------------------
def load_substitutes(path: str) -> dict:
    mapping = yaml.safe_load(Path(path).read_text()) or {}
    if not isinstance(mapping, dict) or not all(isinstance(v, dict) for v in mapping.values()):
        sys.exit(f"gpu_check: {path}: expected a mapping of backend or model name -> registry entry or {{skip: reason}}")
    return mapping


def substitute(models: list[Model], mapping: dict, source: str = "--substitute") -> list[Model]:
    """Each model with its substitute (module docstring, 4); models one substitute stands for merge."""
    out: dict[str, Model] = {}
    for model in models:
        backend = model.entry["backend"]
        keys = (model.name, model.entry["model"], f"{backend}:{model.modality}", backend)
        value = next((mapping[k] for k in keys if k in mapping), None)
        if value is None:
            out[f"paper:{model.name}"] = model
            continue
        value = dict(value)
        if "skip" in value:
            out[f"skip:{model.name}"] = replace(model, skip=str(value["skip"]))
            continue
        missing = value.pop("if_missing", "")
        try:
            ModelSpec.from_config(value)
        except ValueError as err:
            sys.exit(f"gpu_check: {source}: the substitute for {model.name!r}: {err}")
        if missing and looks_local(value["model"]) and not (ROOT / value["model"]).exists():
            out[f"skip:{model.name}"] = replace(model, runs_as=value, skip=f"{value['model']} is missing: {missing}")
            continue
        key = json.dumps([value, model.modality], sort_keys=True)
        if key in out:  # one substitute probed once for every paper model of a modality it replaces
            merged = out[key]
            merged.stands_for.append(model.name)
            merged.steps = sorted(set(merged.steps) | set(model.steps))
        else:
            out[key] = replace(model, runs_as=value, stands_for=[model.name], steps=list(model.steps))
    return list(out.values())


def looks_local(model: str) -> bool:
    return model.startswith(("/", "./", "results/", "resources/"))


def openai_skips(models: list[Model]) -> list[Model]:
    """An openai entry is probed only when its API key variable is set (it costs money)."""
    out = []
    for model in models:
        entry = model.probed
        variable = entry.get("options", {}).get("api_key_env", "OPENAI_API_KEY")
        if entry["backend"] == "openai" and not model.skip and not os.environ.get(variable):
            model = replace(model, skip=f"{variable} is not set (an API model is probed only with its key)")
        out.append(model)
    return out


# -- probing ---------------------------------------------------------------------------------------
def probe_command(model: Model, items: int, images: str, out: Path, vllm_python: str,
                  python: str = sys.executable) -> list[str]:
    """The probe's command line; a python may be a command ("apptainer exec --nv IMAGE python")."""
    entry = model.probed
    return [*shlex.split(vllm_python if entry["backend"] == "vllm" else python), "-m", "papers.core.gpu_probe",
            "--entry", json.dumps(entry), "--kinds", ",".join(KINDS[model.modality]), "--items", str(items),
            "--images", images, "--out", str(out)]


def run_probe(model: Model, command: list[str], out: Path, timeout: float) -> dict:
    """The probe's result, or {"error": ...} when it crashed, was killed or ran past `timeout`."""
    env = {**os.environ, "VLLM_ENABLE_V1_MULTIPROCESSING": "0", "PYTHONPATH": str(ROOT)}
    log = out.with_suffix(".log")
    with open(log, "w") as stream:
        # its own session: on a timeout the whole group goes (an engine's helper processes too)
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=stream, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            return {"error": f"timed out after {timeout:.0f} s (--timeout)"}
    if out.is_file():
        return json.loads(out.read_text())
    tail = log.read_text(errors="replace")[-1500:].strip()
    return {"error": f"the probe process exited with status {process.returncode} and no result (killed for "
                     f"memory?); its output ends:\n{tail}"}


def rows_of(model: Model, result: dict | None) -> list[dict]:
    base = {"model": model.name, "stands_for": model.stands_for or [model.name],
            "runs_as": model.runs_as["model"] if model.runs_as else "", "backend": model.probed["backend"],
            "modality": model.modality, "steps": model.steps}
    if result is None:
        return [{**base, "kind": "-", "items": 0, "seconds": None, "peak_mib": None, "memory": "",
                 "ok": None, "problem": model.skip}]
    if "error" in result:
        return [{**base, "kind": "load", "items": 0, "seconds": None, "peak_mib": result.get("peak_mib"),
                 "memory": result.get("memory", ""), "ok": False,
                 "problem": f"model {model.probed['model']!r}: {result['error']}"}]
    return [{**base, **row} for row in result["rows"]]


def write_images(folder: Path, count: int) -> None:
    """`count` mini memes (real HarMeme text over vendored pictograms, as the mini vision data draws them)."""
    from .vision.render import design, draw, load_pictograms

    pictograms = load_pictograms(ROOT / "data/memes/pictograms")
    lines = (ROOT / "data/memes/harmeme/Harm-C_test.jsonl").read_text().splitlines()[:count]
    for line in lines:
        meme = json.loads(line)
        label = int(meme["labels"][0] != "not harmful")
        picture = design(meme["id"], "harm_c", label, pictograms, seed=42)  # the configs' seed: the mini memes' pictures
        (folder / f"{meme['id']}.png").write_bytes(draw(picture, meme["text"]))


# -- the table -------------------------------------------------------------------------------------
def device_name() -> str:
    try:
        import torch

        if torch.cuda.is_available():
            return torch.cuda.get_device_name(0)
    except ImportError:
        pass
    return f"CPU ({platform.machine()}, {os.cpu_count()} cores)"


def header(device: str, versions: dict[str, dict], options: str) -> str:
    """The date, the device, each environment's package versions (the vllm one is its own) and the options."""
    envs = "; ".join(f"{env} environment: " + ", ".join(f"{p} {v}" for p, v in found.items())
                     for env, found in sorted(versions.items())) or "no probe ran"
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return f"GPU check, {stamp}; device: {device}; {envs}; options: {options or 'none'}"


def shape_cell(row: dict) -> str:
    if row["ok"] is None:
        return f"skipped: {row['problem']}"
    return "ok" if row["ok"] else f"FAILED: {row['problem']}"


def markdown(head: str, rows: list[dict]) -> str:
    lines = [head, "", "| model | runs as | backend | request kind | items | seconds | peak memory (MiB) | shape | steps |",
             "|---|---|---|---|---:|---:|---:|---|---|"]
    for row in rows:
        memory = f"{row['peak_mib']} {row['memory']}" if row["peak_mib"] is not None else "-"
        seconds = "-" if row["seconds"] is None else f"{row['seconds']:.1f}"
        cells = [", ".join(row["stands_for"]), row["runs_as"] or "(itself)", row["backend"], row["kind"],
                 str(row["items"]), seconds, memory, shape_cell(row), ", ".join(row["steps"])]
        lines.append("| " + " | ".join(c.replace("|", "\\|").replace("\n", " ") for c in cells) + " |")
    return "\n".join(lines) + "\n"


def write_table(out: Path, head: str, rows: list[dict]) -> str:
    text = markdown(head, rows)
    out.parent.mkdir(parents=True, exist_ok=True)
    for path, content in ((out, text), (out.with_suffix(".json"), json.dumps({"header": head, "rows": rows}, indent=1))):
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(content)
        tmp.rename(path)
    return text


# -- the command line ------------------------------------------------------------------------------
def plan(args) -> list[Model]:
    configs = [yaml.safe_load(Path(path).read_text()) or {} for path in args.configfile]
    vision = set().union(*(vision_names(c) for c in configs))
    models = models_from_jobs(list_jobs(args.configfile), vision)
    if args.only:
        models = only(models, args.only)
    if args.smallest:
        models = smallest(models)
    if args.substitute:
        models = substitute(models, load_substitutes(args.substitute), args.substitute)
    return openai_skips(models)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configfile", nargs="+", default=["config/paper.yaml"])
    parser.add_argument("--items", type=int, default=4, help="requests of each kind per model (default 4)")
    parser.add_argument("--smallest", action="store_true", help="only the smallest model per backend and modality")
    parser.add_argument("--only", default="", help="only models whose registry name or model id matches")
    parser.add_argument("--substitute", default="", help="a YAML mapping of substitutes (config/gpu_check_cpu.yaml)")
    parser.add_argument("--timeout", type=float, default=300, help="seconds per model, loading included")
    parser.add_argument("--vllm-python", default=str(ROOT / ".venv-vllm/bin/python") if (ROOT / ".venv-vllm").exists()
                        else sys.executable, help="the vllm environment's python, or a command that runs it "
                        "(\"apptainer exec --nv build/containers/pluralign-vllm-gpu.sif python\")")
    parser.add_argument("--python", default=sys.executable, help="the python (or command) for every other backend")
    parser.add_argument("--out", default=DEFAULT_OUT)
    parser.add_argument("--list", action="store_true", help="print the models it would probe, and stop")
    args = parser.parse_args(argv)
    models = plan(args)
    if args.list:
        for model in models:
            what = f"skipped: {model.skip}" if model.skip else ", ".join(KINDS[model.modality])
            print(f"{', '.join(model.stands_for or [model.name])} -> {model.probed['model']} "
                  f"({model.probed['backend']}, {model.modality}): {what}; steps: {', '.join(model.steps)}")
        return 0
    options = " ".join(a for a in (argv if argv is not None else sys.argv[1:]))
    work = Path(tempfile.mkdtemp(prefix="pluralign-gpu-check-"))
    try:
        write_images(work, args.items)
        rows, versions = [], {}
        for i, model in enumerate(models):
            result = None
            if not model.skip:
                print(f"gpu_check: probing {model.name} ({model.probed['model']})", file=sys.stderr, flush=True)
                out = work / f"probe{i}.json"
                command = probe_command(model, args.items, str(work), out, args.vllm_python, args.python)
                result = run_probe(model, command, out, args.timeout)
                if result.get("versions"):
                    versions.setdefault("vllm" if model.probed["backend"] == "vllm" else "main", result["versions"])
            rows += rows_of(model, result)
        text = write_table(ROOT / args.out, header(device_name(), versions, options), rows)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(text)
    return 1 if any(row["ok"] is False for row in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
