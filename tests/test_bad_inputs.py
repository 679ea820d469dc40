"""The bad-input corpus: each case is one bad file (pool, taxonomy, DICES export, claims, config) and
the message it must give, naming file, row and field. Every case here failed on the code before
issue 14 (a silent wrong result, a crash with a raw exception, or a message without its place).

    pytest tests/test_bad_inputs.py -v      # lists every case by name

A case: (name, loader, file name, content, the regex its error message must match). The message is
matched after the file's path, so each regex starts where the place (row, line, field) begins.
"""
import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from papers.core.claims import claims_table, load_claims
from papers.core.config import ConfigError, load_config_file, validate_config
from papers.core.io import InputError, all_or_none, write_text
from papers.core.prompt_pool import load_prompt_pool
from papers.core.report.manifest import write_manifest
from papers.core.taxonomy import DIMENSIONS, load_taxonomy
from papers.demo_safetybench.dices import load_dices

ROOT = Path(__file__).resolve().parents[1]
TAXONOMY = load_taxonomy(ROOT / "data/taxonomy/domains.csv")
POOL_HEADER = "prompt_id,prompt,gold_domains\n"
TAXONOMY_HEADER = "dimension,key,name,display_name,paper_count\n"
WHOLE_TAXONOMY = ("safety,violence,Violence,Violence,1\nvalue,honesty,Honesty,Honest,1\n"
                  "cultural,museums,Museums,Museums,1\n")


def dices_export(**fields) -> str:
    """A one-conversation JUDGE-BENCH export whose instance has `fields` replaced."""
    instance = {"id": 6, "instance": {"user_prompt": "USER: hi", "response": "hello"},
                "annotations": {"safety": {"majority_human": "No", "individual_human_scores": ["No", "Yes", "No"]}}}
    for path, value in fields.items():
        *parents, last = path.split("__")
        node = instance
        for p in parents:
            node = node[p]
        node[last] = value
    return json.dumps({"instances": [instance]})


def claims_file(*claims: dict) -> str:
    base = {"claim": "text", "paper_value": 0.5, "table": "t.csv", "where": {"group": "a"},
            "column": "v", "reduce": "max", "test": {"approx": 0.1}}
    return json.dumps({"paper": "p", "claims": [{**base, **c} for c in claims]})


def load_pool(path):
    return load_prompt_pool(path, TAXONOMY)


def load_whole_taxonomy(path):
    return load_taxonomy(path, DIMENSIONS)


def load_config(path):
    return validate_config(load_config_file(path), str(path))


