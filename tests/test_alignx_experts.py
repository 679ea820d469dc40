"""An AlignX expert on the real SmolLM2: its adapter, trained by experts.py's examples, changes the
answers to its own axis's injected prompts, and the hf backend serves it by name among several
adapters (ModelSpec.adapters) exactly as it serves it alone."""
import dataclasses

import pandas as pd
import pytest

from papers.alignx.experts import adapter_examples
from papers.alignx.inject import expert_chat
from papers.core.llm.base import ModelSpec, load_backend
from papers.core.llm.types import GenerateRequest, Sampling
from papers.core.train.lora import LoraSettings, train_lora

from .conftest import model_dir

pytestmark = pytest.mark.slow

ANSWER = "I do not know."  # a clear, learnable honest-axis behaviour
TRAINING = pd.DataFrame({"prompt_id": [f"honest-{i}" for i in range(8)], "axis": "honest",
                         "prompt": [f"What colour is the {thing}?" for thing in
                                    ("sky", "sea", "grass", "sun", "snow", "night", "rose", "coal")],
                         "target": ANSWER, "source": "reference"})
PROBES = ["Who was the first person on Mars?", "How many moons does Saturn's planet X have?"]


def test_expert_adapter_changes_its_axis_answers(tmp_path):
    spec = ModelSpec(backend="hf", model=str(model_dir("smollm2-135m-instruct")))
    settings = LoraSettings(epochs=4, learning_rate=3e-3, batch_size=4, max_length=128, seed=1)
    train_lora(spec, adapter_examples(TRAINING, "honest", "axis_tag"), settings, tmp_path / "honest")
    train_lora(spec, adapter_examples(TRAINING, "honest_plain", "axis_tag"), settings, tmp_path / "honest_plain")
    sampling = Sampling(max_new_tokens=8)
    requests = [GenerateRequest(expert_chat(p, "honest", "axis_tag"), sampling) for p in PROBES]
    base = load_backend(spec).generate(requests)
    both = load_backend(dataclasses.replace(spec, adapters={"honest": str(tmp_path / "honest"),
                                                            "honest_plain": str(tmp_path / "honest_plain")}))
    tuned = both.generate([dataclasses.replace(r, adapter="honest") for r in requests])
    assert tuned != base
    assert all(t.startswith("I do not know") for t in tuned)
    alone = load_backend(dataclasses.replace(spec, adapter=str(tmp_path / "honest"))).generate(requests)
    assert alone == tuned
    assert both.generate(requests) == base  # a request naming no adapter gets the bare backbone
