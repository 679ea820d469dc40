"""Hub models pinned to commits where the config requires it (papers/core/revisions.py)."""
import copy

import pytest
import yaml

from papers.core.revisions import UnpinnedRevisions, check, unpinned_models
from tests.test_inputs import ROOT

COMMIT = "16952161b5e90aea6e332e36a6fe99024096dd0a"


def _config(name):
    return yaml.safe_load((ROOT / "config" / name).read_text())


def test_the_paper_config_requires_pins_and_names_every_unpinned_hub_model():
    paper = copy.deepcopy(_config("paper.yaml"))
    assert paper["require_pinned_revisions"] is True
    assert unpinned_models(paper) == []  # every hub model of the paper config is pinned
    check(paper)
    paper["models"]["llava-1.5-13b"]["revision"] = "main"
    paper["models"]["qwen2-0.5b-instruct"]["revision"] = "c540970"  # a short id is not a pin
    lines = unpinned_models(paper)
    assert "models.llava-1.5-13b.revision: 'main' is not a commit of llava-hf/llava-1.5-13b-hf" in lines
    assert len(lines) == 2 and "models.qwen2-0.5b-instruct.revision: 'c540970'" in lines[1]
    with pytest.raises(UnpinnedRevisions, match=rf"(?s){len(lines)} hub model\(s\).*require_pinned_revisions=False"):
        check(paper)
    check({**paper, "require_pinned_revisions": False})  # asked for: no check


def test_pinned_and_local_models_pass():
    paper = copy.deepcopy(_config("paper.yaml"))
    for entry in paper["models"].values():
        entry["revision"] = COMMIT if entry["backend"] != "openai" else entry["revision"]
    assert unpinned_models(paper) == []
    check(paper)
    mini = _config("config.yaml")  # embedded and DAG-trained models only: nothing on the hub
    assert unpinned_models(mini) == [] and not mini.get("require_pinned_revisions", False)
    with pytest.raises(TypeError, match="model registry"):
        unpinned_models({"models_": {}})
