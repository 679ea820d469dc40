"""Config loading and validation, and the helpers the rule modules share (get_* return inputs or
params; is_* are predicates)."""

import json
import os
import re
import shlex
import sys

from snakemake.utils import min_version

from papers.core.config import model_entry, validate_config

min_version("9.0")

# Steps run as `python -m ...`: make that the Python running Snakemake (the project's venv), so
# `.venv/bin/snakemake` works without activating anything. Inside a container the path is absent
# and the image's own Python is found.
envvars:
    "PATH",


_inherited_path = os.environ["PATH"]
os.environ.update(PATH=os.pathsep.join([os.path.dirname(sys.executable), _inherited_path]))

validate_config(config, " + ".join(map(str, workflow.configfiles)) or "--config")

SCALE = config["scale"]
# `threads:` of the steps that run a model: a chain step is one the DAG waits on alone (classify,
# expand, respond); a fan-out step is one of many independent jobs (per model, run or rater).
CHAIN_THREADS, FANOUT_THREADS = config["threads"]["chain"], config["threads"]["fanout"]
EMBEDDED_MODELS = "resources/models/"

# With --use-singularity every rule runs in an image that scripts/build_containers.sh builds from envs/
# (containers/README.md): the main one, unless a rule names another through a get_*_container helper.
# Config `containers` (optional) says where each image is: a .sif path or a docker:// URI.
CONTAINERS = {
    "main": "build/containers/pluralign-main.sif",
    "vllm-gpu": "build/containers/pluralign-vllm-gpu.sif",
    **config.get("containers", {}),
}


container: CONTAINERS["main"]


def is_embedded(entry):
    """An embedded model is made by the models_materialise rule; others come from a hub or server."""
    return entry["model"].startswith(EMBEDDED_MODELS)


def get_embedded_models():
    """Every embedded model the registry names: `make` materialises them all."""
    return sorted({e["model"] for e in config["models"].values() if is_embedded(e)})


def get_model_input(role, overrides=None):
    """The model directory a rule must wait for (none for hub or API models)."""
    entry = model_entry(config, role, overrides)
    return [entry["model"]] if is_embedded(entry) else []


def get_reclassify_input():
    """The classifier's own model plus, with a shortlist, the embedder that draws it up."""
    shortlist = config["construct"].get("shortlist", 0)
    return get_model_input("classifier") + (get_model_input("embedder") if shortlist else [])


def get_reclassify_args():
    """The reclassification setting as options of reclassify and expand (README: Reclassification)."""
    construct = config["construct"]
    args = f"--calibration {construct['calibration']}"
    if construct.get("shortlist", 0):
        args += f" --shortlist {construct['shortlist']} --embedder {shlex.quote(get_model_json('embedder'))}"
    return args


def get_model_gpus(*roles):
    """GPUs a step asks SLURM for: the most any of its roles' models needs (registry `gpus`, 0 on CPU)."""
    return max(model_entry(config, role).get("gpus", 0) for role in roles)


def image_for(*entries):
    """The image of a step running these registry entries: CUDA vllm is only in the GPU vLLM image."""
    return CONTAINERS["vllm-gpu" if any(e["backend"] == "vllm" for e in entries) else "main"]


def get_model_container(*roles):
    """The image of a step whose models play these roles (see image_for)."""
    return image_for(*(model_entry(config, role) for role in roles))


def get_registry_container(*names):
    """The image of a step running these registry models, named directly (see image_for)."""
    return image_for(*(config["models"][name] for name in names))


def get_registry_input(name):
    """The directory of a registry model named directly (not through a role), if embedded."""
    entry = config["models"][name]
    return [entry["model"]] if is_embedded(entry) else []


def get_registry_json(name):
    """A registry model named directly, as the JSON every step's model argument takes."""
    return json.dumps(config["models"][name], sort_keys=True)


def get_model_json(role, overrides=None):
    """A role's registry entry as JSON, the form every step's --<role> argument takes."""
    return json.dumps(model_entry(config, role, overrides), sort_keys=True)


def get_section_json(*sections):
    """Config sections (and the resolved model registry) as JSON, for provenance manifests."""
    payload = {name: config[name] for name in sections}
    payload.update(scale=SCALE, seed=config["seed"], roles=config["roles"], models=config["models"])
    return json.dumps(payload, sort_keys=True)


