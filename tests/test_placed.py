"""The paper-scale inputs placed by hand (papers/core/placed.py, config/placed_inputs.yaml): every one the
config names is catalogued, the targets decide which are checked, and a missing one is named before
the DAG is built, with what it is, where to get it and which targets need it."""
import subprocess

import pytest
import yaml

from papers.core.placed import (PlacedInputsMissing, check, entry_of, load_catalogue, missing_inputs, needed_by,
                                placed_values, requested)
from tests.dag import LINKED, ROOT, SNAKEMAKE


def _config(name):
    return yaml.safe_load((ROOT / "config" / name).read_text())


def test_every_placed_value_of_the_paper_config_is_catalogued():
    catalogue = load_catalogue()
    values = placed_values(_config("paper.yaml"))
    assert len(values) > 20
    for key, path in values:
        assert any((path + "/").startswith(e["path"]) or path.startswith(e["path"]) for e in catalogue), (key, path)
    assert placed_values(_config("config.yaml")) == []  # mini scale: everything is vendored in data/


def test_targets_choose_the_modules_checked():
    modules = {"construct", "vision", "misalign_bench", "misalign_profile", "cross_align", "missing_modality"}
    assert requested([], modules) is None and requested(["all"], modules) is None
    assert requested(["misalign_bench_all"], modules) == {"misalign_bench", "construct"}  # it reads the construction
    assert requested(["results/cross_align/table_variants.csv", "vision_all"], modules) == {"cross_align", "vision"}
    assert requested(["somewhere/else.txt"], modules) is None  # a target of no module: check everything
    config = _config("paper.yaml")
    assert needed_by("vision.memes.harm_c.images", config) == {"vision", "cross_align", "missing_modality"}
    assert needed_by("vision.memes.mami.annotations.train", config) == {"vision", "cross_align"}
    assert needed_by("alignx.data.truthfulqa", config) == {"alignx"}


def test_missing_inputs_are_grouped_per_source_and_placed_ones_pass(tmp_path):
    config = _config("paper.yaml")
    messages = missing_inputs(config, ["cross_align_all"], root=tmp_path)
    assert len(messages) == 8 and messages[0].startswith("HarMeme")
    assert "resources/data/harmeme/images (config vision.memes.harm_c.images)" in messages[0]
    assert "Harm-C/test.jsonl" not in messages[0]  # the annotations are downloaded by the DAG (test_fetch.py)
    assert "needed by: cross_align_all, missing_modality_all, vision_all" in messages[0]
    for _, path in placed_values(config):
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).touch()
    assert missing_inputs(config, root=tmp_path) == []
    (tmp_path / config["alignx"]["data"]["truthfulqa"]).unlink()
    (only,) = missing_inputs(config, root=tmp_path)
    assert only.startswith("TruthfulQA's 817 questions") and "licence: Apache-2.0" in only
    assert missing_inputs(config, ["misalign_bench_all"], root=tmp_path) == []


def test_check_names_every_missing_input():
    config = _config("paper.yaml")
    sources = {entry_of(path, load_catalogue())["path"] for _, path in placed_values(config)}
    with pytest.raises(PlacedInputsMissing, match=rf"(?s){len(sources)} input\(s\) must be placed.*  {len(sources)}\. ") as err:
        check(config)
    assert "FoCus persona-grounded dialogues" in str(err.value) and "HarMeme" in str(err.value)
    with pytest.raises(TypeError, match="config must be a dict"):
        placed_values(["resources/data/x"])


def test_a_paper_scale_dry_run_without_the_data_names_what_is_missing(tmp_path):
    for name in LINKED:
        if name not in ("resources", "results"):
            (tmp_path / name).symlink_to(ROOT / name)
    result = subprocess.run([SNAKEMAKE, "-n", "--configfile", "config/paper.yaml", "--cores", "1", "persodpo_all",
                             "--config", "require_pinned_revisions=False"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=300)
    out = result.stdout + result.stderr
    assert result.returncode != 0 and "MissingInputException" not in out
    assert "1 input(s) must be placed by hand" in out and "resources/data/focus/train_focus.json (config persodpo.focus)" in out
    assert "https://github.com/pkchat-focus/FoCus" in out and "needed by: persodpo_all" in out


def test_the_readme_table_is_generated_from_the_catalogue():
    from papers.core.placed import readme_table

    readme = (ROOT / "README.md").read_text()
    block = readme.split("<!-- placed:begin -->\n", 1)[1].split("\n<!-- placed:end -->", 1)[0]
    assert block == readme_table(_config("paper.yaml")), "regenerate: python -m papers.core.placed config/paper.yaml"


def test_a_paper_scale_dry_run_refuses_unpinned_models_unless_told(tmp_path):
    for name in LINKED:
        if name not in ("resources", "results"):
            (tmp_path / name).symlink_to(ROOT / name)
    paper = _config("paper.yaml")
    paper["models"]["qwen2-0.5b-instruct"]["revision"] = "main"  # as a newly added model might be
    (tmp_path / "unpinned.yaml").write_text(yaml.safe_dump(paper, sort_keys=False))
    result = subprocess.run([SNAKEMAKE, "-n", "--configfile", "unpinned.yaml", "--cores", "1", "persodpo_all"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=300)
    out = result.stdout + result.stderr
    assert result.returncode != 0 and "1 hub model(s) are not pinned to a commit" in out
    assert "models.qwen2-0.5b-instruct.revision: 'main'" in out and "require_pinned_revisions=False" in out
