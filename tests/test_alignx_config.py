"""AlignX's config section: both scales validate, and the checks the schema cannot express fire."""
import copy
from pathlib import Path

import pytest
import yaml

from papers.alignx.config import problems
from papers.core.config import config_problems

ROOT = Path(__file__).resolve().parents[1]


def _config(name):
    return yaml.safe_load((ROOT / "config" / name).read_text())


@pytest.mark.parametrize("name", ["config.yaml", "paper.yaml"])
def test_both_scales_validate(name):
    assert config_problems(_config(name)) == []


def test_paper_scale_has_the_four_backbones_and_the_released_router():
    config = _config("paper.yaml")
    section = config["alignx"]
    models = [config["models"][b]["model"] for b in section["backbones"]]
    assert models == ["mistralai/Mistral-7B-v0.1", "google/gemma-7b", "deepseek-ai/deepseek-llm-7b-base",
                      "meta-llama/Llama-2-7b-hf"]
    router = section["router"]
    assert (router["latent_dim"], router["lambda_natural"], router["lambda_fractal"], router["temperature"],
            router["eps"], router["learning_rate"], router["batch_size"], router["weight_decay"],
            router["epochs"]) == (256, 0.6, 0.4, 1.0, 0.05, 2e-5, 64, 0.01, 3)


def test_a_judge_of_its_own_backbone_is_refused():
    config = copy.deepcopy(_config("config.yaml"))
    config["alignx"]["judges"]["safety"] = config["alignx"]["backbones"][0]
    found = problems(config)
    assert len(found) == 1 and "alignx.judges.safety" in found[0] and "its own model" in found[0]
    assert any("alignx.judges.safety" in p for p in config_problems(config))


def test_the_target_judge_is_not_the_target_generator():
    config = copy.deepcopy(_config("config.yaml"))
    config["alignx"]["targets"]["judge"] = config["alignx"]["targets"]["generator"]
    assert ["alignx.targets.judge" in p for p in problems(config)] == [True]


def test_a_backbone_must_take_adapters_through_the_hf_backend():
    config = copy.deepcopy(_config("paper.yaml"))
    config["alignx"]["backbones"] = ["mistral-7b-instruct-v0.3"]
    (found,) = problems(config)
    assert "alignx.backbones: mistral-7b-instruct-v0.3 runs on the vllm backend" in found


def test_schema_rejects_a_missing_key_and_an_unknown_model():
    config = copy.deepcopy(_config("config.yaml"))
    del config["alignx"]["router"]["eps"]
    assert any(p.startswith("alignx.router") and "'eps' is a required property" in p for p in config_problems(config))
    config = copy.deepcopy(_config("config.yaml"))
    config["alignx"]["judges"]["pairwise"] = "gpt-5"
    assert any("alignx.judges.pairwise: 'gpt-5' is not a model of the registry" in p for p in config_problems(config))


def test_more_answered_prompts_than_test_prompts_is_refused():
    config = copy.deepcopy(_config("config.yaml"))
    config["alignx"]["answered_prompts"] = config["alignx"]["n_test"] + 1
    found = problems(config)
    assert len(found) == 1 and "alignx.answered_prompts" in found[0] and "n_test" in found[0]
