"""Tables and figures: the three formats say the same thing, and two runs are byte-identical."""
import hashlib
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from papers.core.report import save_figure, write_manifest, write_table
from papers.core.report.figures import new_figure

ROOT = Path(__file__).resolve().parents[1]


def frame():
    return pd.DataFrame({"Model": ["a_b", "c&d"], "AS": [0.66123, np.nan], "n": [3, 4]})


def test_table_formats(tmp_path):
    paths = write_table(frame(), tmp_path / "t", caption="Main 50% results", digits=2)
    assert [p.suffix for p in paths] == [".csv", ".md", ".tex"]
    assert (tmp_path / "t.csv").read_text() == "Model,AS,n\na_b,0.66,3\nc&d,,4\n"
    md = (tmp_path / "t.md").read_text()
    assert "| Model | AS | n |\n|---|---:|---:|\n| a_b | 0.66 | 3 |\n| c&d |  | 4 |\n" in md
    tex = (tmp_path / "t.tex").read_text()
    assert r"a\_b & 0.66 & 3 \\" in tex and r"c\&d &  & 4 \\" in tex
    assert r"\caption{Main 50\% results}" in tex and r"\label{tab:t}" in tex


def _figure(stem):
    fig, ax = new_figure(3, 2)
    ax.bar(["x", "y"], [1, 2])
    ax.set_title("t")
    return save_figure(fig, stem)


def digest(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def test_two_processes_write_byte_identical_tables_and_figures(tmp_path):
    code = ("import sys; sys.path.insert(0, {root!r}); from tests.test_report import frame, _figure;"
            "from papers.core.report import write_table; d = sys.argv[1];"
            "write_table(frame(), d + '/t', caption='c'); _figure(d + '/f')").format(root=str(ROOT))
    for run in ("one", "two"):
        (tmp_path / run).mkdir()
        subprocess.run([sys.executable, "-c", code, str(tmp_path / run)], check=True)
    names = sorted(p.name for p in (tmp_path / "one").iterdir())
    assert names == ["f.pdf", "f.png", "t.csv", "t.md", "t.tex"]
    for name in names:
        assert digest(tmp_path / "one" / name) == digest(tmp_path / "two" / name), name
    pdf = (tmp_path / "one" / "f.pdf").read_bytes()
    assert b"CreationDate" not in pdf and b"Matplotlib" not in pdf


def test_manifest_records_hashes_and_versions(tmp_path):
    out = write_table(frame(), tmp_path / "t")
    manifest = write_manifest(tmp_path / "m.json", "demo", [ROOT / "data/taxonomy/domains.csv"], out,
                              {"delta": 0.5}, {"seed": 42})
    assert manifest["outputs"][str(out[0])] == digest(out[0])
    assert manifest["config"] == {"delta": 0.5} and manifest["seeds"] == {"seed": 42}
    assert {"torch", "transformers", "python"} <= set(manifest["packages"])
    assert len(manifest["code"]["commit"] or "x" * 40) == 40


def test_the_manifest_commit_is_none_where_git_is_absent(tmp_path, monkeypatch):
    from papers.core.report.manifest import git_commit

    assert git_commit(tmp_path) == {"commit": None, "dirty": None}  # not a checkout
    monkeypatch.setenv("PATH", str(tmp_path))  # no git at all, as in the container images
    assert git_commit(".") == {"commit": None, "dirty": None}
