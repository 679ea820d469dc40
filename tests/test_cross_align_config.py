"""Paper 7's config checks beyond the schema: benchmarks name a known meme dataset, mini tasks read
only rendered mini tables, a paper task only its own benchmark's table."""
import copy

import yaml

from papers.cross_align.config import problems
from tests.test_inputs import ROOT


def _config(name="config.yaml"):
    return yaml.safe_load((ROOT / "config" / name).read_text())


def test_shipped_sections_pass():
    assert problems(_config()) == [] and problems(_config("paper.yaml")) == []


def test_wrong_benchmarks_are_named():
    config = _config()
    bad = copy.deepcopy(config)
    bad["cross_align"]["benchmarks"]["x"] = {"task": "harmfulness", "dataset": "fhm"}
    (found,) = problems(bad)
    assert "cross_align.benchmarks.x.dataset: 'fhm'" in found
    bad = copy.deepcopy(config)
    bad["cross_align"]["benchmarks"]["y"] = {"task": "sarcasm", "dataset": "harm_c"}
    (found,) = problems(bad)
    assert "cross_align.benchmarks.y.task: sarcasm is not the label of a harmeme meme table" in found
    paper = _config("paper.yaml")
    paper["cross_align"]["benchmarks"]["z"] = {"task": "hostile_imagery", "dataset": "harm_c"}
    (found,) = problems(paper)
    assert "reads the mini generator's labels" in found
    config["cross_align"]["explanations_shown"] = 99
    assert "cross_align.explanations_shown: 99" in problems(config)[0]


def test_paper_scale_reads_the_five_tasks_from_their_own_formats():
    """Each paper task's benchmark is a vision.memes dataset of the format whose label is that task, so
    the memes rule (papers.core.vision.prepare) reads it; eight LVLMs, GPT-4o scored by its answer."""
    from papers.core.config import validate_config
    from papers.core.vision.prepare import READERS
    from papers.cross_align.benchmarks import FORMAT_OF, TASKS

    paper = validate_config(_config("paper.yaml"), "config/paper.yaml")
    section, memes = paper["cross_align"], paper["vision"]["memes"]
    assert sorted(b["task"] for b in section["benchmarks"].values()) == sorted(TASKS)
    for bench in section["benchmarks"].values():
        assert memes[bench["dataset"]]["format"] == FORMAT_OF[bench["task"]] and FORMAT_OF[bench["task"]] in READERS
    assert len(section["lvlms"]) == 8 and all(name in paper["models"] for name in section["lvlms"])
    assert paper["models"]["gpt-4o"]["options"]["score_by_answer"] is True
    swapped = copy.deepcopy(paper)
    swapped["cross_align"]["benchmarks"]["misogyny"]["dataset"] = "mmsd2"
    (found,) = problems(swapped)
    assert "misogyny is not the label of a mmsd2 meme table" in found and "mami: misogyny" in found
