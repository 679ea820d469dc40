"""Checking a pluralign config against its JSON Schema (draft 2020-12), with readable errors.

    python -m papers.core.config config/config.yaml

Every violation is listed with its place in the config ("construct.delta: 1.5 is greater than
the maximum of 1"), then the cross-references the schema cannot express (each role names a model
of the registry).
"""
from __future__ import annotations

import sys
from pathlib import Path

import jsonschema
import yaml

SCHEMA = Path(__file__).resolve().parents[2] / "workflow" / "schemas" / "config.schema.yaml"


class ConfigError(ValueError):
    pass


def _where(path) -> str:
    return ".".join(str(p) for p in path) or "(top level)"


def config_problems(config: dict) -> list[str]:
    schema = yaml.safe_load(SCHEMA.read_text())
    validator = jsonschema.Draft202012Validator(schema)
    problems = [f"{_where(e.absolute_path)}: {e.message}"
                for e in sorted(validator.iter_errors(config), key=lambda e: list(map(str, e.absolute_path)))]
    if problems:
        return problems
    known = ", ".join(config["models"])
    for role, name in config["roles"].items():
        if name not in config["models"]:
            problems.append(f"roles.{role}: '{name}' is not a model of the registry (known: {known})")
    bench = config["misalign_bench"]
    for name in [*bench["detectors"], bench["single_dimension"]["base"]]:
        if name not in config["models"]:
            problems.append(f"misalign_bench: '{name}' is not a model of the registry (known: {known})")
    profile = config["misalign_profile"]
    named = [profile["semantic_classifier"], profile["expansion"], *profile["generators"].keys(),
             *profile["generators"].values()]
    for name in named:
        if name not in config["models"]:
            problems.append(f"misalign_profile: '{name}' is not a model of the registry (known: {known})")
    for generator, judge in profile["generators"].items():
        if generator == judge:
            problems.append(f"misalign_profile.generators: {generator} would judge its own responses")
    if abs(sum(bench["splits"]) - 1) > 1e-9:
        problems.append(f"misalign_bench.splits: {bench['splits']} must sum to 1")
    return problems


def validate_config(config: dict, source: str) -> dict:
    """Return the config unchanged, or raise ConfigError listing every problem."""
    problems = config_problems(config)
    if problems:
        raise ConfigError(f"invalid config ({source}):\n  " + "\n  ".join(problems))
    return config


def model_entry(config: dict, role: str, overrides: dict | None = None) -> dict:
    """The registry entry of the model playing `role` (a paper section may override roles)."""
    name = (overrides or {}).get(role) or config["roles"].get(role)
    if name is None:
        raise ConfigError(f"roles.{role}: no model is assigned to this role")
    return config["models"][name]


if __name__ == "__main__":
    for path in sys.argv[1:]:
        validate_config(yaml.safe_load(Path(path).read_text()), path)
        print(f"{path}: valid")
