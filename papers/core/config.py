"""Checking a pluralign config against its JSON Schema (draft 2020-12), with readable errors.

    python -m papers.core.config config/config.yaml

The schema is workflow/schemas/config.schema.yaml (the shared sections) with each paper's fragment
workflow/schemas/<paper>.schema.yaml as the property of its section (papers.PAPERS lists the papers,
papers.DRAFTS the modules being built).
Every violation is listed with its place in the config ("construct.delta: 1.5 is greater than
the maximum of 1"), then the cross-references the schema cannot express: every field the schema
marks `x-registry-model` (through `$defs/model_name`, as a value or as a key) must name a model of
the registry, wherever it is; the construction's generator is not its judge; and each paper's own
checks, `problems(config)` in papers/<paper>/config.py where the paper has one.
"""
from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path

import jsonschema
import yaml

from papers import DRAFTS, PAPERS

from .io import UserError

SCHEMAS = Path(__file__).resolve().parents[2] / "workflow" / "schemas"
SCHEMA = SCHEMAS / "config.schema.yaml"  # the shared sections; load_schema() adds the papers'


class ConfigError(UserError, ValueError):
    """An invalid config; the message names the file and every problem found."""


def _where(path) -> str:
    return ".".join(str(p) for p in path) or "(top level)"


def load_schema(papers=PAPERS + DRAFTS) -> dict:
    """The shared schema with each paper's fragment as the (required) property of its section."""
    schema = yaml.safe_load(SCHEMA.read_text())
    for paper in papers:
        schema["properties"][paper] = yaml.safe_load((SCHEMAS / f"{paper}.schema.yaml").read_text())
        schema["required"].append(paper)
    return schema


def paper_problems(config: dict, papers=PAPERS + DRAFTS) -> list[str]:
    """Each paper's own checks: problems(config) of papers/<paper>/config.py, where it has one."""
    problems = []
    for paper in papers:
        if importlib.util.find_spec(f"papers.{paper}.config") is not None:
            problems += importlib.import_module(f"papers.{paper}.config").problems(config)
    return problems


def config_problems(config: dict, papers=PAPERS + DRAFTS) -> list[str]:
    schema = load_schema(papers)
    validator = jsonschema.Draft202012Validator(schema)
    problems = [f"{_where(e.absolute_path)}: {e.message}"
                for e in sorted(validator.iter_errors(config), key=lambda e: list(map(str, e.absolute_path)))]
    if problems:
        return problems
    known = ", ".join(config["models"])
    for where, name in model_references(schema, config, schema):
        if name not in config["models"]:
            problems.append(f"{_where(where)}: '{name}' is not a model of the registry (known: {known})")
    if problems:
        return problems
    # The papers keep classifier, generator and judge apart "to avoid circular bias": at least no
    # model judges its own responses, at any scale.
    roles = config["roles"]
    if roles["generator"] == roles["judge"]:
        problems.append(f"roles: the generator {roles['generator']} would judge its own responses "
                        "(roles.judge must be another model)")
    return problems + paper_problems(config, papers)


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
