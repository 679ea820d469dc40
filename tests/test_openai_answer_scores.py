"""The openai backend's verdict reading for models whose API gives no prompt log-probs (GPT-4o):
score() asks the model and reads which option its greedy answer begins with."""
import json
import math
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from papers.core.llm.base import ModelSpec
from papers.core.llm.openai_backend import NOT_CHOSEN, OpenAIBackend, answer_scores
from papers.core.llm.types import ScoreRequest, user

UNDECIDED = -math.log(2)


@pytest.mark.parametrize("answer, expected", [
    ("harmful", [0.0, NOT_CHOSEN]),
    ("Harmless.", [NOT_CHOSEN, 0.0]),
    ('  "**HARMFUL**" because the text mocks a group', [0.0, NOT_CHOSEN]),
    ("harmfulness is not the question", [UNDECIDED, UNDECIDED]),   # a longer word is not the option
    ("The meme is harmful.", [UNDECIDED, UNDECIDED]),              # only the answer's beginning counts
    ("", [UNDECIDED, UNDECIDED]),
])
def test_the_option_the_answer_begins_with_is_chosen(answer, expected):
    assert answer_scores(answer, ("harmful", "harmless")) == expected


def test_the_longest_option_wins_when_one_begins_another():
    assert answer_scores("harmful", ("harm", "harmful", "safe")) == [NOT_CHOSEN, 0.0, NOT_CHOSEN]
    assert answer_scores("harm, clearly", ("harm", "harmful", "safe")) == [0.0, NOT_CHOSEN, NOT_CHOSEN]
    assert answer_scores("unclear", ("a", "b", "c")) == [-math.log(3)] * 3


def test_an_answer_that_is_not_text_is_refused():
    with pytest.raises(TypeError, match="answer must be a str"):
        answer_scores(None, ("yes", "no"))


class ChatServer(BaseHTTPRequestHandler):
    """Answers every chat completion with the next scripted reply and records the request body."""
    replies: list[str] = []
    bodies: list[dict] = []

    def do_POST(self):  # noqa: N802 - the http.server API
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        ChatServer.bodies.append(body)
        reply = {"id": "x", "object": "chat.completion", "created": 0, "model": body["model"],
                 "choices": [{"index": 0, "finish_reason": "stop",
                              "message": {"role": "assistant", "content": ChatServer.replies.pop(0)}}]}
        data = json.dumps(reply).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


def spec(port: int, **options) -> ModelSpec:
    return ModelSpec(backend="openai", model="gpt-4o", options={
        "base_url": f"http://127.0.0.1:{port}/v1", "api_key_env": "PLURALIGN_TEST_KEY", "max_retries": 0,
        "timeout": 10, "concurrency": 1, **options})


def test_score_by_answer_asks_greedily_and_reads_the_verdict(monkeypatch, caplog):
    monkeypatch.setenv("PLURALIGN_TEST_KEY", "sk-test")
    server = HTTPServer(("127.0.0.1", 0), ChatServer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    ChatServer.replies, ChatServer.bodies = ["Harmless.", "I cannot tell."], []
    try:
        requests = [ScoreRequest(user("Is this meme harmful? Answer harmful or harmless."), ("harmful", "harmless")),
                    ScoreRequest(user("And this one?"), ("harmful", "harmless"))]
        scores = OpenAIBackend(spec(server.server_port, score_by_answer=True)).score(requests)
    finally:
        server.shutdown()
    assert scores == [[NOT_CHOSEN, 0.0], [UNDECIDED, UNDECIDED]]
    assert all(b["temperature"] == 0.0 and b["max_tokens"] == 8 for b in ChatServer.bodies)
    assert ChatServer.bodies[0]["messages"][-1]["content"].startswith("Is this meme harmful?")
    assert "1 of 2 answers named no single option" in caplog.text


def test_without_score_by_answer_scoring_says_how_to_enable_it(monkeypatch):
    monkeypatch.setenv("PLURALIGN_TEST_KEY", "sk-test")
    with pytest.raises(NotImplementedError, match="score_by_answer"):
        OpenAIBackend(spec(9)).score([ScoreRequest(user("x"), ("a", "b"))])
