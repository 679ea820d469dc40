"""Claims: each number a paper's abstract states, next to the table cell the DAG measures it with.

    python -m papers.core.claims --claims papers/<paper>/claims.yaml --scale mini --out results/<paper>/table_claims

A paper's claims.yaml:

    paper: <title and arXiv id>
    claims:
      - id: coverage_up_to
        claim: Single-dimension models reach Coverage up to 97.6% under joint conditions.
        paper_value: 0.976               # a number, or [low, high] for a range (or, for the tests
                                         # other than approx, a direction in words: "> 0")
        table: results/misalign_bench/table_main_results.csv
        where: {group: single_dimension, dimension: joint}   # the rows that measure it (a list: any of)
        column: coverage_mean
        reduce: max                      # max | min | mean | sum | count | range | value (one row)
        baseline:                        # optional: measured = reduce(rows) - reduce(baseline rows)
          where: {group: general, dimension: joint}
          reduce: mean
        test: {approx: 0.03}             # approx: |m - v| <= t; above / below: m > t / m < t;
                                         # at_least / at_most: m >= t / m <= t (a claim that says
                                         # ">= 0.75" must not be tested with >);
                                         # within: [lo, hi] (a range must fall inside it)
        comparable_at: [paper]           # scales at which the test is meaningful (default: paper)

Verdicts: reproduced, not reproduced, or "not comparable at <scale> scale" (the measured value is
still shown), or "not measured" where the matching rows hold no value (NaN). A `where` that selects
no row at all is an error: a misspelt selector must not pass as "not measured".

A claims file is checked whole when loaded: a YAML syntax error names its line; ids are unique;
the test bounds are numbers, and so is paper_value where the approx test compares with it (a string
such as "0.87" there is an error, not a crash).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import yaml

from .config import yaml_syntax_message
from .io import InputError, read_text

REDUCERS = {"max": max, "min": min, "sum": sum, "mean": lambda v: sum(v) / len(v), "count": len}
TESTS = ("approx", "above", "below", "at_least", "at_most", "within")


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
    try:
        doc = yaml.safe_load(read_text(path))
    except yaml.YAMLError as err:
        line, message = yaml_syntax_message(err)
        raise InputError(path, message, line=line) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("claims"), list) or not doc["claims"]:
        raise InputError(path, "expected a mapping with 'paper' and a non-empty list 'claims'")
    ids: set = set()
    for i, claim in enumerate(doc["claims"], start=1):
        if not isinstance(claim, dict):
            raise InputError(path, "a claim must be a mapping", row=i)
        for field in ("id", "claim", "paper_value", "table", "column", "reduce", "test"):
            if field not in claim:
                raise InputError(path, "missing field", row=i, field=field)
        if not isinstance(claim["id"], str) or not claim["id"]:
            raise InputError(path, f"id must be a non-empty string, not {claim['id']!r}", row=i, field="id")
        if claim["id"] in ids:
            raise InputError(path, f"repeated id {claim['id']!r}", row=i, field="id")
        ids.add(claim["id"])
        if claim["reduce"] not in (*REDUCERS, "range", "value"):
            raise InputError(path, f"unknown reduce {claim['reduce']!r}", row=i, field="reduce")
        test = claim["test"]
        if not isinstance(test, dict) or len(test) != 1 or next(iter(test)) not in TESTS:
            raise InputError(path, f"test must be one of {', '.join(TESTS)}", row=i, field="test")
        kind, bound = next(iter(test.items()))
        # approx compares with paper_value, so it needs a number; the other tests carry their own
        # bound and paper_value may state the direction in words ("> 0")
        value = claim["paper_value"]
        if not (_is_value(value) or (kind != "approx" and isinstance(value, str) and value.strip())):
            raise InputError(path, f"paper_value must be a number or [low, high]"
                             f"{' (the approx test compares with it)' if kind == 'approx' else ' or a direction in words'}"
                             f", not {value!r}", row=i, field="paper_value")
        if not (_is_range(bound) if kind == "within" else _is_number(bound)):
            raise InputError(path, f"the bound of '{kind}' must be "
                             f"{'[low, high]' if kind == 'within' else 'a number'}, not {bound!r}",
                             row=i, field="test")
        for field, where in (("where", claim.get("where")),
                             ("baseline", claim.get("baseline"))):
            if where is not None and not isinstance(where, dict):
                raise InputError(path, "must be a mapping", row=i, field=field)
    return doc


def _is_number(value) -> bool:
    # bool is an int to Python, but `paper_value: yes` is no number
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_range(value) -> bool:
    return isinstance(value, list) and len(value) == 2 and all(map(_is_number, value))


def _is_value(value) -> bool:
    return _is_number(value) or _is_range(value)


def _cell_text(claim: dict) -> str:
    """Which cells a claim reads, for the claims table: "column (reduce)", and "where ..." if it selects rows."""
    where = ", ".join(f"{k}={v}" for k, v in (claim.get("where") or {}).items())
    return f"{claim['column']} ({claim['reduce']})" + (f" where {where}" if where else "")


def _select(table: pd.DataFrame, where: dict, column: str, source, claim_id: str = "") -> list[float]:
    rows = table
    for field, wanted in (where or {}).items():
        if field not in rows.columns:
            raise InputError(source, f"no column {field!r} to select rows by", field=field)
        allowed = [str(w) for w in wanted] if isinstance(wanted, list) else [str(wanted)]
        rows = rows[rows[field].astype(str).isin(allowed)]
        if rows.empty:
            raise InputError(source, f"claim {claim_id!r}: where {where} selects no row (no "
                             f"{field} among {', '.join(allowed)})", field=field)
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
    value = _reduce(_select(table, claim.get("where"), claim["column"], path, claim["id"]), claim["reduce"], path)
    base = claim.get("baseline")
    if base is not None and value is not None:
        reference = _reduce(_select(table, base.get("where"), base.get("column", claim["column"]), path,
                                    claim["id"]), base.get("reduce", "mean"), path)
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
    if kind == "at_least":
        return lo >= bound
    if kind == "at_most":
        return hi <= bound
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
            "at_least": f">= {bound}", "at_most": f"<= {bound}",
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
                     "cell": _cell_text(claim)})
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
    from papers.core.cli import run

    run(main)
