"""The hf-classifier backend on a tiny randomly initialised BERT classifier built here (no hub model
can be fetched on this machine): its answers are the log-softmax of the model's own logits for each
request run alone, read by label name in any order, batched or not, and cached like any answer."""
import math

import pytest
import torch

from papers.core.cache import CachedModel, CallCache
from papers.core.llm.base import ModelConfigError, ModelSpec, load_backend
from papers.core.llm.chat import PromptTooLong
from papers.core.llm.types import ClassifyRequest

WORDS = "you love hiking i have a dog cats are fine the sea is blue and my job teacher".split()
LABELS = {0: "CONTRADICTION", 1: "NEUTRAL", 2: "ENTAILMENT"}  # DeBERTa-MNLI's order, not NLI_LABELS'


@pytest.fixture(scope="module")
def classifier_dir(tmp_path_factory):
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizerFast

    path = tmp_path_factory.mktemp("tiny-nli")
    (path / "vocab.txt").write_text("\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *WORDS]) + "\n")
    BertTokenizerFast(vocab_file=str(path / "vocab.txt")).save_pretrained(path)
    torch.manual_seed(0)
    config = BertConfig(vocab_size=5 + len(WORDS), hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=32, max_position_embeddings=64, num_labels=3, id2label=LABELS,
                        label2id={v: k for k, v in LABELS.items()})
    BertForSequenceClassification(config).eval().save_pretrained(path)
    return path


@pytest.fixture(scope="module")
def backend(classifier_dir):
    return load_backend(ModelSpec(backend="hf-classifier", model=str(classifier_dir), batch_size=4))


def reference(classifier_dir, text, pair=None):
    """The model's log-softmax for one input, computed without the backend."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(classifier_dir)
    model = AutoModelForSequenceClassification.from_pretrained(classifier_dir).eval()
    with torch.no_grad():
        logits = model(**tokenizer(text, pair, return_tensors="pt")).logits[0]
    return dict(zip(LABELS.values(), torch.log_softmax(logits, -1).tolist()))


PAIRS = [("you love hiking", "i love hiking"), ("the sea is blue and my job is teacher", "i have a dog"),
         ("cats", "cats are fine")]


def test_answers_are_the_models_log_softmax_read_by_label_name(backend, classifier_dir):
    asked = ("entailment", "neutral", "contradiction")
    answers = backend.classify([ClassifyRequest(p, asked, text_pair=h) for p, h in PAIRS])
    for (premise, hypothesis), answer in zip(PAIRS, answers):
        expected = reference(classifier_dir, premise, hypothesis)
        assert answer == pytest.approx([expected[label.upper()] for label in asked], abs=1e-5)
        assert sum(math.exp(v) for v in answer) == pytest.approx(1.0)
    # another order, a subset, one text without a pair, and mixed batches give the same numbers
    reordered = backend.classify([ClassifyRequest(PAIRS[0][0], ("Contradiction", "ENTAILMENT"), text_pair=PAIRS[0][1])])
    assert reordered[0] == pytest.approx([answers[0][2], answers[0][0]], abs=1e-6)
    single, paired = backend.classify([ClassifyRequest("cats are fine", asked),
                                       ClassifyRequest(PAIRS[1][0], asked, text_pair=PAIRS[1][1])])
    expected = reference(classifier_dir, "cats are fine")
    assert single == pytest.approx([expected[label.upper()] for label in asked], abs=1e-5)
    assert paired == pytest.approx(answers[1], abs=1e-5)


def test_unknown_labels_adapters_and_other_kinds_are_refused(backend, classifier_dir):
    with pytest.raises(ModelConfigError, match="no label.*'entails'.*its labels are 'CONTRADICTION'"):
        backend.classify([ClassifyRequest("cats", ("entails", "neutral"), text_pair="cats")])
    with pytest.raises(NotImplementedError, match="cannot generate"):
        backend.generate([])
    with pytest.raises(ModelConfigError, match="takes no adapters"):
        load_backend(ModelSpec(backend="hf-classifier", model=str(classifier_dir), adapter="x"))
    short = load_backend(ModelSpec(backend="hf-classifier", model=str(classifier_dir), options={"max_length": 8}))
    with pytest.raises(PromptTooLong, match="an input of 11 tokens exceeds its limit of 8.*begins 'you love hiking'"):
        short.classify([ClassifyRequest("you love hiking", ("neutral",), text_pair="i have a dog cats")])
    with pytest.raises(ModelConfigError, match="max_length must be an int"):
        load_backend(ModelSpec(backend="hf-classifier", model=str(classifier_dir), options={"max_length": "64"}))
    with pytest.raises(ModelConfigError, match="unknown option"):
        ModelSpec(backend="hf-classifier", model=str(classifier_dir), options={"temperature": 1})


def test_requests_are_checked_and_keyed():
    with pytest.raises(TypeError, match="labels"):
        ClassifyRequest("x", ["entailment"])
    with pytest.raises(TypeError, match="text_pair"):
        ClassifyRequest("x", ("entailment",), text_pair=None)
    with pytest.raises(TypeError, match="labels"):
        ClassifyRequest("x", ())
    with pytest.raises(ValueError, match="twice"):
        ClassifyRequest("x", ("entailment", "ENTAILMENT"))
    a = ClassifyRequest("x", ("entailment", "neutral"), text_pair="y")
    assert a.key() != ClassifyRequest("x y", ("entailment", "neutral")).key()
    assert a.key() != ClassifyRequest("x", ("neutral", "entailment"), text_pair="y").key()
    assert a.answer_problem([-0.1, -2.0]) == ""
    assert "2 values for 1 options" in ClassifyRequest("x", ("a",)).answer_problem([-0.1, -2.0])
    assert "above 0" in a.answer_problem([0.5, -2.0])


def test_classifications_go_through_the_cache(classifier_dir, tmp_path):
    spec = ModelSpec(backend="hf-classifier", model=str(classifier_dir))
    loads = []
    model = CachedModel(spec, CallCache(tmp_path / "c.sqlite"), loader=lambda s: loads.append(s) or load_backend(s))
    requests = [ClassifyRequest(p, ("entailment", "contradiction"), text_pair=h) for p, h in PAIRS]
    first = model.classify(requests)
    again = CachedModel(spec, CallCache(tmp_path / "c.sqlite"), loader=lambda s: loads.append(s) or load_backend(s))
    assert again.classify(requests[::-1]) == first[::-1] and len(loads) == 1 and again.calls == 0
