"""PersoPilot's labelling assistant with the real mini chat model: a label among the classes from
option scores, its probability as the score, a generated reasoning; the second call is cached."""
import json

import pytest

from papers.core.verdict import softmax
from papers.persopilot.label import QUESTION, label_chat, suggest

CLASSES = ("indoor", "outdoor")


def test_suggest_rejects_wrong_types():
    with pytest.raises(TypeError):
        suggest(None, "u1", CLASSES)
    with pytest.raises(TypeError):
        suggest(None, [("u1", 3)], CLASSES)
    with pytest.raises(TypeError):
        suggest(None, [("u1", "I hike.")], ("indoor",))
    assert suggest(None, [], CLASSES) == []


@pytest.mark.slow
def test_label_score_and_reasoning_from_the_mini_model(tmp_path):
    from papers.core.cli import open_model
    from papers.core.llm.types import ScoreRequest
    from tests.conftest import model_dir

    entry = {"backend": "hf", "model": str(model_dir("smollm2-135m-instruct")), "dtype": "float32"}
    model = open_model(json.dumps(entry), str(tmp_path / "calls.sqlite"), 1)
    users = [("u1", "I love hiking in the mountains. I go camping every summer. I have a cat."),
             ("u2", "I love reading novels. I play video games every evening. I live in Oslo.")]
    got = suggest(model, users, CLASSES)
    assert model.calls == 4  # two option scores, two reasonings
    for (uid, persona), s in zip(users, got):
        assert s.user_id == uid and s.label in CLASSES
        scores = model.score([ScoreRequest(label_chat(persona, QUESTION, CLASSES), CLASSES)])[0]
        assert s.probabilities == pytest.approx(tuple(softmax(scores)))
        assert s.score == max(s.probabilities) and s.label == CLASSES[s.probabilities.index(s.score)]
        assert isinstance(s.reasoning, str) and s.reasoning.strip()
    assert suggest(model, users, CLASSES) == got and model.calls == 4
