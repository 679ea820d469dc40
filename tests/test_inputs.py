"""Bad input stops with an error naming file, row and field; nothing partial is written."""
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from papers.core.config import ConfigError, validate_config
from papers.core.construct import reclassify
from papers.core.io import InputError, atomic_path, remove_partials, write_text
from papers.core.prompt_pool import load_prompt_pool
from papers.core.taxonomy import load_taxonomy

ROOT = Path(__file__).resolve().parents[1]
TAXONOMY = load_taxonomy(ROOT / "data/taxonomy/domains.csv")


def write(tmp_path, name, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("data, row, field, words", [
    (b"prompt_id,prompt\np1,hello\n", None, "gold_domains", "missing column"),
    (b"", None, None, "empty"),
    (b"prompt_id,prompt,gold_domains\np1,fine,\np2,caf\xe9 au lait,\n", None, None, "invalid UTF-8"),
    (b"prompt_id,prompt,gold_domains\np1,fine,\np2,bad label,museums;not_a_domain\n", 2,
     "gold_domains", "unknown taxonomy label"),
    (b"prompt_id,prompt,gold_domains\np1,fine,\np1,again,\n", 2, "prompt_id", "repeated id"),
    (b"prompt_id,prompt,gold_domains\np1,,\n", 1, "prompt", "empty prompt"),
])
def test_bad_pool_csv_names_file_row_field(tmp_path, data, row, field, words):
    path = write(tmp_path, "pool.csv", data)
    with pytest.raises(InputError) as err:
        load_prompt_pool(path, TAXONOMY)
    message = str(err.value)
    assert message.startswith(str(path)) and words in message
    if row is not None:
        assert f"row {row} (line {row + 1})" in message
    if field is not None:
        assert f"field '{field}'" in message
    if "UTF-8" in words:
        assert "line 3" in message


def test_bad_pool_jsonl_names_line_and_field(tmp_path):
    path = write(tmp_path, "pool.jsonl", b'{"id": "a", "prompt": "x"}\n{"id": "b"}\n')
    with pytest.raises(InputError, match=r"row 2 \(line 2\), field 'prompt': missing field"):
        load_prompt_pool(path, TAXONOMY)
    path = write(tmp_path, "pool2.jsonl", b'{"id": "a", "prompt": "x"}\n{"id": "b", \n')
    with pytest.raises(InputError, match=r"row 2 \(line 2\): malformed JSON"):
        load_prompt_pool(path, TAXONOMY)


def test_paper_format_fixture_loads():
    pool = load_prompt_pool(ROOT / "data/prompt_pool/paper_format_fixture.jsonl", TAXONOMY)
    mini = load_prompt_pool(ROOT / "data/prompt_pool/mini_pool.csv", TAXONOMY).set_index("prompt_id")
    assert len(pool) == 6
    for pid, prompt in zip(pool["prompt_id"], pool["prompt"]):
        assert mini.loc[pid, "prompt"] == prompt


def test_failed_step_leaves_no_partial_output(tmp_path):
    pool = write(tmp_path, "pool.csv", b"prompt_id,prompt,gold_domains\np1,x,nope\n")
    out = tmp_path / "out" / "classified.parquet"
    cmd = [sys.executable, "-m", "papers.core.construct.reclassify", "--pool", str(pool),
           "--taxonomy", str(ROOT / "data/taxonomy/domains.csv"), "--delta", "0.5",
           "--classifier", '{"backend": "hf", "model": "unused", "revision": "x", "dtype": "float32"}',
           "--cache", str(tmp_path / "c.sqlite"), "--out", str(out)]
    result = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    assert result.returncode != 0
    assert "row 1 (line 2), field 'gold_domains': unknown taxonomy label(s) 'nope'" in result.stderr
    assert not out.exists() and not list(tmp_path.glob("out/*"))


def test_atomic_path_keeps_old_file_on_error(tmp_path):
    target = tmp_path / "table.csv"
    target.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("crash")
    assert target.read_text() == "old" and list(tmp_path.iterdir()) == [target]


def test_atomic_writes_get_the_usual_file_mode(tmp_path):
    import os

    mask = os.umask(0o022)
    try:
        write_text(tmp_path / "table.csv", "x")
        assert (tmp_path / "table.csv").stat().st_mode & 0o777 == 0o644  # readable by the group, as open() makes it
    finally:
        os.umask(mask)


def test_what_a_killed_writer_left_goes_with_the_next_write(tmp_path):
    target = tmp_path / "table.csv"
    code = ("import os, signal, sys; sys.path.insert(0, sys.argv[2]); from papers.core.io import atomic_path\n"
            "with atomic_path(sys.argv[1]) as tmp:\n"
            "    tmp.write_text('half')\n"
            "    os.kill(os.getpid(), signal.SIGKILL)")
    killed = subprocess.run([sys.executable, "-c", code, str(target), str(ROOT)])
    assert killed.returncode == -9
    assert not target.exists() and len(list(tmp_path.iterdir())) == 1  # the half-written temporary file
    write_text(target, "new")
    assert target.read_text() == "new" and list(tmp_path.iterdir()) == [target]


def test_remove_partials_takes_only_what_belongs_to_its_path(tmp_path):
    (tmp_path / ".run0.k2j4.partial").mkdir()  # a LoRA adapter directory cut short
    (tmp_path / ".run0.k2j4.partial" / "adapter_model.safetensors").write_bytes(b"half")
    keep = [tmp_path / "run0", tmp_path / ".run1.k2j4.partial", tmp_path / ".run0.notes"]
    for path in keep:
        path.mkdir()
    remove_partials(tmp_path / "run0")
    assert sorted(tmp_path.iterdir()) == sorted(keep)


def load_config():
    return yaml.safe_load((ROOT / "config/config.yaml").read_text())


@pytest.mark.parametrize("path", ["config/config.yaml", "config/paper.yaml"])
def test_shipped_configs_are_valid(path):
    validate_config(yaml.safe_load((ROOT / path).read_text()), path)


@pytest.mark.parametrize("edit, expected", [
    (lambda c: c["construct"].update(delta=1.5), "construct.delta: 1.5 is greater than the maximum of 1"),
    (lambda c: c["construct"].pop("prompt_pool"), "construct: 'prompt_pool' is a required property"),
    (lambda c: c["models"]["gemma-3-270m"].update(backend="tgi"), "models.gemma-3-270m.backend: 'tgi' is not one of"),
    (lambda c: c["roles"].update(judge="gpt-9"), "roles.judge: 'gpt-9' is not a model of the registry"),
    (lambda c: c.update(sede=1), "Additional properties are not allowed ('sede' was unexpected)"),
    # every field the schema marks as naming a registry model is checked, keys included
    (lambda c: c["misalign_profile"]["generators"].update({"gpt-9": "gemma-3-270m"}),
     "misalign_profile.generators.gpt-9: 'gpt-9' is not a model of the registry"),
    (lambda c: c["misalign_bench"]["single_dimension"].update(base="llama-9"),
     "misalign_bench.single_dimension.base: 'llama-9' is not a model of the registry"),
    (lambda c: c["demo_safetybench"]["raters"].update({"gpt-9": "parsed"}),
     "demo_safetybench.raters.gpt-9: 'gpt-9' is not a model of the registry"),
    (lambda c: c["demo_safetybench"].update(headline_rater="all-minilm-l6-v2"),
     "demo_safetybench.headline_rater: 'all-minilm-l6-v2' is not one of the raters"),
    (lambda c: c["demo_safetybench"]["sweep"].update(tau=[3, 20]), "the grid must contain the balanced point"),
    (lambda c: c["demo_safetybench"].update(axes=["gender", "caste"]), "demo_safetybench.axes.1: 'caste' is not one of"),
    # the papers' separate models: no generator judges its own responses, at any scale, in any paper
    (lambda c: c["roles"].update(judge=c["roles"]["generator"]),
     "roles: the generator smollm2-135m-instruct would judge its own responses"),
    (lambda c: c["misalign_profile"]["generators"].update({"gemma-3-270m": "gemma-3-270m"}),
     "misalign_profile.generators: gemma-3-270m would judge its own responses"),
    (lambda c: c["misalign_bench"].update(splits=[0.8, 0.1, 0.2]), "misalign_bench.splits: [0.8, 0.1, 0.2] must sum to 1"),
    (lambda c: c.pop("misalign_profile"), "(top level): 'misalign_profile' is a required property"),
])
def test_invalid_config_is_named(edit, expected):
    config = load_config()
    edit(config)
    with pytest.raises(ConfigError) as err:
        validate_config(config, "my.yaml")
    assert "invalid config (my.yaml)" in str(err.value) and expected in str(err.value)


def test_snakemake_refuses_invalid_config(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("construct:\n  delta: 0\n")
    result = subprocess.run([str(Path(sys.executable).with_name("snakemake")), "-n", "--configfile",
                             str(bad)], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode != 0
    assert "construct.delta: 0 is less than or equal to the minimum of 0" in result.stdout + result.stderr


@pytest.mark.parametrize("path", ["config/config.yaml", "config/paper.yaml"])
def test_every_paper_has_a_schema_fragment_and_checks_its_own_section(path):
    """papers.PAPERS names every paper (papers.DRAFTS the modules being built); each has its schema
    fragment, and its config checks run from it."""
    from papers import DRAFTS, PAPERS
    from papers.core.config import load_schema, paper_problems
    schema = load_schema()
    for paper in PAPERS + DRAFTS:
        assert schema["properties"][paper] == yaml.safe_load((ROOT / f"workflow/schemas/{paper}.schema.yaml").read_text())
        assert paper in schema["required"]
    assert paper_problems(yaml.safe_load((ROOT / path).read_text())) == []


def test_mini_registry_keeps_judge_apart_from_generator():
    """The papers separate classifier, generator and judge; mini scale at least never self-judges."""
    roles = load_config()["roles"]
    assert len({roles["classifier"], roles["generator"], roles["judge"]}) > 1
    assert roles["judge"] != roles["generator"]
    paper = yaml.safe_load((ROOT / "config/paper.yaml").read_text())
    assert paper["models"][paper["roles"]["classifier"]]["model"] == "mistralai/Mistral-7B-Instruct-v0.3"
    assert paper["models"][paper["roles"]["judge"]]["model"] == "meta-llama/Llama-3.1-8B-Instruct"
    # paper 1 answers with its generation pool (Gemma-3-27B, Phi-3-14B, Qwen-2.5-32B, Mixtral-8x22B)
    assert paper["models"][paper["roles"]["generator"]]["model"] == "google/gemma-3-27b-it"
    assert {m["backend"] for m in paper["models"].values()} >= {"vllm", "openai"}
