"""Two hops from a table or figure in results/ to the code that makes it: the file names its rule (the rule
that has it as an output), and the rule's command names the module whose function is named after the file.

For every results/<paper>/table_<stem>.{csv,md,tex} and figure_<stem>.{pdf,png} a rule writes (each
paper's claims table aside: papers/core/claims.py writes it from claims.yaml), the rule runs one module
(`python -m papers.X.Y`), and of the modules of that module's package exactly one defines `table_<stem>`
(returning the table's DataFrame) or `figure_<stem>` (returning the figure): the module itself, or one
it imports the function from. Conversely, every table_* or figure_* function in papers/ is named after a
file that a rule running a module of its package writes. Names are unique per package, not across
papers: three papers each have a table_domain_counts.

The rules come from the workflow as Snakemake parses it (tests/rule_outputs.py); nothing runs, and the
Python is read, not imported.
"""
import ast
import json
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = ["config/config.yaml", "tests/config/test.yaml"]
# results/<paper>/table_<stem>.csv -> ("results/<paper>/table_<stem>", "table", "<stem>")
OUTPUT = re.compile(r"(results/[^/]+/(table|figure)_(\w+))\.(csv|md|tex|pdf|png)")
CLAIMS = "claims"  # table_claims: the claims check's table, made from claims.yaml by papers.core.claims


@pytest.fixture(scope="module")
def rules() -> list[dict]:
    listed = subprocess.run([sys.executable, "-m", "tests.rule_outputs", *CONFIGS], cwd=ROOT,
                            capture_output=True, text=True)
    assert listed.returncode == 0, listed.stderr[-3000:]
    return [json.loads(line) for line in listed.stdout.splitlines() if line.startswith("{")]


def made_files(rules: list[dict]) -> dict[str, tuple[str, str, str]]:
    """Every table or figure a rule writes, by its path without the extension (results/<paper>/table_<stem>)
    -> (the rule, the module its command runs, the function named after the file)."""
    made = {}
    for rule in rules:
        for path in rule["outputs"]:
            match = OUTPUT.fullmatch(path)
            if match and match[3] != CLAIMS:
                assert len(rule["modules"]) == 1, f"{path}: rule {rule['rule']} runs {rule['modules']}, not one module"
                made[match[1]] = (rule["rule"], rule["modules"][0], f"{match[2]}_{match[3]}")
    return made


def source(module: str) -> Path:
    return ROOT / (module.replace(".", "/") + ".py")


def package(module: str) -> str:
    return module.rsplit(".", 1)[0]


def defined(pkg: str) -> dict[str, list[str]]:
    """table_* and figure_* functions defined at the top of each module of a package -> those modules."""
    where = defaultdict(list)
    for path in sorted((ROOT / pkg.replace(".", "/")).glob("*.py")):
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.FunctionDef) and node.name.startswith(("table_", "figure_")):
                where[node.name].append(f"{pkg}.{path.stem}")
    return where


def imported(module: str) -> set[tuple[str, str]]:
    """(module, name) of every `from module import name` in a module, inside functions too."""
    pairs = set()
    for node in ast.walk(ast.parse(source(module).read_text())):
        if isinstance(node, ast.ImportFrom):
            base = module.rsplit(".", node.level)[0] if node.level else ""
            origin = ".".join(part for part in (base, node.module) if part)
            pairs.update((origin, alias.name) for alias in node.names)
    return pairs


def test_every_table_and_figure_has_one_function_named_after_it(rules):
    made = made_files(rules)
    assert made, "no rule writes a results/<paper>/table_* or figure_* file: the rule listing is broken"
    problems = []
    for path, (rule, module, function) in sorted(made.items()):
        owners = defined(package(module)).get(function, [])
        if len(owners) != 1:
            problems.append(f"{path}.*: rule {rule} runs {module}; {len(owners)} modules of {package(module)} "
                            f"define {function} ({', '.join(owners) or 'none'}), not one")
        elif owners[0] != module and (owners[0], function) not in imported(module):
            problems.append(f"{path}.*: rule {rule} runs {module}, which neither defines {function} nor imports "
                            f"it from {owners[0]}")
    assert not problems, "\n".join(problems)


def test_declared_tables_and_figures_are_among_those_walked(rules):
    """The report's files (each paper's declared tables and figures) are a part of what the walk checks."""
    made = made_files(rules)
    declared = {match[1] for rule in rules if rule["rule"].endswith("_report") for path in rule["inputs"]
                if (match := OUTPUT.fullmatch(path)) and match[3] != CLAIMS}
    assert declared and declared <= made.keys(), sorted(declared - made.keys())


def test_every_table_and_figure_function_is_named_after_a_file(rules):
    made = made_files(rules).values()
    named = {(package(module), function) for _, module, function in made}
    packages = {".".join(init.parent.relative_to(ROOT).parts) for init in (ROOT / "papers").rglob("__init__.py")}
    stray = [f"{owner}.{function}" for pkg in sorted(packages) for function, owners in defined(pkg).items()
             for owner in owners if (pkg, function) not in named]
    assert not stray, f"named like a table or figure that no rule running a module of its package writes: {stray}"
