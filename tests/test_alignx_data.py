"""AlignX data: the vendored samples load, split exactly and disjointly, and rebuild byte for byte;
bad records name file, row and field; the loaders read the full released files too."""
import importlib.util
import json
from pathlib import Path

import pytest

from papers.alignx.data import (AXES, COLUMNS, assign_splits, axis_table, load_alpaca_eval, load_axes,
                                load_beavertails_eval, load_truthfulqa, prompt_id)
from papers.core.io import InputError

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data" / "alignx"
ALPACA = DATA / "alpaca_eval" / "text_davinci_003_outputs_sample.json"
BEAVERTAILS = DATA / "beavertails" / "BeaverTails-Evaluation_sample.csv"
TRUTHFULQA = DATA / "truthfulqa" / "TruthfulQA_sample.csv"
SHARED = ROOT.parent / "shared" / "data"
if not SHARED.exists():
    SHARED = Path("/work/shared/data")


@pytest.fixture(scope="module")
def table():
    return load_axes(ALPACA, BEAVERTAILS, TRUTHFULQA, seed=3, n_test=24, n_validation=8)


def test_samples_make_one_table_with_exact_disjoint_splits(table):
    assert list(table.columns) == COLUMNS
    assert table["prompt_id"].is_unique and table["prompt"].is_unique
    counts = table.groupby(["axis", "split"]).size().to_dict()
    for axis in AXES:
        assert (counts[(axis, "test")], counts[(axis, "validation")], counts[(axis, "train")]) == (24, 8, 38)
    assert (table.loc[table["axis"] == "harmless", "reference"] == "").all()
    assert (table.loc[table["axis"] != "harmless", "reference"].str.strip() != "").all()
    assert list(dict.fromkeys(table["axis"])) == list(AXES)


def test_splits_are_seeded_and_stable(table):
    again = load_axes(ALPACA, BEAVERTAILS, TRUTHFULQA, seed=3, n_test=24, n_validation=8)
    assert table.equals(again)
    other = load_axes(ALPACA, BEAVERTAILS, TRUTHFULQA, seed=4, n_test=24, n_validation=8)
    assert not table["split"].equals(other["split"])
    # the same prompts in another order get the same splits
    ids = [f"p{i}" for i in range(50)]
    forward = dict(zip(ids, assign_splits(ids, 1, 10, 5)))
    backward = dict(zip(ids[::-1], assign_splits(ids[::-1], 1, 10, 5)))
    assert forward == backward


def test_ids_come_from_the_text_so_sample_and_full_file_agree():
    row = load_truthfulqa(TRUTHFULQA).iloc[0]
    assert row["prompt_id"] == prompt_id("honest", row["prompt"])
    assert row["prompt_id"].startswith("honest-") and len(row["prompt_id"]) == len("honest-") + 12


def test_truthfulqa_keeps_the_judges_references():
    frame = load_truthfulqa(TRUTHFULQA)
    first = frame.iloc[0]
    assert isinstance(first["correct_answers"], tuple) and first["correct_answers"]
    assert first["reference"] == first["best_answer"]
    assert all(";" not in a for answers in frame["incorrect_answers"] for a in answers)


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("records, message, where", [
    ('{"instruction": "x"}', "non-empty JSON list", None),
    ('[{"instruction": "Hi", "output": "Hello"}, {"output": "Yo"}]', "missing field", "row 2, field 'instruction'"),
    ('[{"instruction": 5, "output": "a"}]', "expected text", "row 1, field 'instruction'"),
    ('[{"instruction": "  ", "output": "a"}]', "empty", "row 1, field 'instruction'"),
    ('[{"instruction": "Hi", "output": ["a"]}]', "expected text", "row 1, field 'output'"),
    ('[{"instruction": "Hi", "output": "a"}, {"instruction": "Hi", "output": "b"}]', "same prompt as row 1",
     "row 2, field 'instruction'"),
    ('[3]', "expected an object", "row 1"),
    ('[{"instruction": "Hi",', "malformed JSON", "line 1"),
])
def test_bad_alpaca_records_name_row_and_field(tmp_path, records, message, where):
    path = write(tmp_path, "alpaca.json", records)
    with pytest.raises(InputError, match=message) as err:
        load_alpaca_eval(path)
    assert str(path) in str(err.value) and (where is None or where in str(err.value))


def test_an_empty_reference_output_is_allowed(tmp_path):
    # two released text-davinci-003 outputs are empty; the sample leaves them out, the loader keeps them
    frame = load_alpaca_eval(write(tmp_path, "a.json", json.dumps([{"instruction": "Hi", "output": ""}])))
    assert frame["reference"].tolist() == [""]


