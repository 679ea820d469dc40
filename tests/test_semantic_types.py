"""MisAlign-Profile's semantic typing: the definitions reach the prompt verbatim, calibration divides
out the answer prior, and the type is the most probable one."""
import math
import re
from pathlib import Path

import pandas as pd
import pytest

from papers.misalign_profile.semantic_types import DEFINITIONS, TYPES, classify_types, type_request

ROOT = Path(__file__).resolve().parents[1]


class Scripted:
    """Scores by prompt: 'N/A' (the content-free request) prefers Object; others as given."""

    def __init__(self, table):
        self.table = table

    def score(self, requests):
        out = []
        for r in requests:
            text = r.messages[-1][1]
            key = next(k for k in self.table if f'"{k}"' in text)
            out.append([math.log(p) for p in self.table[key]])
        return out


def test_definitions_are_in_the_prompt_and_in_the_readme_verbatim():
    text = type_request("How do I cook rice?").messages[-1][1]
    readme = (ROOT / "papers/misalign_profile/README.md").read_text()
    flat = re.sub(r"\s+", " ", readme)
    for t in TYPES:
        assert DEFINITIONS[t] in text
        assert DEFINITIONS[t] in flat, t
    assert type_request("x").options == ("Object", "Attribute", "Relation")


def test_type_is_the_argmax_and_calibration_changes_it():
    model = Scripted({"N/A": [0.7, 0.2, 0.1], "a": [0.5, 0.3, 0.2], "b": [0.2, 0.2, 0.6]})
    prompts = pd.DataFrame({"prompt_id": ["a", "b"], "prompt": ["a", "b"]})
    raw = classify_types(prompts, model, "none").set_index("prompt_id")
    assert raw["semantic_type"].tolist() == ["object", "relation"]
    assert raw.loc["a", ["p_object", "p_attribute", "p_relation"]].tolist() == pytest.approx([0.5, 0.3, 0.2])
    calibrated = classify_types(prompts, model, "content_free").set_index("prompt_id")
    # a: 0.5/0.7, 0.3/0.2, 0.2/0.1 -> relation (2.0) beats attribute (1.5) and object (0.71)
    assert calibrated.loc["a", "semantic_type"] == "relation"
    assert calibrated.loc["a", "p_relation"] == pytest.approx(2.0 / (0.5 / 0.7 + 1.5 + 2.0))
