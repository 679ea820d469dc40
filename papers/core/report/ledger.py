"""The claims ledger: every paper's claims table in one, as results/claims.{csv,md}.

    python -m papers.core.report.ledger --tables results/*/table_claims.csv --out results/claims

Each row keeps the claim, the paper's value, the measured value, the scale, the tolerance, the
verdict and the table that measured it; a closing count says how many claims each verdict has.
"""
from __future__ import annotations

import pandas as pd

from ..io import InputError, write_text
from .tables import to_csv, to_markdown

COLUMNS = ["paper", "id", "claim", "paper value", "measured", "scale", "test", "verdict", "table"]


def ledger(paths: list[str]) -> pd.DataFrame:
    frames = []
    for path in paths:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        missing = [c for c in COLUMNS if c not in frame.columns]
        if missing:
            raise InputError(path, f"missing column(s) {', '.join(missing)}", field=missing[0])
        frames.append(frame[COLUMNS])
    if not frames:
        raise ValueError("no claims tables given")
    return pd.concat(frames, ignore_index=True)


def main(argv=None) -> None:
    from ..cli import parser

    p = parser(__doc__)
    p.add_argument("--tables", nargs="+", required=True)
    p.add_argument("--out", required=True, help="stem: <stem>.csv and <stem>.md are written")
    a = p.parse_args(argv)
    table = ledger(a.tables)
    counts = table["verdict"].value_counts().to_dict()
    summary = ", ".join(f"{n} {verdict}" for verdict, n in sorted(counts.items()))
    write_text(f"{a.out}.csv", to_csv(table, 3))
    write_text(f"{a.out}.md", to_markdown(table, 3, f"Claims ledger: {len(table)} claims ({summary})."))


if __name__ == "__main__":
    from papers.core.cli import run

    run(main)
