"""Candidate responses: the generation request for one dialogue turn, and the parser of a reply.

The paper asks every generator, greedily, for a JSON object {"response": ...} of at most 110 words
given the persona, the knowledge and the dialogue so far. Its exact prompt is not published; this
one states the three inputs under headings, the dialogue as "User:" / "Assistant:" lines (FoCus's
human speaks first), and the format last, where small models heed it most. The whole prompt is one
user turn, so a model without a system role (Gemma) sees the same text.

A reply is a candidate when it is exactly one JSON object holding a string "response" that is not
blank: `parse_candidate` returns its text, or a failure with its reason (one of FAILURES). One
markdown code fence around the object (```json ... ```) is accepted, since many chat models wrap
JSON in one and the object inside is still exactly one valid JSON; any other text before or after
the object, a second object, or a "response" that is not a non-blank string is a failure. Keys
besides "response" are tolerated: the request is about the response field. The 110-word limit is
not a parse rule: length enters the quality score through instructability (signals.py).
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Sequence

from papers.core.llm.types import GenerateRequest, Sampling, chat

MAX_WORDS = 110  # the paper's length limit, said in the prompt
MAX_NEW_TOKENS = 256  # room for 110 words of English (about 150 tokens) and the JSON around them

PROMPT = """You are a helpful assistant talking with a user. Reply to the user's last message.

The user's persona:
{persona}

Knowledge about the topic:
{knowledge}

The dialogue so far:
{dialogue}

Write a reply that fits the user's persona, the knowledge and the dialogue, in at most {max_words} words.
Answer with JSON only, exactly in this format: {{"response": "<your reply>"}}"""

FAILURES = ("empty_reply", "not_json", "text_before", "text_after", "several_objects", "not_object",
            "no_response", "response_not_string", "empty_response")


def _lines(values: Sequence[str], name: str) -> list[str]:
    if isinstance(values, str) or not all(isinstance(v, str) for v in values):
        raise TypeError(f"{name} must be a sequence of str")
    return list(values)


def candidate_prompt(persona: Sequence[str], knowledge: str, context: Sequence[str]) -> str:
    """The prompt text of one turn: context alternates user and assistant, the user's first."""
    persona, context = _lines(persona, "persona"), _lines(context, "context")
    if not isinstance(knowledge, str):
        raise TypeError(f"knowledge must be a str, got {type(knowledge).__name__}")
    if not context or len(context) % 2 == 0:
        raise ValueError(f"context must end with the user's message (an odd number of turns), got {len(context)}")
    dialogue = [f"{'User' if i % 2 == 0 else 'Assistant'}: {line}" for i, line in enumerate(context)]
    return PROMPT.format(persona="\n".join(f"- {p}" for p in persona), knowledge=knowledge,
                         dialogue="\n".join(dialogue), max_words=MAX_WORDS)


# The one-shot prompting variant's worked example: an invented landmark that is in no dialogue of the
# mini set, answered in the requested format. A 135M chat model does not write JSON from the
# instruction alone (mini runs: every plain reply was prose); one example in the chat teaches it.
EXAMPLE_PERSONA = ("I love swimming.", "I work as a chef.")
EXAMPLE_KNOWLEDGE = "The Harbour Baths of Kelby were opened in 1902 and have a heated outdoor pool."
EXAMPLE_CONTEXT = ("When were the Harbour Baths of Kelby opened?",)
EXAMPLE_REPLY = ('{"response": "The Harbour Baths of Kelby opened in 1902, and since you love swimming, '
                 'you will enjoy their heated outdoor pool."}')


def candidate_request(persona: Sequence[str], knowledge: str, context: Sequence[str],
                      max_new_tokens: int = MAX_NEW_TOKENS, system: str = "", example: bool = False,
                      adapter: str = "") -> GenerateRequest:
    """The greedy generation request for one turn (the paper decodes greedily). Prompting variants:
    `system`, a system turn before the prompt; `example`, the worked example (EXAMPLE_*) as a first
    user and assistant turn. `adapter` names the LoRA adapter of the model that answers (a policy)."""
    if not isinstance(system, str) or not isinstance(adapter, str) or not isinstance(example, bool):
        raise TypeError("system and adapter must be str, example a bool")
    turns = [("system", system)] if system else []
    if example:
        turns += [("user", candidate_prompt(EXAMPLE_PERSONA, EXAMPLE_KNOWLEDGE, EXAMPLE_CONTEXT)),
                  ("assistant", EXAMPLE_REPLY)]
    turns.append(("user", candidate_prompt(persona, knowledge, context)))
    return GenerateRequest(chat(*turns), Sampling(temperature=0.0, max_new_tokens=max_new_tokens), adapter=adapter)


@dataclass(frozen=True)
class Parsed:
    """A parsed reply: `text` is the response ("" on failure), `failure` its reason ("" on success)."""

    text: str
    failure: str = ""

    @property
    def ok(self) -> bool:
        return not self.failure


_FENCE = re.compile(r"^```[A-Za-z]*[ \t]*\n(.*)\n[ \t]*```$", re.DOTALL)
_DECODER = json.JSONDecoder()


def _object_span(text: str) -> tuple[object, int] | None:
    """The JSON value at the start of `text` and where it ends, or None if none starts there."""
    try:
        return _DECODER.raw_decode(text)
    except json.JSONDecodeError:
        return None


def _failure_of(reply: str) -> tuple[object, str]:
    """The one JSON value the reply is, or the reason it is not exactly one."""
    text = reply.strip()
    if not text:
        return None, "empty_reply"
    fenced = _FENCE.match(text)
    text = fenced.group(1).strip() if fenced else text
    decoded = _object_span(text)
    if decoded is None:
        start = text.find("{")
        return None, "text_before" if start > 0 and _object_span(text[start:]) else "not_json"
    value, end = decoded
    rest = text[end:].strip()
    if rest:
        return None, "several_objects" if rest.startswith("{") and _object_span(rest) else "text_after"
    return value, ""


def parse_candidate(reply: str) -> Parsed:
    """The response of a reply, or a failure with its reason (see the module docstring)."""
    if not isinstance(reply, str):
        raise TypeError(f"reply must be a str, got {type(reply).__name__}")
    value, failure = _failure_of(reply)
    if failure:
        return Parsed("", failure)
    if not isinstance(value, dict):
        return Parsed("", "not_object")
    if "response" not in value:
        return Parsed("", "no_response")
    if not isinstance(value["response"], str):
        return Parsed("", "response_not_string")
    if not value["response"].strip():
        return Parsed("", "empty_response")
    return Parsed(value["response"].strip())


def word_count(text: str) -> int:
    """Words as whitespace-separated tokens (the paper counts words, not tokens)."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    return len(text.split())
