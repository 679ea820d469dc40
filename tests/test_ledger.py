"""The claims ledger gathers every module's claims table and says which file lacks what."""
import pandas as pd
import pytest

from papers.core.io import InputError
from papers.core.report.ledger import COLUMNS, ledger, main


def claims_csv(path, paper, verdicts):
    rows = [{c: f"{c}-{i}" for c in COLUMNS} | {"paper": paper, "verdict": v} for i, v in enumerate(verdicts)]
    pd.DataFrame(rows).assign(cell="x").to_csv(path, index=False)
    return str(path)


def test_ledger_concatenates_in_order_and_counts_verdicts(tmp_path):
    a = claims_csv(tmp_path / "a.csv", "P1", ["reproduced", "not comparable at mini scale"])
    b = claims_csv(tmp_path / "b.csv", "P2", ["not reproduced"])
    table = ledger([a, b])
    assert table["paper"].tolist() == ["P1", "P1", "P2"] and list(table.columns) == COLUMNS
    main(["--tables", a, b, "--out", str(tmp_path / "claims")])
    md = (tmp_path / "claims.md").read_text()
    assert md.startswith("Claims ledger: 3 claims (1 not comparable at mini scale, 1 not reproduced, 1 reproduced).")
    assert pd.read_csv(tmp_path / "claims.csv").shape == (3, len(COLUMNS))


def test_a_table_without_the_columns_names_the_file(tmp_path):
    bad = tmp_path / "bad.csv"
    pd.DataFrame({"paper": ["x"]}).to_csv(bad, index=False)
    with pytest.raises(InputError, match=r"bad.csv, field 'id': missing column"):
        ledger([str(bad)])