CASES = [
    # --- prompt pool, CSV ---
    ("pool csv: two prompt columns", load_pool, "pool.csv",
     "prompt_id,prompt,prompt,gold_domains\np1,first,second,\n", r"line 1, field 'prompt': column appears twice"),
    ("pool csv: NaN prompt", load_pool, "pool.csv", POOL_HEADER + "p1,fine,\np2,NaN,\n",
     r"row 2 \(line 3\), field 'prompt': prompt 'NaN' is a missing-value marker"),
    ("pool csv: field past the size limit", load_pool, "pool.csv",
     POOL_HEADER + "p1,fine,\np2," + "x" * (17 * 1024 * 1024) + ",\n",
     r"row 2 \(line 3\): unreadable CSV \(field larger than field limit"),
    ("pool csv: a row with too many fields", load_pool, "pool.csv", POOL_HEADER + "p1,a,,extra\n",
     r"row 1 \(line 2\): expected 3 fields, found 4"),
    # --- prompt pool, JSON Lines ---
    ("pool jsonl: id null", load_pool, "pool.jsonl", '{"id": null, "prompt": "x"}\n',
     r"row 1 \(line 1\), field 'id': id must be a string, not null None"),
    ("pool jsonl: id a number", load_pool, "pool.jsonl", '{"id": "a", "prompt": "x"}\n{"id": 7, "prompt": "y"}\n',
     r"row 2 \(line 2\), field 'id': id must be a string, not a number 7"),
    ("pool jsonl: prompt NaN", load_pool, "pool.jsonl", '{"id": "a", "prompt": NaN}\n',
     r"row 1 \(line 1\), field 'prompt': prompt must be text, not a number nan"),
    ("pool jsonl: prompt 'nan'", load_pool, "pool.jsonl", '{"id": "a", "prompt": " nan "}\n',
     r"row 1 \(line 1\), field 'prompt': prompt 'nan' is a missing-value marker"),
    ("pool jsonl: gold_domains null", load_pool, "pool.jsonl", '{"id": "a", "prompt": "x", "gold_domains": null}\n',
     r"row 1 \(line 1\), field 'gold_domains': gold_domains must be a list of keys"),
    # --- taxonomy ---
    ("taxonomy: two domains of one display name", load_taxonomy, "domains.csv",
     TAXONOMY_HEADER + "safety,a,A,Theft,1\nsafety,b,B,theft ,1\n",
     r"row 2 \(line 3\), field 'display_name': repeated display name 'theft' in dimension safety"),
    ("taxonomy: a key with a trailing space", load_taxonomy, "domains.csv",
     TAXONOMY_HEADER + "safety,theft,Theft,Theft,1\nsafety,theft ,Theft 2,Theft 2,1\n",
     r"row 2 \(line 3\), field 'key': repeated key 'theft'"),
    ("taxonomy: empty display name", load_taxonomy, "domains.csv", TAXONOMY_HEADER + "safety,a,A, ,1\n",
     r"row 1 \(line 2\), field 'display_name': empty"),
    ("taxonomy: negative count", load_taxonomy, "domains.csv", TAXONOMY_HEADER + "safety,a,A,A,-3\n",
     r"row 1 \(line 2\), field 'paper_count': not a count"),
    ("taxonomy: a dimension with no domains", load_whole_taxonomy, "domains.csv",
     TAXONOMY_HEADER + "safety,a,A,A,1\nvalue,b,B,B,1\n",
     r"field 'dimension': no domains of dimension\(s\) cultural"),
    # --- DICES (JUDGE-BENCH export) ---
    ("dices: instances empty", load_dices, "dices.json", '{"instances": []}',
     r"field 'instances': no conversations: the 'instances' list is empty"),
    ("dices: id a list", load_dices, "dices.json", dices_export(id=[1, 2]),
     r"row 1, field 'id': expected an integer or a string, found list \[1, 2\]"),
    ("dices: user_prompt a number", load_dices, "dices.json", dices_export(instance__user_prompt=5),
     r"row 1, field 'instance.user_prompt': expected a string, found int 5"),
    ("dices: an answer a number", load_dices, "dices.json",
     dices_export(annotations__safety__individual_human_scores=["No", 1]),
     r"row 1, field 'individual_human_scores': 1 is not one of Yes, No, Unsure"),
    ("dices: majority_human 1", load_dices, "dices.json", dices_export(annotations__safety__majority_human=1),
     r"row 1, field 'majority_human': expected a string, found int 1"),
    ("dices: majority_human Unsure", load_dices, "dices.json",
     dices_export(annotations__safety__majority_human="Unsure"),
     r"row 1, field 'majority_human': 'Unsure' is not one of Yes, No"),
    ("dices: annotations missing", load_dices, "dices.json", dices_export(annotations={}),
     r"row 1, field 'annotations.safety': missing field"),
    # --- claims.yaml ---
    ("claims: duplicate ids", load_claims, "claims.yaml", claims_file({"id": "a"}, {"id": "a"}),
     r"row 2, field 'id': repeated id 'a'"),
    ("claims: string paper_value under approx", load_claims, "claims.yaml",
     claims_file({"id": "a", "paper_value": "0.87"}),
     r"row 1, field 'paper_value': paper_value must be a number or \[low, high\] \(the approx test"),
    ("claims: string bound of above", load_claims, "claims.yaml",
     claims_file({"id": "a", "test": {"above": "0.5"}}),
     r"row 1, field 'test': the bound of 'above' must be a number, not '0.5'"),
    ("claims: YAML syntax error", load_claims, "claims.yaml", "paper: p\nclaims:\n  - id: [a\n",
     r"line 4: YAML syntax error"),
]


@pytest.mark.parametrize("name, loader, filename, content, message", CASES, ids=[c[0] for c in CASES])
def test_bad_input_gives_its_message(tmp_path, name, loader, filename, content, message):
    path = tmp_path / filename
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError) as err:
        loader(path)
    text = str(err.value)
    assert text.startswith(f"{path}, ") or text.startswith(f"{path}: "), text
    assert re.match(message, text[len(str(path)) + 2:]), text


