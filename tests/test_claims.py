"""Claims: measurement from table cells, the tests, verdicts per scale, and bad claim files."""
from pathlib import Path

import pandas as pd
import pytest
import yaml

from papers.core.claims import claims_table, load_claims, measure, verdict
from papers.core.io import InputError

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def root(tmp_path):
    pd.DataFrame({"group": ["single", "single", "general"], "dimension": ["joint"] * 3,
                  "cov": [0.9, 0.97, 0.6], "ffr": [0.55, 0.62, 0.3],
                  "empty": [float("nan")] * 3}).to_csv(tmp_path / "t.csv", index=False)
    return tmp_path


def claim(**kw):
    base = {"id": "c", "claim": "text", "paper_value": 0.976, "table": "t.csv",
            "where": {"group": "single"}, "column": "cov", "reduce": "max", "test": {"approx": 0.01}}
    return {**base, **kw}


def test_measure_reduces_the_selected_cells(root):
    assert measure(claim(), root).value == 0.97
    assert measure(claim(reduce="range", column="ffr"), root).value == (0.55, 0.62)
    assert measure(claim(reduce="count"), root).value == 2
    diff = measure(claim(column="ffr", reduce="mean", baseline={"where": {"group": "general"}}), root)
    assert diff.value == pytest.approx(0.585 - 0.3)
    with pytest.raises(InputError, match=r"t.csv, field 'group': claim 'c': where .* selects no row"):
        measure(claim(where={"group": "nobody"}), root)  # a misspelt selector is an error, not "not measured"
    assert measure(claim(where={"group": ["single", "general"]}, reduce="min"), root).value == 0.6


def test_verdicts(root):
    assert verdict(claim(comparable_at=["mini"]), measure(claim(), root), "mini") == "reproduced"
    assert verdict(claim(), measure(claim(), root), "mini") == "not comparable at mini scale"
    off = claim(paper_value=0.5, comparable_at=["paper"])
    assert verdict(off, measure(off, root), "paper") == "not reproduced"
    above = claim(column="ffr", reduce="min", test={"above": 0.5})
    assert verdict(above, measure(above, root), "paper") == "reproduced"
    rng = claim(column="ffr", reduce="range", test={"within": [0.6, 0.7]})
    assert verdict(rng, measure(rng, root), "paper") == "not reproduced"  # 0.55 falls outside
    unmeasured = claim(column="empty")  # rows selected, but no value in them
    assert verdict(unmeasured, measure(unmeasured, root), "paper") == "not measured"


def test_bad_claim_files_name_the_claim_and_field(tmp_path):
    path = tmp_path / "claims.yaml"
    path.write_text(yaml.safe_dump({"paper": "p", "claims": [claim(), {**claim(id="d"), "reduce": "median"}]}))
    with pytest.raises(InputError, match=r"claims.yaml, row 2, field 'reduce': unknown reduce"):
        load_claims(path)
    path.write_text(yaml.safe_dump({"paper": "p", "claims": [{"id": "x"}]}))
    with pytest.raises(InputError, match="row 1, field 'claim': missing field"):
        load_claims(path)


def test_unknown_column_names_the_table(root):
    with pytest.raises(InputError, match=r"t.csv, field 'as': no column 'as'"):
        measure(claim(column="as"), root)


def test_every_module_claims_file_loads_and_points_at_a_table_the_dag_writes():
    for path in sorted(ROOT.glob("papers/*/claims.yaml")):
        doc = load_claims(path)
        for c in doc["claims"]:
            assert c["table"].startswith(f"results/{path.parent.name}/"), (path, c["id"])


def test_claims_table_columns(root):
    table = claims_table({"paper": "p", "claims": [claim()]}, "paper", root)
    assert table.loc[0, ["paper value", "measured", "verdict"]].tolist() == ["0.976", "0.970", "reproduced"]


def test_at_least_and_at_most_include_the_bound(root):
    edge = claim(column="ffr", reduce="min", test={"at_least": 0.55}, paper_value=">= 0.55")
    assert verdict(edge, measure(edge, root), "paper") == "reproduced"  # 0.55 >= 0.55, where "above" says no
    assert verdict({**edge, "test": {"above": 0.55}}, measure(edge, root), "paper") == "not reproduced"
    top = claim(column="ffr", reduce="max", test={"at_most": 0.62}, paper_value="<= 0.62")
    assert verdict(top, measure(top, root), "paper") == "reproduced"
    assert claims_table({"paper": "p", "claims": [edge]}, "paper", root).loc[0, "test"] == ">= 0.55"


SIGN_TESTS = {">=": "at_least", "<=": "at_most", ">": "above", "<": "below"}


def test_a_direction_in_words_is_tested_with_the_same_comparison():
    # reliability_high said ">= 0.75" and tested ">": the words and the test must agree
    for path in sorted(ROOT.glob("papers/*/claims.yaml")):
        for c in load_claims(path)["claims"]:
            words = c["paper_value"]
            if isinstance(words, str):
                sign = next(s for s in SIGN_TESTS if words.strip().startswith(s))
                assert next(iter(c["test"])) == SIGN_TESTS[sign], (path.parent.name, c["id"])


def module_claim(paper: str, claim_id: str) -> dict:
    return next(c for c in load_claims(ROOT / f"papers/{paper}/claims.yaml")["claims"] if c["id"] == claim_id)


def write_at(root: Path, claim_: dict, frame: pd.DataFrame) -> None:
    (root / claim_["table"]).parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(root / claim_["table"], index=False)


def test_direction_claims_a_laptop_can_answer(tmp_path):
    coverage = module_claim("misalign_bench", "single_dimension_coverage_above_general")
    write_at(tmp_path, coverage, pd.DataFrame({
        "group": ["single_dimension", "single_dimension", "general", "general"], "dimension": "joint",
        "coverage_mean": [0.9, 0.7, 0.6, 0.4]}))
    assert measure(coverage, tmp_path).value == pytest.approx(0.3)
    assert verdict(coverage, measure(coverage, tmp_path), "mini") == "reproduced"
    drops = module_claim("misalign_profile", "tradeoff_drops_positive")
    nan = float("nan")  # a pair left out of the range (too few joint items) must not decide the sign
    write_at(tmp_path, drops, pd.DataFrame({"detector": "m", "drop": [0.2, -0.5, 0.1],
                                            "range_drop": [0.2, nan, 0.1]}))
    assert verdict(drops, measure(drops, tmp_path), "mini") == "reproduced"


def test_the_claims_table_names_the_cells_it_read():
    from papers.core.claims import _cell_text

    assert _cell_text({"column": "difference", "reduce": "mean"}) == "difference (mean)"
    assert _cell_text({"column": "f1", "reduce": "max", "where": {"kind": "model", "variant": "full"}}) == \
        "f1 (max) where kind=model, variant=full"
