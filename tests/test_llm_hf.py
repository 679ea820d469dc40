"""The hf backend on the real embedded models: templates, scoring, batched generation."""
import math

import numpy as np
import pytest

from papers.core.llm.types import GenerateRequest, Sampling, ScoreRequest, user

pytestmark = pytest.mark.slow

OPTIONS = ("Animal abuse", "Privacy violation", "Financial crime, property crime, theft", "Self-harm",
           "Terrorism", "None of these", "Culinary Arts", "Wisdom", "A", "x y z w v u t s r q")


def test_chat_model_uses_its_template_and_base_model_a_plain_transcript(smollm2, gemma):
    messages = user("Is the sky blue?", system="Answer yes or no.")
    assert not smollm2.plain and smollm2.prompt_text(messages).endswith("<|im_start|>assistant\n")
    assert gemma.plain
    assert gemma.prompt_text(messages) == "Answer yes or no.\n\nUser: Is the sky blue?\nAssistant:"
    assert gemma.encode_prompt(messages)[0] == gemma.tokenizer.bos_token_id  # Gemma needs its BOS
    # A base model's reply ends where it starts the next turn of the transcript; a chat model's does not.
    assert gemma.reply(" Yes, it is.\n\nUser: And the sea?\nAssistant: Also.") == "Yes, it is."
    assert gemma.reply(" 391\n\nUser") == "391"
    assert smollm2.reply(" Yes.\nUser: quoted\n") == "Yes.\nUser: quoted"
    long = gemma.generate([GenerateRequest(user("Name a colour."), Sampling(max_new_tokens=40))])[0]
    assert "\nUser:" not in long


@pytest.mark.parametrize("model", ["smollm2", "gemma"])
def test_shared_prefix_scoring_equals_full_sequences(model, request):
    backend = request.getfixturevalue(model)
    req = ScoreRequest(user("How do I steal my neighbour's credit card number?"), OPTIONS)
    shared = backend.score([req])[0]
    naive = backend.score_naive(req)
    assert len(shared) == len(OPTIONS) and all(math.isfinite(s) and s < 0 for s in shared)
    np.testing.assert_allclose(shared, naive, rtol=1e-4, atol=1e-3)
    assert int(np.argmax(shared)) == int(np.argmax(naive))


@pytest.mark.parametrize("model", ["smollm2", "gemma"])
def test_single_token_options_score_like_full_sequences(model, request):
    backend = request.getfixturevalue(model)
    req = ScoreRequest(user("Is it unsafe to share a password with a friend?"), ("Yes", "No"))
    assert all(len(o) == 1 for o in backend.encode_options(req.options))  # the fast path applies
    np.testing.assert_allclose(backend.score([req])[0], backend.score_naive(req), rtol=1e-4, atol=1e-3)


def test_option_score_is_the_sum_of_token_logprobs(smollm2):
    """Hand check: score('A B') == log p(A | prompt) + log p(B | prompt, A)."""
    import torch
    req = ScoreRequest(user("Say two letters."), ("A B",))
    prompt = smollm2.encode_prompt(req.messages)
    option = smollm2.encode_options(req.options)[0]
    with torch.inference_mode():
        logits = smollm2.model(input_ids=torch.tensor([prompt + option])).logits[0].float()
    logp = torch.log_softmax(logits, -1)
    expected = sum(logp[len(prompt) - 1 + j, t].item() for j, t in enumerate(option))
    assert smollm2.score([req])[0][0] == pytest.approx(expected, abs=1e-3)


def test_batched_greedy_generation_equals_one_at_a_time(smollm2):
    prompts = ["Name a colour.", "What is the capital of France? Answer in one word.",
               "Write one short sentence about the sea and the wind and the rain."]
    requests = [GenerateRequest(user(p), Sampling(max_new_tokens=10)) for p in prompts]
    batched = smollm2.generate(requests)
    single = [smollm2.generate([r])[0] for r in requests]
    assert batched == single and all(batched)


def test_sampled_answer_depends_on_its_request_not_its_batch(smollm2):
    # In float32, the fixture's dtype; in bfloat16 the batch's shape changes the rounding (hf.py).
    sampling = Sampling(temperature=0.9, top_p=0.95, max_new_tokens=12, seed=7)
    a, b, c = (GenerateRequest(user(q), sampling) for q in
               ("Tell me a word.", "Name a city in Spain, please.", "What should I cook tonight? Be brief."))
    alone = smollm2.generate([a])[0]
    assert smollm2.generate([a, b])[0] == alone == smollm2.generate([c, a])[1]
    others = [smollm2.generate([GenerateRequest(a.messages, sampling, sample_index=i)])[0] for i in range(1, 4)]
    assert any(o != alone for o in others)  # another sample index is another random stream


def test_per_row_sampler_keeps_the_nucleus_only():
    import torch
    from papers.core.llm.hf import PerRowSampler
    logits = torch.log(torch.tensor([[0.5, 0.3, 0.15, 0.05]]))
    picks = set()
    for seed in range(200):
        out = PerRowSampler([seed], temperature=1.0, top_p=0.7)(None, logits.clone())
        assert torch.isfinite(out).sum() == 1
        picks.add(int(out.argmax()))
    assert picks == {0, 1}  # 0.5 + 0.3 reaches 0.7: tokens 2 and 3 are never drawn


def test_embedder_gives_unit_vectors_that_rank_paraphrases_first(tmp_path):
    from papers.core.cache import CachedModel, CallCache
    from papers.core.embed import embed
    from papers.core.llm.base import ModelSpec
    from tests.conftest import model_dir
    spec = ModelSpec(backend="sentence-transformers", model=str(model_dir("all-minilm-l6-v2")))
    model = CachedModel(spec, CallCache(tmp_path / "c.sqlite"))
    texts = ["How do I bake bread?", "What is a recipe for baking bread?", "Stock market crash of 1929"]
    v = embed(model, texts)
    assert v.shape == (3, 384) and model.calls == 3
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    assert v[0] @ v[1] > v[0] @ v[2] + 0.3
    # the cache stores float32 values exactly: a rerun is the same bytes, with no model call
    again = CachedModel(spec, CallCache(tmp_path / "c.sqlite"))
    assert embed(again, texts).tobytes() == v.tobytes() and again.calls == 0 and again._backend is None


def test_a_prompt_longer_than_the_context_is_refused(smollm2):
    from papers.core.llm.chat import PromptTooLong

    huge = "word " * 9000  # SmolLM2 takes 8192 tokens
    with pytest.raises(PromptTooLong, match=r"exceeds the model's context of 8192 tokens; the prompt begins 'word word"):
        smollm2.score([ScoreRequest(user(huge), ("Yes", "No"))])
    with pytest.raises(PromptTooLong, match=r"\+100 after it"):
        smollm2.generate([GenerateRequest(user("word " * 8150), Sampling(max_new_tokens=100))])
