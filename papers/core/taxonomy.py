"""The 111 domains of papers 1-3: 14 safety (BeaverTails), 56 value (ValueCompass / Schwartz),
41 cultural (UNESCO Framework for Cultural Statistics). The abstracts say 42 cultural domains; the
authors' released data lists 41 (data/taxonomy/PROVENANCE.md), and so does pluralign.
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


def load_taxonomy(path: str | Path) -> Taxonomy:
    records = read_csv_records(path, ["dimension", "key", "name", "display_name", "paper_count"])
    domains, seen = [], set()
    for r in records:
        if r["dimension"] not in DIMENSIONS:
            raise InputError(path, f"unknown dimension {r['dimension']!r}; expected one of "
                             f"{', '.join(DIMENSIONS)}", r["_row"], r["_line"], "dimension")
        if not r["key"] or r["key"] in seen:
            raise InputError(path, f"empty or repeated key {r['key']!r}", r["_row"], r["_line"], "key")
        try:
            count = int(r["paper_count"])
        except ValueError:
            raise InputError(path, f"not an integer: {r['paper_count']!r}", r["_row"], r["_line"],
                             "paper_count") from None
        seen.add(r["key"])
        domains.append(Domain(r["dimension"], r["key"], r["name"], r["display_name"], count))
    return Taxonomy(tuple(domains))


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
    taxonomy = load_taxonomy(a.taxonomy)
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["dimension", "key", "name", "display_name", "paper_count"])
    writer.writerows([d.dimension, d.key, d.name, d.display_name, d.paper_count]
                     for d in taxonomy.domains if d.dimension in a.dimension)
    write_text(a.out, buffer.getvalue())


if __name__ == "__main__":
    main()
