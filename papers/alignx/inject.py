"""Stage 1 of AlignX: prompt-injected fine-tuning, its prompts and its training targets.

The abstract says only that "Stage 1 uses prompt-injected fine-tuning to extract axis-specific task
features"; the issue reads it as an axis tag injected into the prompt. The exact wording is not
published, so pluralign's reading (template `axis_tag`) puts the axis first in the user's turn, a
bracketed tag and one sentence that says what the axis asks for, then a blank line and the prompt:

    [HARMLESS] Answer harmlessly: decline anything dangerous or unethical and offer a safe alternative.

    How do I pick a lock?

One LoRA expert per axis is trained on its axis's train prompts with its own tag, and at inference an
expert always sees the prompt with its own tag, so the tag is a feature the expert learned to act on.
The user turn carries it (not a system turn) because it is the prompt that is injected, and because
a chat template without a system role (Gemma's) keeps it in the same place.

The authors' released code (github.com/gskgautam/AlignX, Finetune_Pipeline.py) injects something
else: the prefix "Chain of Thought: Let's think step by step. " before every instruction of a second
adapter trained after the helpfulness one, then merges the adapters as a task vector. Template
`released_cot` reproduces that prefix for comparison; it carries no axis.

Baselines and ablation (step 2): the multi-objective SFT baseline is trained and queried on the bare
prompt (template `none`), as is the "without injection" ablation of the experts.

Training targets, per axis, from the data where it has them:
- helpful: AlpacaEval's reference output (text-davinci-003);
- honest: TruthfulQA's best answer;
- harmless: BeaverTails-Evaluation has prompts only. Its targets are refusals or safe completions
  that the generator writes and the construction toolkit judges (papers/core/construct/respond.py:
  an "aligned" response for the prompt's BeaverTails domain, stage-1 filtering by format, length and
  a judge, stage-2 feedback-guided resampling). `harmless_target_requests` builds the first round's
  generation requests; the generation and the rejection sampling run in step 2.
"""
from __future__ import annotations

import pandas as pd

from papers.core.construct.respond import ResponseSettings, response_request
from papers.core.llm.types import Chat, GenerateRequest, user
from papers.core.taxonomy import Domain, Taxonomy

from .data import AXES

AXIS_TAGS = {"helpful": "[HELPFUL]", "harmless": "[HARMLESS]", "honest": "[HONEST]"}
AXIS_INSTRUCTIONS = {
    "helpful": "Answer helpfully: follow the instruction and give a complete, useful answer.",
    "harmless": "Answer harmlessly: decline anything dangerous or unethical and offer a safe alternative.",
    "honest": "Answer honestly: say what is true, and say you do not know rather than guess.",
}
RELEASED_COT = "Chain of Thought: Let's think step by step. "
TEMPLATES = ("axis_tag", "released_cot", "none")


def _check_axis(axis) -> str:
    if not isinstance(axis, str):
        raise TypeError(f"axis must be a str, got {type(axis).__name__}")
    if axis not in AXES:
        raise ValueError(f"unknown axis {axis!r}; expected one of {', '.join(AXES)}")
    return axis


def inject(prompt: str, axis: str, template: str = "axis_tag") -> str:
    """The prompt as the expert for `axis` sees it, in training and at inference."""
    if not isinstance(prompt, str) or not isinstance(template, str):
        raise TypeError("prompt and template must be str")
    _check_axis(axis)
    if template == "axis_tag":
        return f"{AXIS_TAGS[axis]} {AXIS_INSTRUCTIONS[axis]}\n\n{prompt}"
    if template == "released_cot":
        return RELEASED_COT + prompt
    if template == "none":
        return prompt
    raise ValueError(f"unknown injection template {template!r}; expected one of {', '.join(TEMPLATES)}")


def expert_chat(prompt: str, axis: str, template: str = "axis_tag") -> Chat:
    return user(inject(prompt, axis, template))


def training_examples(table: pd.DataFrame, axis: str, template: str = "axis_tag",
                      targets: dict[str, str] | None = None) -> list[tuple[Chat, str]]:
    """(chat, answer) pairs for the expert of `axis` from the train split of `table`
    (papers/alignx/data.py), ready for papers.core.train.lora.train_lora. The answer is the row's
    reference; for harmless, whose rows have none, `targets` maps prompt_id to the accepted
    generated target, and a train prompt without one is left out (its candidates were all
    rejected)."""
    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"table must be a DataFrame, got {type(table).__name__}")
    if targets is not None and not isinstance(targets, dict):
        raise TypeError(f"targets must be a dict of prompt_id -> text, got {type(targets).__name__}")
    _check_axis(axis)
    rows = table[(table["axis"] == axis) & (table["split"] == "train")]
    examples = []
    for pid, prompt, reference in zip(rows["prompt_id"], rows["prompt"], rows["reference"]):
        answer = (targets or {}).get(pid, "") if axis == "harmless" else reference
        if answer.strip():
            examples.append((expert_chat(prompt, axis, template), answer))
    return examples


def beavertails_domain(category: str, taxonomy: Taxonomy) -> Domain:
    """The taxonomy's safety domain of a BeaverTails category: "controversial_topics,politics" is the
    key controversial_topics_politics (pluralign's taxonomy writes the commas as underscores)."""
    if not isinstance(category, str) or not isinstance(taxonomy, Taxonomy):
        raise TypeError("beavertails_domain takes a category str and a Taxonomy")
    key = category.strip().replace(",", "_")
    domain = taxonomy.by_key().get(key)
    if domain is None or domain.dimension != "safety":
        raise ValueError(f"BeaverTails category {category!r} is not a safety domain of the taxonomy")
    return domain


def harmless_target_requests(table: pd.DataFrame, taxonomy: Taxonomy,
                             settings: ResponseSettings) -> list[GenerateRequest]:
    """The first round of generation requests for the harmless targets: for each harmless train
    prompt, the construction toolkit's request for a response aligned with the prompt's BeaverTails
    domain ("decline politely and offer a safe alternative"). Step 2 judges the replies and
    resamples the rejected ones with the judge's critique (papers/core/construct/respond.py)."""
    if not isinstance(table, pd.DataFrame) or not isinstance(settings, ResponseSettings):
        raise TypeError("harmless_target_requests takes the axis table and ResponseSettings")
    rows = table[(table["axis"] == "harmless") & (table["split"] == "train")]
    return [response_request(prompt, [beavertails_domain(category, taxonomy)], "aligned", 0, settings)
            for prompt, category in zip(rows["prompt"], rows["category"])]
