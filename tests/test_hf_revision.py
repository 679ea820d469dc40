"""The hf backend fetches a hub model at the registry's pinned revision, and a local directory as it is."""
import pytest

from papers.core.llm import hf
from papers.core.llm.base import ModelSpec


class Fetched(Exception):
    """Raised by the stand-in loaders: what was asked for is all the test needs."""


@pytest.mark.parametrize("local", [True, False])
def test_text_models_are_fetched_at_the_pinned_revision(monkeypatch, tmp_path, local):
    asked = []

    class Tokenizer:
        pad_token = "<pad>"

    def tokenizer(name, revision=None, **kwargs):
        asked.append(("tokenizer", name, revision))
        return Tokenizer()

    def weights(name, revision=None, **kwargs):
        asked.append(("weights", name, revision))
        raise Fetched

    monkeypatch.setattr(hf.AutoTokenizer, "from_pretrained", tokenizer)
    monkeypatch.setattr(hf.AutoModelForCausalLM, "from_pretrained", weights)
    model = str(tmp_path) if local else "HuggingFaceTB/SmolLM2-135M-Instruct"
    spec = ModelSpec(backend="hf", model=model, revision="12fd25f77366fa6b3b4b768ec3050bf629380bac")
    with pytest.raises(Fetched):
        hf.HFBackend(spec)
    revision = None if local else spec.revision
    assert asked == [("tokenizer", model, revision), ("weights", model, revision)]
    assert hf.hub_revision(spec) == (None if local else spec.revision)
