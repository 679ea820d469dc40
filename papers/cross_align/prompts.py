"""CROSS-ALIGN+'s prompt texts: each task's question and label names, and the user turns of every step.

    content = verdict_content(picture, "meme text", "harmfulness", knowledge="...")

The paper publishes no prompt (README, reproduction notes); the wording here is ours. Every turn shows
the meme's image first, then its OCR text, then what the step adds:
- the description (Stage I from the picture's side): the image alone, asked what it shows;
- the answer prompts (base, +I, +I+II): the question, with the Stage I knowledge block for +I;
- evidence (Stage III, step 1): what the picture and the text show, with the knowledge block;
- reasoning (step 2): the evidence, then a request to reason towards the task's question;
- verdict (step 3): the evidence and the reasoning, then the question.
The verdict of every prompt is read by option scoring over the task's two label names (LABELS), so
the answer is one of them by construction.
"""
from __future__ import annotations

from dataclasses import dataclass

from papers.core.llm.types import ImagePart, TextPart


@dataclass(frozen=True)
class TaskText:
    subject: str        # what the question is about: "this meme", "the picture of this meme"
    negative: str       # the label name of class 0
    positive: str       # the label name of class 1

    @property
    def labels(self) -> tuple[str, str]:
        """The options scored, in class order (0, 1)."""
        return (self.negative, self.positive)


# One word per label, of similar length: option scoring sums log-probabilities, so a longer label
# name ("not harmful") would lose probability for its extra token alone.
LABELS = {
    # the mini tasks (tasks.py)
    "harmfulness": TaskText("this meme", "harmless", "harmful"),
    "text_harmfulness": TaskText("the text of this meme", "harmless", "harmful"),
    "hostile_imagery": TaskText("the picture of this meme", "peaceful", "hostile"),
    # the paper's other GOAT-Bench tasks (benchmarks.py; harmfulness is shared)
    "hatefulness": TaskText("this meme", "benign", "hateful"),
    "misogyny": TaskText("this meme", "neutral", "misogynous"),
    "offensiveness": TaskText("this meme", "inoffensive", "offensive"),
    "sarcasm": TaskText("this meme", "sincere", "sarcastic"),
}


def task_text(task: str) -> TaskText:
    if task not in LABELS:
        raise ValueError(f"no prompt for task {task!r}; known: {', '.join(LABELS)}")
    return LABELS[task]


def question(task: str) -> str:
    t = task_text(task)
    return f"Is {t.subject} {t.positive} or {t.negative}? Answer with one word: {t.positive} or {t.negative}."


def _meme(text: str) -> str:
    if not isinstance(text, str):
        raise TypeError(f"the meme's text must be str, got {type(text).__name__}")
    return f'The text of this meme reads: "{text}"'


def _content(picture: ImagePart, *blocks: str) -> tuple:
    if not isinstance(picture, ImagePart):
        raise TypeError(f"picture must be an ImagePart (llm.types.image), got {type(picture).__name__}")
    return (picture, TextPart("\n\n".join(b for b in blocks if b)))


def answer_content(picture: ImagePart, text: str, task: str, knowledge: str = "") -> tuple:
    """The user turn of base (no knowledge), +I and +I+II (with the knowledge block)."""
    return _content(picture, _meme(text), knowledge, question(task))


# Short and plain: the mini LVLM answers this one with what it sees ("The picture shows a rainbow."),
# while a longer request was echoed back word for word, and its words linked as if seen (README).
DESCRIBE_ASK = "What does the picture show?"


def description_content(picture: ImagePart) -> tuple:
    """Stage I from the picture's side: only the image and the request (README: the text is linked
    on its own, and a description that repeated it would link the same facts twice)."""
    return _content(picture, DESCRIBE_ASK)


EVIDENCE_ASK = ("Describe the evidence in one or two sentences: what the picture shows, what the text says, "
                "and what the background knowledge adds.")
EVIDENCE_ASK_NO_KNOWLEDGE = "Describe the evidence in one or two sentences: what the picture shows and what the text says."


def evidence_content(picture: ImagePart, text: str, knowledge: str = "") -> tuple:
    """Step 1: the same for every task, so one evidence per meme serves them all."""
    return _content(picture, _meme(text), knowledge, EVIDENCE_ASK if knowledge else EVIDENCE_ASK_NO_KNOWLEDGE)


def reasoning_content(picture: ImagePart, text: str, task: str, evidence: str) -> tuple:
    """Step 2: the evidence of step 1, then a request to reason about the task's question."""
    t = task_text(task)
    return _content(picture, _meme(text), f"Evidence: {evidence}",
                    f"Reason in two or three sentences about whether {t.subject} is {t.positive} or {t.negative}, "
                    "citing the evidence. Do not give the final answer yet.")


def verdict_content(picture: ImagePart, text: str, task: str, evidence: str, reasoning: str) -> tuple:
    """Step 3: the evidence and the reasoning of steps 1-2, then the question."""
    return _content(picture, _meme(text), f"Evidence: {evidence}", f"Reasoning: {reasoning}", question(task))