@pytest.mark.parametrize("text, message, where", [
    (",prompt\n0,How?\n", "missing column", "field 'category'"),
    (",prompt,category\n0,How?,animal_abuse\n1, ,animal_abuse\n", "empty", "row 2 (line 3), field 'prompt'"),
    (",prompt,category\n0,How?,\n", "empty", "row 1 (line 2), field 'category'"),
])
def test_bad_beavertails_rows_name_row_and_field(tmp_path, text, message, where):
    with pytest.raises(InputError, match=message) as err:
        load_beavertails_eval(write(tmp_path, "bt.csv", text))
    assert where in str(err.value)


HEADER = "Type,Category,Question,Best Answer,Correct Answers,Incorrect Answers,Source\n"


@pytest.mark.parametrize("row, message, field", [
    ("Adversarial,Misc,Why?,Because,Because,;,src\n", "no answer", "Incorrect Answers"),
    ("Adversarial,Misc,Why?,,Because,No,src\n", "empty", "Best Answer"),
    ("Adversarial,Misc,Why?,Because,Because\n", "expected 7 fields", None),
])
def test_bad_truthfulqa_rows_name_row_and_field(tmp_path, row, message, field):
    with pytest.raises(InputError, match=message) as err:
        load_truthfulqa(write(tmp_path, "tqa.csv", HEADER + row))
    assert "row 1 (line 2)" in str(err.value)
    assert field is None or f"field '{field}'" in str(err.value)


def test_wrong_argument_types_are_type_errors(table):
    with pytest.raises(TypeError):
        load_alpaca_eval(3)
    with pytest.raises(TypeError):
        assign_splits(["a", "b"], True, 1, 0)
    with pytest.raises(TypeError):
        assign_splits(["a", "b"], 0, 1.0, 0)
    with pytest.raises(TypeError):
        axis_table("not frames", 0, 1, 1)
    with pytest.raises(ValueError, match="only 70 prompts"):
        load_axes(ALPACA, BEAVERTAILS, TRUTHFULQA, seed=0, n_test=60, n_validation=20)


def test_a_prompt_under_two_axes_is_test_in_both(tmp_path):
    helpful = load_alpaca_eval(write(tmp_path, "a.json", json.dumps([{"instruction": "Why?", "output": "x"},
                                                                     {"instruction": "How?", "output": "y"}])))
    harmless = load_beavertails_eval(write(tmp_path, "b.csv", "prompt,category\nWhy?,animal_abuse\nWho?,self_harm\n"))
    honest = load_truthfulqa(write(tmp_path, "t.csv", HEADER + "A,M,What?,It,It,Not,s\nA,M,When?,Now,Now,Then,s\n"))
    for seed in range(5):
        table = axis_table([helpful, harmless, honest], seed, 1, 0)
        assert table.loc[table["prompt"] == "Why?", "split"].tolist() == ["test", "test"]
    with pytest.raises(ValueError, match="must be test"):
        axis_table([helpful, harmless, honest.assign(prompt=["Why?", "How?"])], 0, 1, 0)


def _vendor_module():
    spec = importlib.util.spec_from_file_location("vendor_alignx", ROOT / "scripts" / "vendor_alignx.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.skipif(not (SHARED / "truthfulqa").exists(), reason="the released files are not here")
def test_vendoring_rebuilds_the_committed_samples_byte_for_byte():
    vendor = _vendor_module()
    for name, text in vendor.build(SHARED).items():
        assert (DATA / vendor.SAMPLES[name]).read_bytes() == text.encode("utf-8"), name


@pytest.mark.skipif(not (SHARED / "truthfulqa").exists(), reason="the released files are not here")
def test_the_full_released_files_load():
    full = load_axes(SHARED / "alpaca_eval" / "text_davinci_003_model_outputs.json",
                     SHARED / "beavertails" / "BeaverTails-Evaluation.csv",
                     SHARED / "truthfulqa" / "TruthfulQA_v1_817.csv", seed=0, n_test=400, n_validation=100)
    assert full.groupby("axis").size().to_dict() == {"helpful": 805, "harmless": 700, "honest": 817}
    # AlpacaEval and TruthfulQA share one question: test in both, trained on by neither
    shared = full[full["prompt"].duplicated(keep=False)]
    assert len(shared) == 2 and set(shared["split"]) == {"test"}
    sample = load_axes(ALPACA, BEAVERTAILS, TRUTHFULQA, seed=0, n_test=24, n_validation=8)
    assert set(sample["prompt_id"]) <= set(full["prompt_id"])
