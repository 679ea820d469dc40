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
