"""Checking a pluralign config against its JSON Schema (draft 2020-12), with readable errors.

    python -m papers.core.config config/config.yaml

Every violation is listed with its place in the config ("construct.delta: 1.5 is greater than
the maximum of 1"), then the cross-references the schema cannot express: every field the schema
marks `x-registry-model` (through `$defs/model_name`, as a value or as a key) must name a model of
the registry, wherever it is.
"""
from __future__ import annotations

import sys
from pathlib import Path

import jsonschema
import yaml

from .io import UserError

SCHEMA = Path(__file__).resolve().parents[2] / "workflow" / "schemas" / "config.schema.yaml"


class ConfigError(UserError, ValueError):
    """An invalid config; the message names the file and every problem found."""


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
    for where, name in model_references(schema, config, schema):
        if name not in config["models"]:
            problems.append(f"{_where(where)}: '{name}' is not a model of the registry (known: {known})")
    bench, profile, demo = config["misalign_bench"], config["misalign_profile"], config["demo_safetybench"]
    for generator, judge in profile["generators"].items():
        if generator == judge:
            problems.append(f"misalign_profile.generators: {generator} would judge its own responses")
    if abs(sum(bench["splits"]) - 1) > 1e-9:
        problems.append(f"misalign_bench.splits: {bench['splits']} must sum to 1")
    if demo["headline_rater"] not in demo["raters"]:
        problems.append(f"demo_safetybench.headline_rater: '{demo['headline_rater']}' is not one of the raters")
    balanced = (config["construct"]["delta"], config["construct"]["dedup"]["tau"])
    if balanced[0] not in demo["sweep"]["delta"] or balanced[1] not in demo["sweep"]["tau"]:
        problems.append(f"demo_safetybench.sweep: the grid must contain the balanced point (construct.delta, "
                        f"construct.dedup.tau) = {balanced}")
    return problems


def model_references(node: dict, value, root: dict, where: tuple = ()):
    """(place, name) for every string of `value` that the schema `node` marks x-registry-model,
    following $ref, properties, additionalProperties, propertyNames and items."""
    while "$ref" in node:
        extra = {k: v for k, v in node.items() if k != "$ref"}
        node = {**_resolve(root, node["$ref"]), **extra}
    if node.get("x-registry-model") and isinstance(value, str):
        yield where, value
    if isinstance(value, dict):
        names = node.get("propertyNames")
        for key, item in value.items():
            if names:
                yield from model_references(names, key, root, (*where, key))
            child = node.get("properties", {}).get(key, node.get("additionalProperties"))
            if isinstance(child, dict):
                yield from model_references(child, item, root, (*where, key))
    elif isinstance(value, list) and isinstance(node.get("items"), dict):
        for i, item in enumerate(value):
            yield from model_references(node["items"], item, root, (*where, i))


def _resolve(root: dict, ref: str) -> dict:
    if not ref.startswith("#/"):
        raise ValueError(f"only local $refs are supported in the config schema, not {ref!r}")
    node = root
    for part in ref[2:].split("/"):
        node = node[part]
    return node


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


def yaml_syntax_message(err: yaml.YAMLError) -> tuple[int | None, str]:
    """(line, what is wrong) of a YAML syntax error: its 1-based line and its problem in words."""
    mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
    problem = " ".join(p for p in (getattr(err, "context", None), getattr(err, "problem", None)) if p)
    return (mark.line + 1 if mark is not None else None), f"YAML syntax error: {problem or err}"


def load_config_file(path: str | Path) -> dict:
    """A config file's YAML as a mapping; a syntax error or a non-mapping names the file (and line)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"{path}: cannot read the config ({err})") from None
    try:
        config = yaml.safe_load(text)
    except yaml.YAMLError as err:
        line, message = yaml_syntax_message(err)
        raise ConfigError(f"{path}" + (f", line {line}" if line else "") + f": {message}") from None
    if not isinstance(config, dict):
        raise ConfigError(f"{path}: expected a mapping of config sections, found {type(config).__name__}")
    return config


def main(argv=None) -> None:
    """python -m papers.core.config FILE...: check each config file, or say what is wrong with it."""
    for path in (sys.argv[1:] if argv is None else argv):
        validate_config(load_config_file(path), path)
        print(f"{path}: valid")


if __name__ == "__main__":
    from papers.core.cli import run

    run(main)
