"""The inputs a user places by hand at paper scale, and the check that names each missing one before
the DAG runs (instead of Snakemake's MissingInputException for the first one it meets).

    problems = missing_inputs(config, targets=["cross_align_all"])   # [] when everything is there

Every placed input lives under resources/data/ and is a value of the config; config/placed_inputs.yaml
says, per path prefix, what it is, where to get it, its licence and its size. A value is needed by the
module of its config section (a meme dataset of `vision.memes` by the vision core and each paper that
reads it); a target is a module's rule or file (`misalign_bench_all`, `results/cross_align/...`), and
the construction's inputs are needed by papers 1 and 2, which read its outputs. No target, `all`, or a
target of no module: every placed input of the config is checked. At mini scale every input is in
data/ (vendored), so nothing is checked. A path the DAG downloads itself (config/downloads.yaml,
papers/core/fetch.py) is not a placed input: its rule makes it.
"""
from __future__ import annotations

from pathlib import Path

import yaml

from .fetch import load_downloads

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "config" / "placed_inputs.yaml"
PLACED = "resources/data/"
# The modules whose rules read another module's outputs, so their targets need its inputs too.
READS = {"misalign_bench": ("construct",), "misalign_profile": ("construct",)}
FIELDS = ("path", "what", "source", "licence", "size")


def load_catalogue(path: Path = CATALOGUE) -> list[dict]:
    entries = yaml.safe_load(path.read_text(encoding="utf-8"))
    for i, entry in enumerate(entries, start=1):
        missing = [f for f in FIELDS if not isinstance(entry.get(f), str) or not entry[f]]
        if missing or not entry["path"].startswith(PLACED):
            raise ValueError(f"{path}: entry {i} needs {', '.join(FIELDS)} and a path under {PLACED}")
    return entries


def placed_values(config: dict) -> list[tuple[str, str]]:
    """(dotted config key, path) of every config value under resources/data/, in config order."""
    if not isinstance(config, dict):
        raise TypeError(f"config must be a dict, got {type(config).__name__}")
    found = []

    def walk(node, key):
        if isinstance(node, dict):
            for name, value in node.items():
                walk(value, f"{key}.{name}" if key else str(name))
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, f"{key}[{i}]")
        elif isinstance(node, str) and node.startswith(PLACED):
            found.append((key, node))

    walk(config, "")
    return found


def needed_by(key: str, config: dict) -> set[str]:
    """The modules whose run reads the value at `key`."""
    section, *rest = key.split(".")
    if section != "vision" or not rest or rest[0] != "memes":
        return {section}
    dataset = rest[1]
    readers = {"vision"}
    if any(b["dataset"] == dataset for b in config.get("cross_align", {}).get("benchmarks", {}).values()):
        readers.add("cross_align")
    if dataset in config.get("missing_modality", {}).get("datasets", []):
        readers.add("missing_modality")
    return readers


def requested(targets, modules) -> set[str] | None:
    """The modules the targets belong to (with those they read); None for everything."""
    chosen = set()
    for target in targets or ():
        target = str(target)
        if target == "all":
            return None
        name = target.removeprefix("results/").split("/")[0] if target.startswith("results/") else target
        module = max((m for m in modules if name == m or name.startswith(m + "_")), key=len, default=None)
        if module is None:
            return None
        chosen |= {module, *READS.get(module, ())}
    return chosen or None


UNKNOWN = {"path": "", "what": "a user-placed input that config/placed_inputs.yaml does not list",
           "source": "the module's README", "licence": "unknown", "size": "unknown"}


def entry_of(path: str, catalogue: list[dict]) -> dict:
    """The catalogue entry of a placed path: the longest entry path it starts with (a folder's own
    path matches an entry ending in "/")."""
    matches = [e for e in catalogue if (path + "/").startswith(e["path"]) or path.startswith(e["path"])]
    return max(matches, key=lambda e: len(e["path"]), default=UNKNOWN)


def missing_inputs(config: dict, targets=(), catalogue: list[dict] | None = None, root: Path = Path(".")) -> list[str]:
    """One message per catalogue entry (a dataset or model input) with paths the targets need that are
    not there (relative to `root`): what it is, where to get it, its licence, every missing path and
    its config key, the targets that need it."""
    catalogue = load_catalogue() if catalogue is None else catalogue
    downloads = load_downloads()
    modules = {"construct", "vision", *(k for k in config if isinstance(config[k], dict))}
    wanted = requested(targets, modules)
    groups: dict[str, tuple[dict, list, set]] = {}
    for key, path in placed_values(config):
        readers = needed_by(key, config)
        if (wanted is not None and not readers & wanted) or path in downloads or (root / path).exists():
            continue
        entry = entry_of(path, catalogue)
        _, paths, needing = groups.setdefault(entry["path"] or path, (entry, [], set()))
        paths.append(f"{path} (config {key})")
        needing |= readers
    return [f"{entry['what']}\n      missing: " + "\n               ".join(paths)
            + f"\n      get it: {entry['source']}\n      licence: {entry['licence']}; size: {entry['size']}"
            + f"\n      needed by: {', '.join(f'{m}_all' for m in sorted(needing))}"
            for entry, paths, needing in groups.values()]


def readme_table(config: dict, catalogue: list[dict] | None = None) -> str:
    """The README's table of every paper-scale input of `config`: what, where it goes, where to get it
    (or that the DAG downloads it), licence, size, the modules that read it (generated:
    `python -m papers.core.placed config/paper.yaml`)."""
    catalogue = load_catalogue() if catalogue is None else catalogue
    downloads = load_downloads()
    readers: dict[str, set] = {}
    for key, path in placed_values(config):
        where = path if path in downloads else entry_of(path, catalogue)["path"]
        readers.setdefault(where, set()).update(needed_by(key, config))
    rows = ["| input | put it at | get it | licence | size | read by |", "|---|---|---|---|---|---|"]
    fetched = [{**entry, "source": f"downloaded by the DAG (rule fetch_public_input, sha256-checked) from "
                                   f"{entry['url']}", "size": "one file"} for entry in downloads.values()]
    for entry in [*catalogue, *fetched]:
        if entry["path"] in readers:
            cells = [entry["what"], f"`{entry['path']}`", entry["source"], entry["licence"], entry["size"],
                     ", ".join(sorted(readers[entry["path"]]))]
            rows.append("| " + " | ".join(c.replace("|", "/") for c in cells) + " |")
    return "\n".join(rows)


class PlacedInputsMissing(Exception):
    """Paper-scale inputs the requested targets need are not where the config says."""


def check(config: dict, targets=()) -> None:
    """Stop before the DAG is built when placed inputs are missing, naming every one."""
    messages = missing_inputs(config, targets)
    if messages:
        raise PlacedInputsMissing(
            f"{len(messages)} input(s) must be placed by hand before this run (README: paper-scale data):\n"
            + "\n".join(f"  {i}. {m}" for i, m in enumerate(messages, start=1))
            + "\nPlace each at the path shown (or point the config key elsewhere), then run again.")


def main(argv=None) -> None:
    from .cli import parser
    from .config import load_config_file

    p = parser("Print the README's table of the inputs placed by hand for a config.")
    p.add_argument("config", nargs="?", default="config/paper.yaml")
    print(readme_table(load_config_file(p.parse_args(argv).config)))


if __name__ == "__main__":
    from .cli import run

    run(main)
