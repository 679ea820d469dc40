"""Candidate requests and the parser of a reply, on hand cases."""
import pytest

from papers.core.llm.types import GenerateRequest
from papers.persodpo.candidates import (FAILURES, MAX_WORDS, candidate_prompt, candidate_request, parse_candidate,
                                        word_count)

PERSONA = ["I love hiking.", "I have a dog."]
CONTEXT = ["Who built it?", "Monks did.", "Can I walk there?"]


def test_the_request_is_one_greedy_user_turn_with_every_input():
    request = candidate_request(PERSONA, "A trail starts at its gate.", CONTEXT)
    assert isinstance(request, GenerateRequest) and request.sampling.greedy
    (role, text), = request.messages
    assert role == "user"
    for part in ["- I love hiking.", "- I have a dog.", "A trail starts at its gate.", "User: Who built it?",
                 "Assistant: Monks did.", "User: Can I walk there?", f"at most {MAX_WORDS} words",
                 '{"response": "<your reply>"}']:
        assert part in text
    assert text.index("User: Can I walk there?") < text.index('{"response"')  # the format comes last
    assert request.key() == candidate_request(PERSONA, "A trail starts at its gate.", CONTEXT).key()


def test_the_prompt_rejects_wrong_inputs():
    with pytest.raises(TypeError):
        candidate_prompt("I love hiking.", "k", CONTEXT)
    with pytest.raises(TypeError):
        candidate_prompt(PERSONA, None, CONTEXT)
    with pytest.raises(ValueError, match="user's message"):
        candidate_prompt(PERSONA, "k", CONTEXT[:2])


@pytest.mark.parametrize("reply, text", [
    ('{"response": "Take the cliff trail."}', "Take the cliff trail."),
    ('  {"response": "  Take the trail. "}\n', "Take the trail."),
    ('```json\n{"response": "Fenced."}\n```', "Fenced."),
    ('```\n{"response": "Bare fence."}\n```', "Bare fence."),
    ('{"response": "Extra keys are fine.", "persona": "hiking"}', "Extra keys are fine."),
    ('{"response": "Quote \\" and brace } inside."}', 'Quote " and brace } inside.'),
])
def test_valid_replies(reply, text):
    parsed = parse_candidate(reply)
    assert parsed.ok and parsed.text == text and parsed.failure == ""


@pytest.mark.parametrize("reply, failure", [
    ("", "empty_reply"),
    ("   \n", "empty_reply"),
    ("Take the cliff trail.", "not_json"),
    ('{"response": "unterminated', "not_json"),
    ('Sure! {"response": "Take the trail."}', "text_before"),
    ('{"response": "Take the trail."} Hope this helps!', "text_after"),
    ('{"response": "Take the trail."} 42', "text_after"),
    ('{"response": "One."}\n{"response": "Two."}', "several_objects"),
    ('```json\n{"response": "One."}\n```\n```json\n{"response": "Two."}\n```', "text_after"),
    ('["Take the trail."]', "not_object"),
    ('"Take the trail."', "not_object"),
    ('{"reply": "Take the trail."}', "no_response"),
    ('{"response": 42}', "response_not_string"),
    ('{"response": ["a", "b"]}', "response_not_string"),
    ('{"response": null}', "response_not_string"),
    ('{"response": ""}', "empty_response"),
    ('{"response": "   "}', "empty_response"),
])
def test_failures_with_their_reason(reply, failure):
    parsed = parse_candidate(reply)
    assert not parsed.ok and parsed.failure == failure and parsed.text == ""
    assert failure in FAILURES


def test_wrong_types_and_word_count():
    with pytest.raises(TypeError):
        parse_candidate(None)
    with pytest.raises(TypeError):
        word_count(3)
    assert word_count("  Take  the\ncliff trail. ") == 4 and word_count("") == 0