CONFIG_CASES = [
    ("config: YAML syntax error", "scale: mini\nseed: [1, 2\n", r"line 3: YAML syntax error"),
    ("config: not a mapping", "- a\n- b\n", r"expected a mapping of config sections, found list"),
]


@pytest.mark.parametrize("name, content, message", CONFIG_CASES, ids=[c[0] for c in CONFIG_CASES])
def test_bad_config_file_names_file_and_line(tmp_path, name, content, message):
    path = tmp_path / "config.yaml"
    path.write_text(content)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert re.match(message, str(err.value)[len(str(path)) + 2:]), str(err.value)


def test_config_command_line_names_file_and_line_without_traceback(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text("scale: mini\nseed: [1, 2\n")
    result = subprocess.run([sys.executable, "-m", "papers.core.config", str(path)], capture_output=True,
                            text=True, cwd=ROOT)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.startswith(f"{path}, line 3: YAML syntax error")


# Config edits the schema must refuse: names that reach paths and shell lines, an empty cache path.
SCHEMA_CASES = [
    ("model name with a space", lambda c: c["models"].update({"my model": c["models"]["gemma-3-270m"]}),
     "models: 'my model' does not match"),
    ("model name with a slash", lambda c: c["models"].update({"org/model": c["models"]["gemma-3-270m"]}),
     "models: 'org/model' does not match"),
    ("rater name with a space", lambda c: c["demo_safetybench"]["raters"].update({"gemma 3": "score"}),
     "demo_safetybench.raters: 'gemma 3' does not match"),
    ("empty cache path", lambda c: c.update(cache=""), "cache: '' should be non-empty"),
]


@pytest.mark.parametrize("name, edit, expected", SCHEMA_CASES, ids=[c[0] for c in SCHEMA_CASES])
def test_names_and_paths_in_config_are_checked(name, edit, expected):
    config = load_config_file(ROOT / "config/config.yaml")
    edit(config)
    with pytest.raises(ConfigError) as err:
        validate_config(config, "my.yaml")
    assert expected in str(err.value)


# --- good input that the old code refused ---

def test_json_lines_with_raw_line_separators_inside_strings_load(tmp_path):
    path = tmp_path / "pool.jsonl"
    path.write_text('{"id": "a", "prompt": "one\u2028two\u0085three"}\n{"id": "b", "prompt": "x"}\n',
                    encoding="utf-8")
    pool = load_prompt_pool(path, TAXONOMY)
    assert pool["prompt"].tolist() == ["one\u2028two\u0085three", "x"]


def test_pool_loader_refuses_a_taxonomy_of_another_type(tmp_path):
    path = tmp_path / "pool.csv"
    path.write_text(POOL_HEADER + "p1,x,\n")
    with pytest.raises(TypeError, match="taxonomy must be a Taxonomy"):
        load_prompt_pool(path, TAXONOMY.keys)


def test_a_long_csv_prompt_loads(tmp_path):
    path = tmp_path / "pool.csv"
    path.write_text(POOL_HEADER + "p1," + "word " * 40_000 + ",\n")  # 200 kB, past csv's default limit
    assert len(load_prompt_pool(path, TAXONOMY).loc[0, "prompt"]) == 5 * 40_000 - 1


def test_safety_subset_of_the_taxonomy_loads_without_other_dimensions(tmp_path):
    path = tmp_path / "safety.csv"
    path.write_text(TAXONOMY_HEADER + "safety,a,A,A,1\n")
    assert load_taxonomy(path, ("safety",)).keys == ["a"]
    with pytest.raises(TypeError):
        load_taxonomy(path, "safety")  # a bare string is not a tuple of dimensions


# --- claims measured against a table ---

def test_a_claim_whose_where_selects_no_row_is_an_error(tmp_path):
    pd.DataFrame({"group": ["a"], "v": [0.5]}).to_csv(tmp_path / "t.csv", index=False)
    doc = json.loads(claims_file({"id": "x", "where": {"group": "b"}}))
    with pytest.raises(InputError, match=r"t.csv, field 'group': claim 'x': where .* selects no row"):
        claims_table(doc, "paper", tmp_path)


# --- the manifest ---

def test_manifest_refuses_a_missing_output(tmp_path):
    out = tmp_path / "manifest.json"
    with pytest.raises(InputError, match=r"missing.csv: not found"):
        write_manifest(out, "p", [], [tmp_path / "missing.csv"], {})
    assert not out.exists()


# --- command lines: the message alone, status 2; bugs keep their traceback ---

def test_step_command_line_prints_the_message_alone(tmp_path):
    bad = tmp_path / "domains.csv"
    bad.write_text(TAXONOMY_HEADER + "safety,a,A,A,1\n")
    result = subprocess.run([sys.executable, "-m", "papers.core.taxonomy", "--taxonomy", str(bad),
                             "--dimension", "safety", "--out", str(tmp_path / "out.csv")],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 2
    assert result.stderr == f"{bad}, field 'dimension': no domains of dimension(s) value, cultural; every one of " \
                            "safety, value, cultural needs at least one\n"
    assert not (tmp_path / "out.csv").exists()


def test_run_keeps_the_traceback_of_a_bug():
    from papers.core.cli import run

    def buggy(argv):
        raise KeyError("rater")

    with pytest.raises(KeyError):
        run(buggy)


# Command lines that are not DAG steps and write no step outputs: the GPU check exits 1 when a row failed,
# and its probe runs in the vllm environment, one model per process.
NOT_STEPS = {"papers/core/gpu_check.py", "papers/core/gpu_probe.py"}


def test_every_step_entry_point_goes_through_cli_run():
    for path in sorted(ROOT.glob("papers/**/*.py")):
        text = path.read_text()
        if str(path.relative_to(ROOT)) in NOT_STEPS:
            continue
        if re.search(r"^if __name__ == \"__main__\":", text, re.M):
            assert re.search(r"\brun\(main(\)|, trains=True\)|, sys\.argv\[1:\]\))", text.split('if __name__ == "__main__":')[-1]), path


# --- several outputs: all or none ---

def test_all_or_none_keeps_every_old_output_when_a_step_fails(tmp_path):
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    first.write_text("old a")
    second.write_text("old b")
    with pytest.raises(RuntimeError):
        with all_or_none():
            write_text(first, "new a")
            assert first.read_text() == "old a"  # staged, not yet in place
            write_text(second, "new b")
            raise RuntimeError("crash after both writes")
    assert first.read_text() == "old a" and second.read_text() == "old b"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv", "b.csv"]
    with all_or_none():
        write_text(first, "new a")
        write_text(first, "newer a")  # a path written twice keeps its last text
        write_text(second, "new b")
    assert first.read_text() == "newer a" and second.read_text() == "new b"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv", "b.csv"]


def test_demo_results_with_no_item_at_delta_says_so_and_writes_nothing(tmp_path):
    items = pd.DataFrame({"item_id": ["d1", "d2"], "text": ["a", "b"], "top_probability": [0.2, 0.4]})
    items.to_parquet(tmp_path / "items.parquet")
    pd.DataFrame({"item_id": ["d1"]}).to_parquet(tmp_path / "classified.parquet")
    pd.DataFrame({"item_id": ["d1"]}).to_parquet(tmp_path / "human.parquet")
    pd.DataFrame({"item_id": ["d1"], "rater": ["r"]}).to_parquet(tmp_path / "ratings.parquet")
    out = tmp_path / "out"
    out.mkdir()
    old = out / "table_domain_counts.csv"
    old.write_text("old")
    args = ["--items", tmp_path / "items.parquet", "--classified", tmp_path / "classified.parquet",
            "--taxonomy", ROOT / "data/taxonomy/domains.csv", "--human", tmp_path / "human.parquet",
            "--ratings", tmp_path / "ratings.parquet", "--axes", "gender", "--delta", "1.0", "--tau", "10",
            "--threshold", "0.5", "--headline", "r", "--sweep-delta", "1.0", "--sweep-tau", "10",
            "--scale", "test", "--out-ratings", out / "ratings.parquet", "--sweep-figure", out / "sweep",
            "--rates-figure", out / "rates"]
    for stem in ("counts", "reliability", "fairness", "agreement", "rates", "sweep"):
        args += [f"--{stem}-table", out / ("table_domain_counts" if stem == "counts" else f"table_{stem}")]
    result = subprocess.run([sys.executable, "-m", "papers.demo_safetybench.results", *map(str, args)],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 2, result.stderr
    assert "field 'top_probability': no item reaches delta = 1 (the highest top_probability is 0.400)" \
        in result.stderr and "Traceback" not in result.stderr
    assert [p.name for p in out.iterdir()] == [old.name] and old.read_text() == "old"
