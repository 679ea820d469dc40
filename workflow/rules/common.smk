"""Config loading and validation, and the helpers the rule modules share (get_* return inputs or
params; is_* are predicates)."""

import json
import os
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
EMBEDDED_MODELS = "resources/models/"


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
