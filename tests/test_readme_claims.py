"""The READMEs' claims tables are generated: each block is what its committed snapshot renders to,
the snapshot holds today's claims, and a snapshot taken from a measured table shows its numbers."""
import json

import pandas as pd
import pytest

from papers.core.claims import claims_table, load_claims
from papers.core.io import InputError
from papers.core.report.readme_claims import (BEGIN, END, PLACEHOLDER, current_block, main, papers_with_readme,
                                              read_snapshot, render, replace_block, take_snapshot)
from tests.test_inputs import ROOT

PAPERS = papers_with_readme(ROOT)


def test_every_paper_with_claims_has_a_readme_block():
    assert {p.name for p in PAPERS} >= {"misalign_bench", "misalign_profile", "demo_safetybench"}


@pytest.mark.parametrize("paper", PAPERS, ids=lambda p: p.name)
def test_readme_block_is_exactly_the_rendered_snapshot(paper):
    # a hand edit of a README number, or a snapshot committed without its README, fails here
    assert current_block(paper / "README.md") == render(*read_snapshot(paper))


@pytest.mark.parametrize("paper", PAPERS, ids=lambda p: p.name)
def test_snapshot_holds_the_claims_of_claims_yaml(paper):
    # a claim added, removed or retested since the last run must come with a new snapshot
    # (`--placeholder <paper>` until a mini run measures it)
    snapshot, meta = read_snapshot(paper)
    ids = [c["id"] for c in load_claims(paper / "claims.yaml")["claims"]]
    assert snapshot["id"].tolist() == ids
    assert set(snapshot["scale"]) == {"mini"}
    assert meta.get("status") == PLACEHOLDER or {"date", "commit"} <= set(meta)


def test_a_measured_snapshot_renders_its_numbers_and_run(tmp_path):
    pd.DataFrame({"group": ["a", "b"], "x": [0.5, 0.25]}).to_csv(tmp_path / "t.csv", index=False)
    doc = {"paper": "p", "claims": [
        {"id": "half", "claim": "x is 0.5", "paper_value": 0.5, "table": "t.csv", "where": {"group": "a"},
         "column": "x", "reduce": "value", "test": {"approx": 0.01}, "comparable_at": ["mini"]}]}
    claims_table(doc, "mini", tmp_path).to_csv(tmp_path / "table_claims.csv", index=False)
    paper = tmp_path / "papers/p"
    table, meta = take_snapshot(paper, tmp_path / "table_claims.csv", date="2026-12-01")
    block = render(table, meta)
    assert "| half | 0.5 | within ±0.01 | 0.500 | reproduced |" in block  # "0.500" kept as text
    assert block.startswith(BEGIN) and block.endswith(END) and "mini run of 2026-12-01 at commit" in block
    assert json.loads((paper / "measured/claims_mini.json").read_text())["date"] == "2026-12-01"


def test_cli_writes_snapshot_and_readme_then_check_passes(tmp_path):
    paper = tmp_path / "papers/p"
    paper.mkdir(parents=True)
    (paper / "claims.yaml").write_text("paper: p\nclaims:\n  - {id: n, claim: c, paper_value: 1, table: t.csv,"
                                       " column: x, reduce: max, test: {approx: 0}}\n")
    (paper / "README.md").write_text(f"# p\n\n{BEGIN}\nhand-typed 0.9\n{END}\n\nmore\n")
    pd.DataFrame({"paper": ["p"], "id": ["n"], "claim": ["c"], "paper value": ["1"], "measured": ["1"],
                  "scale": ["mini"], "test": ["within ±0"], "verdict": ["reproduced"]}).to_csv(
        tmp_path / "results_p.csv", index=False)
    (tmp_path / "results/p").mkdir(parents=True)
    (tmp_path / "results_p.csv").rename(tmp_path / "results/p/table_claims.csv")
    main([str(tmp_path / "results"), "--root", str(tmp_path)])
    text = (paper / "README.md").read_text()
    assert "hand-typed" not in text and "| n | 1 | within ±0 | 1 | reproduced |" in text and text.endswith("more\n")
    main(["--check", "--root", str(tmp_path)])
    (paper / "README.md").write_text(text.replace("| 1 | reproduced", "| 0.9 | reproduced"))
    with pytest.raises(SystemExit, match="differ from their snapshots"):
        main(["--check", "--root", str(tmp_path)])


def test_paper_scale_tables_and_missing_markers_are_refused(tmp_path):
    pd.DataFrame({"id": ["n"], "scale": ["paper"]}).to_csv(tmp_path / "c.csv", index=False)
    with pytest.raises(InputError, match="field 'scale': README claims tables show mini-scale runs"):
        take_snapshot(tmp_path, tmp_path / "c.csv")
    with pytest.raises(InputError, match="expected one <!-- claims:begin -->"):
        replace_block("# no markers\n", "x", "README.md")
