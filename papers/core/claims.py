"""Claims: each number a paper's abstract states, next to the table cell the DAG measures it with.

    python -m papers.core.claims --claims papers/<paper>/claims.yaml --scale mini --out results/<paper>/table_claims

A paper's claims.yaml:

    paper: <title and arXiv id>
    claims:
      - id: coverage_up_to
        claim: Single-dimension models reach Coverage up to 97.6% under joint conditions.
        paper_value: 0.976               # a number, or [low, high] for a range
        table: results/misalign_bench/table_main_results.csv
        where: {group: single_dimension, dimension: joint}   # the rows that measure it (a list: any of)
        column: coverage_mean
        reduce: max                      # max | min | mean | sum | count | range | value (one row)
        baseline:                        # optional: measured = reduce(rows) - reduce(baseline rows)
          where: {group: general, dimension: joint}
          reduce: mean
        test: {approx: 0.03}             # approx: |m - v| <= t; above / below: m > t / m < t;
                                         # within: [lo, hi] (a range must fall inside it)
        comparable_at: [paper]           # scales at which the test is meaningful (default: paper)

Verdicts: reproduced, not reproduced, or "not comparable at <scale> scale" (the measured value is
still shown), or "not measured" where the table has no matching rows.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import yaml

from .io import InputError, read_text

REDUCERS = {"max": max, "min": min, "sum": sum, "mean": lambda v: sum(v) / len(v), "count": len}
TESTS = ("approx", "above", "below", "within")


@dataclass(frozen=True)
class Measured:
    value: float | tuple[float, float] | None

    def text(self, digits: int = 3) -> str:
        if self.value is None:
            return ""
        if isinstance(self.value, tuple):
            return f"{self.value[0]:.{digits}f} - {self.value[1]:.{digits}f}"
        return f"{self.value:.{digits}f}" if not float(self.value).is_integer() else f"{int(self.value):,}"


def load_claims(path: str | Path) -> dict:
    doc = yaml.safe_load(read_text(path))
    if not isinstance(doc, dict) or not isinstance(doc.get("claims"), list) or not doc["claims"]:
        raise InputError(path, "expected a mapping with 'paper' and a non-empty list 'claims'")
    for i, claim in enumerate(doc["claims"], start=1):
        for field in ("id", "claim", "paper_value", "table", "column", "reduce", "test"):
            if field not in claim:
                raise InputError(path, "missing field", row=i, field=field)
        if claim["reduce"] not in (*REDUCERS, "range", "value"):
            raise InputError(path, f"unknown reduce {claim['reduce']!r}", row=i, field="reduce")
        if len(claim["test"]) != 1 or next(iter(claim["test"])) not in TESTS:
            raise InputError(path, f"test must be one of {', '.join(TESTS)}", row=i, field="test")
    return doc


def _select(table: pd.DataFrame, where: dict, column: str, source) -> list[float]:
    rows = table
    for field, wanted in (where or {}).items():
        if field not in rows.columns:
            raise InputError(source, f"no column {field!r} to select rows by", field=field)
        allowed = [str(w) for w in wanted] if isinstance(wanted, list) else [str(wanted)]
        rows = rows[rows[field].astype(str).isin(allowed)]
    if column not in table.columns:
        raise InputError(source, f"no column {column!r}", field=column)
    return [float(v) for v in rows[column] if not pd.isna(v)]


def _reduce(values: list[float], how: str, source):
    if not values:
        return None
    if how == "range":
        return (min(values), max(values))
    if how == "value":
        if len(values) != 1:
            raise InputError(source, f"reduce 'value' needs exactly one row, found {len(values)}")
        return values[0]
    return float(REDUCERS[how](values))


def measure(claim: dict, root: Path = Path(".")) -> Measured:
    path = root / claim["table"]
    table = pd.read_csv(path)
    value = _reduce(_select(table, claim.get("where"), claim["column"], path), claim["reduce"], path)
    base = claim.get("baseline")
    if base is not None and value is not None:
        reference = _reduce(_select(table, base.get("where"), base.get("column", claim["column"]), path),
                            base.get("reduce", "mean"), path)
        value = None if reference is None else value - reference
    return Measured(value)


def passes(test: dict, measured, paper_value) -> bool:
    kind, bound = next(iter(test.items()))
    lo, hi = measured if isinstance(measured, tuple) else (measured, measured)
    if kind == "approx":
        target = paper_value if not isinstance(paper_value, list) else sum(paper_value) / 2
        return abs(lo - target) <= bound and abs(hi - target) <= bound
    if kind == "above":
        return lo > bound
    if kind == "below":
        return hi < bound
    return bound[0] <= lo and hi <= bound[1]


def verdict(claim: dict, measured: Measured, scale: str) -> str:
    if measured.value is None:
        return "not measured"
    if scale not in claim.get("comparable_at", ["paper"]):
        return f"not comparable at {scale} scale"
    value = measured.value
    if isinstance(value, float) and math.isnan(value):
        return "not measured"
    return "reproduced" if passes(claim["test"], value, claim["paper_value"]) else "not reproduced"


def _paper_text(value) -> str:
    return f"{value[0]} - {value[1]}" if isinstance(value, list) else str(value)


def _test_text(test: dict) -> str:
    kind, bound = next(iter(test.items()))
    return {"approx": f"within ±{bound}", "above": f"> {bound}", "below": f"< {bound}",
            "within": f"in [{bound[0] if isinstance(bound, list) else bound}, "
                      f"{bound[1] if isinstance(bound, list) else bound}]"}[kind]


def claims_table(doc: dict, scale: str, root: Path = Path(".")) -> pd.DataFrame:
    rows = []
    for claim in doc["claims"]:
        m = measure(claim, root)
        rows.append({"paper": doc.get("paper", ""), "id": claim["id"], "claim": claim["claim"],
                     "paper value": _paper_text(claim["paper_value"]), "measured": m.text(),
                     "scale": scale, "test": _test_text(claim["test"]),
                     "verdict": verdict(claim, m, scale), "table": claim["table"],
                     "cell": f"{claim['column']} ({claim['reduce']}) where "
                             + ", ".join(f"{k}={v}" for k, v in (claim.get("where") or {}).items())})
    return pd.DataFrame(rows)


def main(argv=None) -> None:
    from .cli import parser
    from .report.tables import write_table

    p = parser(__doc__)
    p.add_argument("--claims", required=True)
    p.add_argument("--scale", required=True)
    p.add_argument("--out", required=True, help="table stem (.csv, .md, .tex are written)")
    a = p.parse_args(argv)
    doc = load_claims(a.claims)
    write_table(claims_table(doc, a.scale), a.out,
                caption=f"Claims of {doc.get('paper', a.claims)} next to what the DAG measured ({a.scale} scale).")


if __name__ == "__main__":
    main()
