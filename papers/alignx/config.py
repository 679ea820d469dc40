"""Paper 4's checks of its config section that the schema cannot express (papers/core/config.py calls
problems() for every paper of papers.PAPERS and papers.DRAFTS)."""
from __future__ import annotations

from .evaluate import JudgeAssignmentError, check_judge


def problems(config: dict) -> list[str]:
    section, models, found = config["alignx"], config["models"], []
    if section["answered_prompts"] > section["n_test"]:
        found.append(f"alignx.answered_prompts ({section['answered_prompts']}) is more than the test prompts per "
                     f"axis (n_test, {section['n_test']})")
    path = {name: models[name]["model"] for name in models}
    for name in section["backbones"]:
        if models[name]["backend"] != "hf":
            found.append(f"alignx.backbones: {name} runs on the {models[name]['backend']} backend; the experts are "
                         "LoRA adapters trained and queried through transformers + peft, so a backbone must be hf")
    pairs = [(path[judge], path[backbone], f"alignx.judges.{role}", backbone)
             for role, judge in section["judges"].items() for backbone in section["backbones"]]
    targets = section["targets"]
    pairs.append((path[targets["judge"]], path[targets["generator"]], "alignx.targets.judge",
                  "alignx.targets.generator"))
    for judge, generator, role, name in pairs:
        try:
            check_judge(judge, generator, role, name)
        except JudgeAssignmentError as err:
            found.append(str(err))
    return found
