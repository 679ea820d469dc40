"""The 111 domains of papers 1-3: 14 safety (BeaverTails), 56 value (ValueCompass / Schwartz),
41 cultural (UNESCO Framework for Cultural Statistics). The abstracts say 42 cultural domains; the
authors' released data lists 41 (data/taxonomy/PROVENANCE.md), and so does pluralign.

A taxonomy file is checked whole before anything uses it: every field stripped of surrounding
whitespace and non-empty, keys unique, display names unique within a dimension (a classifier given
two identical options splits the probability between them), and each dimension the caller needs
present (the shared taxonomy needs all of DIMENSIONS; Demo-SafetyBench's subset only safety).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .io import InputError, read_csv_records

# The one list of dimensions, in the order every table, figure and loop uses; other modules import
# it (or ask a loaded Taxonomy) instead of naming the dimensions again.
DIMENSIONS = ("safety", "value", "cultural")
# The wording the classifier prompt uses for each dimension's categories.
DIMENSION_QUESTIONS = {
    "safety": "Which safety risk category does this request fall under?",
    "value": "Which human value is this request mainly about?",
    "cultural": "Which cultural domain is this request mainly about?",
}


@dataclass(frozen=True)
class Domain:
    dimension: str
    key: str
    name: str
    display_name: str
    paper_count: int


@dataclass(frozen=True)
class Taxonomy:
    domains: tuple[Domain, ...]

    @property
    def keys(self) -> list[str]:
        return [d.key for d in self.domains]

    def by_key(self) -> dict[str, Domain]:
        return {d.key: d for d in self.domains}

    def of(self, dimension: str) -> list[Domain]:
        return [d for d in self.domains if d.dimension == dimension]

    def dimensions(self) -> list[str]:
        return [d for d in DIMENSIONS if self.of(d)]


def load_taxonomy(path: str | Path, dimensions: tuple[str, ...] | None = None) -> Taxonomy:
    """The taxonomy in `path`, checked whole; `dimensions`: those that must have domains (default:
    at least one domain of any dimension)."""
    if dimensions is not None and (isinstance(dimensions, str) or not set(dimensions) <= set(DIMENSIONS)):
        raise TypeError(f"dimensions must be a tuple of {', '.join(DIMENSIONS)}, not {dimensions!r}")
    records = read_csv_records(path, ["dimension", "key", "name", "display_name", "paper_count"])
    domains: list[Domain] = []
    keys: set[str] = set()
    shown: set[tuple[str, str]] = set()
    for r in records:
        where = (r["_row"], r["_line"])
        cells = {f: r[f].strip() for f in ("dimension", "key", "name", "display_name", "paper_count")}
        for field, value in cells.items():
            if not value:
                raise InputError(path, "empty", *where, field)
        if cells["dimension"] not in DIMENSIONS:
            raise InputError(path, f"unknown dimension {cells['dimension']!r}; expected one of "
                             f"{', '.join(DIMENSIONS)}", *where, "dimension")
        if cells["key"] in keys:
            raise InputError(path, f"repeated key {cells['key']!r}", *where, "key")
        # compared without case: "Animal Abuse" and "animal abuse" are the same option to a model
        option = (cells["dimension"], cells["display_name"].casefold())
        if option in shown:
            raise InputError(path, f"repeated display name {cells['display_name']!r} in dimension "
                             f"{cells['dimension']}", *where, "display_name")
        try:
            count = int(cells["paper_count"])
        except ValueError:
            count = -1
        if count < 0:
            raise InputError(path, f"not a count: {r['paper_count']!r}", *where, "paper_count")
        keys.add(cells["key"])
        shown.add(option)
        domains.append(Domain(cells["dimension"], cells["key"], cells["name"], cells["display_name"], count))
    taxonomy = Taxonomy(tuple(domains))
    missing = [d for d in (dimensions or ()) if not taxonomy.of(d)]
    if missing:
        raise InputError(path, f"no domains of dimension(s) {', '.join(missing)}; every one of "
                         f"{', '.join(dimensions)} needs at least one", field="dimension")
    return taxonomy


def main(argv=None) -> None:
    """python -m papers.core.taxonomy --taxonomy domains.csv --dimension safety --out safety.csv:
    the domains of some dimensions only (a paper that classifies into one dimension, such as
    Demo-SafetyBench's 14 safety domains), in the same format, checked on the way."""
    import argparse
    import csv
    import io

    from .io import write_text

    p = argparse.ArgumentParser(description=main.__doc__.splitlines()[0])
    p.add_argument("--taxonomy", required=True)
    p.add_argument("--dimension", nargs="+", required=True, choices=DIMENSIONS)
    p.add_argument("--out", required=True)
    a = p.parse_args(argv)
    # the shared taxonomy must be whole, so a subset is never a header-only file
    taxonomy = load_taxonomy(a.taxonomy, DIMENSIONS)
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["dimension", "key", "name", "display_name", "paper_count"])
    writer.writerows([d.dimension, d.key, d.name, d.display_name, d.paper_count]
                     for d in taxonomy.domains if d.dimension in a.dimension)
    write_text(a.out, buffer.getvalue())


if __name__ == "__main__":
    from papers.core.cli import run

    run(main)
