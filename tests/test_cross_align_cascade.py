"""Stage III on a scripted model: each step's output reaches the next step's prompt, every step is
one batch across memes, and the verdict is read from the option scores as hand-computed here."""
import math

import pytest
from PIL import Image

from papers.core.llm.types import ImagePart, Sampling, image
from papers.cross_align.cascade import Meme, p_positive, read_verdict, run_cascade
from papers.cross_align.prompts import question


def _picture(tmp_path, name, colour):
    path = tmp_path / f"{name}.png"
    Image.new("RGB", (8, 8), colour).save(path)
    return image(path)


def _text(request) -> str:
    (role, content), = request.messages
    assert role == "user" and isinstance(content[0], ImagePart)  # every step shows the image first
    return content[1].text


class Scripted:
    """Evidence names the meme's text; reasoning quotes the evidence it was given; the verdict's option
    scores depend on whether the prompt holds that reasoning (log 0.25 / log 0.75 if it does)."""

    def __init__(self):
        self.generate_batches, self.score_batches = [], []

    def generate(self, requests):
        self.generate_batches.append(list(requests))
        out = []
        for r in requests:
            text = _text(r)
            if text.startswith('The text of this meme reads: "') and "Evidence:" not in text:
                out.append("EVIDENCE<" + text.split('"')[1] + ">")
            else:
                evidence = text.split("Evidence: ", 1)[1].split("\n\n", 1)[0]
                out.append("REASONING<" + evidence + ">")
        return out

    def score(self, requests):
        self.score_batches.append(list(requests))
        return [[math.log(0.25), math.log(0.75)] if "Reasoning: REASONING<EVIDENCE<" in _text(r) else [0.0, -5.0]
                for r in requests]


def test_each_step_feeds_the_next_in_one_batch_per_step(tmp_path):
    memes = [Meme("m1", "cats rule", _picture(tmp_path, "a", "red"), knowledge="Background: cat is an animal"),
             Meme("m2", "dogs drool", _picture(tmp_path, "b", "blue"))]
    model = Scripted()
    tasks = ["harmfulness", "hostile_imagery"]
    table = run_cascade(model, memes, tasks, {"harmfulness": "harmfulness", "hostile_imagery": ""},
                        Sampling(max_new_tokens=7))
    # batching: one evidence batch (per meme, shared by the tasks), one reasoning batch and one verdict
    # batch (per task and meme)
    evidence_batch, reasoning_batch = model.generate_batches
    assert len(evidence_batch) == 2 and len(reasoning_batch) == 4 and [len(b) for b in model.score_batches] == [4]
    assert {r.sampling.max_new_tokens for r in evidence_batch + reasoning_batch} == {7}
    # the knowledge block is in the evidence prompt of the meme that has one, and only there
    assert "Background: cat is an animal" in _text(evidence_batch[0])
    assert "Background" not in _text(evidence_batch[1])
    assert all("Background" not in _text(r) for r in reasoning_batch)
    # chaining: reasoning holds step 1's output, the verdict steps 1 and 2's
    assert "Evidence: EVIDENCE<dogs drool>" in _text(reasoning_batch[1])
    (verdicts,) = model.score_batches
    assert "Reasoning: REASONING<EVIDENCE<cats rule>>" in _text(verdicts[0])
    assert _text(verdicts[0]).endswith(question("harmfulness"))
    assert [v.options for v in verdicts] == [("harmless", "harmful")] * 2 + [("peaceful", "hostile")] * 2
    assert [v.adapter for v in verdicts] == ["harmfulness", "harmfulness", "", ""]
    # generation runs on the bare model
    assert all(r.adapter == "" and not r.adapter_weights for r in evidence_batch + reasoning_batch)
    # the explanations kept per meme, and the verdict read from the scores: 0.75 / (0.25 + 0.75)
    row = table.set_index(["task", "id"]).loc[("hostile_imagery", "m2")]
    assert row["evidence"] == "EVIDENCE<dogs drool>" and row["reasoning"] == "REASONING<EVIDENCE<dogs drool>>"
    assert row["p_positive"] == pytest.approx(0.75) and row["prediction"] == 1 and row["verdict"] == "hostile"
    assert list(table["task"]) == ["harmfulness"] * 2 + ["hostile_imagery"] * 2


def test_the_verdict_reads_the_reasoning_not_a_fresh_prompt(tmp_path):
    """A model that ignored step 2 would score [0, -5] here: the verdict would be 'harmless'."""
    model = Scripted()
    table = run_cascade(model, [Meme("m", "x", _picture(tmp_path, "c", "green"))], ["harmfulness"],
                        {"harmfulness": ""})
    assert table.loc[0, "verdict"] == "harmful"


def test_verdict_reading_by_hand():
    # logp (-2, -1): p = e^-1 / (e^-2 + e^-1) = 1 / (1 + e^-1)
    record = read_verdict("harmfulness", [-2.0, -1.0])
    assert record["p_positive"] == pytest.approx(1 / (1 + math.exp(-1)))
    assert record["prediction"] == 1 and record["verdict"] == "harmful"
    assert read_verdict("hostile_imagery", [-0.1, -3.0])["verdict"] == "peaceful"
    assert p_positive(-1000.0, -1001.0) == pytest.approx(1 / (1 + math.e))  # no underflow
    assert read_verdict("harmfulness", [-1.0, -1.0])["prediction"] == 1  # a tie goes to the positive label
    with pytest.raises(ValueError, match="two option scores"):
        read_verdict("harmfulness", [-1.0])


def test_bad_arguments_are_refused(tmp_path):
    picture = _picture(tmp_path, "d", "white")
    with pytest.raises(TypeError, match="ImagePart"):
        Meme("m", "x", "not an image")
    with pytest.raises(ValueError, match="unique ids"):
        run_cascade(Scripted(), [Meme("m", "x", picture), Meme("m", "y", picture)], ["harmfulness"], {"harmfulness": ""})
    with pytest.raises(ValueError, match="no prompt for task"):
        run_cascade(Scripted(), [Meme("m", "x", picture)], ["satire"], {"satire": ""})
    with pytest.raises(ValueError, match="adapter"):
        run_cascade(Scripted(), [Meme("m", "x", picture)], ["harmfulness"], {})