def get_stem(name):
    """The path stem of a multiext output group: table writers add .csv, .md and .tex themselves."""
    return lambda wildcards, output: os.path.splitext(output[name][0])[0]


def get_cli_args(settings):
    """A config section as command-line options: {"max_new_tokens": 48} -> "--max-new-tokens 48"."""
    return " ".join(f"--{key.replace('_', '-')} {value}" for key, value in settings.items())


# -- Mis-Align Bench (workflow/rules/misalign_bench.smk) ---------------------------------------------
def get_lora_detectors():
    """Single-dimension LoRA detectors: detector name -> the dimension it is trained on."""
    return {f"{dim}-lora": dim for dim in config["misalign_bench"]["single_dimension"]["dimensions"]}


def get_detector_groups():
    """Detector name -> group, in table order: general, single-dimension, open-weight."""
    listed = config["misalign_bench"]["detectors"]
    groups = {name: group for name, group in listed.items() if group == "general"}
    groups.update({name: "single_dimension" for name in get_lora_detectors()})
    groups.update({name: group for name, group in listed.items() if group != "general"})
    return groups


def get_detector_base(detector):
    """The registry model a detector runs on (a LoRA detector runs on the configured base)."""
    if detector in get_lora_detectors():
        return config["misalign_bench"]["single_dimension"]["base"]
    return detector


def get_adapter(wildcards):
    dimension = get_lora_detectors()[wildcards.detector]
    return f"results/misalign_bench/adapters/{dimension}/run{wildcards.run}"


def get_detector_entry(wildcards):
    """A detector's registry entry as JSON; a LoRA detector's carries the run's adapter."""
    entry = dict(config["models"][get_detector_base(wildcards.detector)])
    if wildcards.detector in get_lora_detectors():
        entry["adapter"] = get_adapter(wildcards)
    return json.dumps(entry, sort_keys=True)


def get_detector_inputs(wildcards):
    """Model directories (and the adapter) a detector's evaluation waits for."""
    adapter = [get_adapter(wildcards)] if wildcards.detector in get_lora_detectors() else []
    return get_registry_input(get_detector_base(wildcards.detector)) + adapter


# Order, not data. Steps that ask the same model calls must not run side by side, or both would
# compute the calls neither finds in the cache yet. A zero-shot detector's runs share test items, so
# its run r waits for run r - 1; paper 2's items are mostly paper 1's pairs, so its evaluation of a
# detector waits for paper 1's. (A LoRA detector's runs use different adapters: nothing shared.)
def get_previous_run(folder):
    def previous(wildcards):
        run = int(wildcards.run)
        if wildcards.detector in get_lora_detectors() or run == 0:
            return []
        return [f"{folder}/predictions/{wildcards.detector}/run{run - 1}.parquet"]
    return previous


def get_paper1_predictions(wildcards):
    runs = range(config["misalign_bench"]["runs"])
    return [f"results/misalign_bench/predictions/{wildcards.detector}/run{r}.parquet" for r in runs]


def get_detector_gpus(wildcards):
    return config["models"][get_detector_base(wildcards.detector)].get("gpus", 0)


def get_detector_container(wildcards):
    return get_registry_container(get_detector_base(wildcards.detector))


# -- MisAlign-Profile (workflow/rules/misalign_profile.smk) -------------------------------------------
def get_generator_inputs(wildcards):
    """The directories of one generator and of the judge of its responses."""
    judge = config["misalign_profile"]["generators"][wildcards.generator]
    return get_registry_input(wildcards.generator) + get_registry_input(judge)


def get_generator_gpus(wildcards):
    judge = config["misalign_profile"]["generators"][wildcards.generator]
    return max(config["models"][name].get("gpus", 0) for name in (wildcards.generator, judge))


def get_generator_container(wildcards):
    judge = config["misalign_profile"]["generators"][wildcards.generator]
    return get_registry_container(wildcards.generator, judge)


# -- Demo-SafetyBench (workflow/rules/demo_safetybench.smk) -------------------------------------------
def get_rater_input(wildcards):
    return get_registry_input(wildcards.rater)


def get_rater_json(wildcards):
    return get_registry_json(wildcards.rater)


def get_rater_mode(wildcards):
    return config["demo_safetybench"]["raters"][wildcards.rater]


def get_rater_gpus(wildcards):
    return config["models"][wildcards.rater].get("gpus", 0)


def get_rater_container(wildcards):
    return get_registry_container(wildcards.rater)
