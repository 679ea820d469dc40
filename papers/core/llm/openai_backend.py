"""The `openai` backend: any OpenAI-compatible server (OpenAI itself, `vllm serve`, ...).

spec.model is the served model id; spec.options:
- base_url: the server's /v1 address (default: the openai client's own, i.e. OpenAI);
- api_key_env: the name of the environment variable holding the key (default OPENAI_API_KEY). The key
  is read from the environment only; it is never logged, stored on the backend or written to the call
  cache (whose keys hold the variable's name at most, not its value: llm.base.NOT_IN_KEY leaves even
  the name out). A local vllm server takes any value;
- tokenizer: a local tokenizer directory, needed only by score();
- concurrency (default 8), timeout (s, default 600), max_retries (default 2);
- score_by_answer: true for a model whose API gives no prompt log-probs (GPT-4o's chat API): score()
  then asks the model itself (greedy, a few tokens) and reads which option its answer begins with
  (`answer_scores`). Opt-in per registry entry, since it is a verdict, not a likelihood.

generate: chat.completions with temperature, top_p, max_tokens and a seed per sampled request; image
parts go as image_url parts with inline data URLs (GPT-4o, or `vllm serve` of a multimodal model).
Every error is re-raised as UpstreamError with the key's value and any bearer token redacted.
score (with options.tokenizer): the completions endpoint with echo=True, logprobs=1, max_tokens=0 on the rendered prompt text
plus the option text (rendered with chat.render / chat.option_text, like the other backends); the
option's log-prob is the sum over the echoed tokens whose character offset lies in the option text.
The server tokenizes the joined text itself: it matches the other backends' prompt_ids + option_ids
when no token crosses the prompt/option boundary (true of ChatML's "assistant\\n" and of the plain
template's "Assistant:" + " option"); a token that does cross is an error, not a silent mismatch.
Offsets are counted in characters of the detokenized text, exact for text that round-trips through
the tokenizer.
"""
from __future__ import annotations

import base64
import logging
import math
import os
import re
from concurrent.futures import ThreadPoolExecutor
from typing import Sequence

from papers.core.io import UserError

from .base import Backend, ModelSpec
from .chat import option_text, render, uses_plain
from .types import GenerateRequest, ImagePart, Sampling, ScoreRequest, request_seed, text_only

DEFAULT_KEY_ENV = "OPENAI_API_KEY"
# The "log-prob" of an option a greedy answer did not choose: exp() of it is 0 in float64, and it is
# finite because the call cache stores answers as JSON.
NOT_CHOSEN = -1e4
ANSWER_TOKENS = 8  # enough for a one-word verdict and its punctuation
log = logging.getLogger(__name__)


class MissingAPIKey(RuntimeError):
    pass


def api_key(spec: ModelSpec) -> str:
    """The key from the environment variable that spec.options names (the value is never shown)."""
    name = spec.options.get("api_key_env", DEFAULT_KEY_ENV)
    value = os.environ.get(name)
    if not value:
        raise MissingAPIKey(
            f"the openai backend for model {spec.model!r} needs an API key in the environment "
            f"variable {name} (set by options.api_key_env), which is not set; for a local vllm "
            f"server any value works, e.g. {name}=EMPTY")
    return value


class UpstreamError(UserError, RuntimeError):
    """A server's error, with the API key and any bearer token taken out of its message."""


BEARER = re.compile(r"(Bearer\s+)[^\s'\"]+", re.IGNORECASE)


def redact(text: str, secrets: Sequence[str]) -> str:
    """`text` with every secret value and every `Bearer <token>` replaced: a misbehaving server may
    echo the Authorization header back in its error, which would otherwise reach the logs."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "[redacted]")
    return BEARER.sub(r"\1[redacted]", text)


def message_content(content):
    """A chat message's content in the OpenAI format: text as is; parts as text and image_url parts,
    each image sent inline as a data URL."""
    if isinstance(content, str):
        return content
    parts = []
    for part in content:
        if isinstance(part, ImagePart):
            url = f"data:image/{part.format.lower()};base64,{base64.b64encode(part.data).decode()}"
            parts.append({"type": "image_url", "image_url": {"url": url}})
        else:
            parts.append({"type": "text", "text": part.text})
    return parts


class OpenAIBackend(Backend):
    def __init__(self, spec: ModelSpec):
        super().__init__(spec)
        import openai

        if spec.adapter or spec.adapters:
            raise ValueError(f"model {spec.model!r}: the openai backend takes no adapters; serve each adapter "
                             "as a model of its own (vllm serve --lora-modules NAME=DIR) and register it as "
                             "its own entry")

        options = spec.options
        self.openai = openai
        # The key goes straight into the client; the backend keeps no copy of it.
        self.client = openai.OpenAI(base_url=options.get("base_url"), api_key=api_key(spec),
                                    timeout=float(options.get("timeout", 600)),
                                    max_retries=int(options.get("max_retries", 2)))
        self.concurrency = max(1, int(options.get("concurrency", 8)))
        self.tokenizer = None
        if options.get("tokenizer"):
            from transformers import AutoTokenizer
            self.tokenizer = AutoTokenizer.from_pretrained(options["tokenizer"])
            self.plain = uses_plain(self.tokenizer, spec.chat_template)

    def __repr__(self) -> str:  # never the client (and so never the key)
        return f"OpenAIBackend(model={self.spec.model!r}, base_url={self.spec.options.get('base_url')!r})"

    def _map(self, fn, items: list) -> list:
        try:
            if len(items) <= 1 or self.concurrency == 1:
                return [fn(x) for x in items]
            with ThreadPoolExecutor(min(self.concurrency, len(items))) as pool:
                return list(pool.map(fn, items))
        except self.openai.OpenAIError as err:  # the client's errors may quote the request's headers
            key = os.environ.get(self.spec.options.get("api_key_env", DEFAULT_KEY_ENV), "")
            raise UpstreamError(redact(f"model {self.spec.model!r}: {type(err).__name__}: {err}", [key])) from None

    # -- generation --------------------------------------------------------------------------------
    def generate(self, requests: Sequence[GenerateRequest]) -> list[str]:
        return self._map(self._generate_one, list(requests))

    def _generate_one(self, r: GenerateRequest) -> str:
        if r.adapter_weights:
            self._cannot("mix LoRA adapters (adapter_weights): use the hf backend")
        s = r.sampling
        kwargs: dict = {"max_tokens": s.max_new_tokens}
        if s.greedy:
            kwargs["temperature"] = 0.0
        else:
            kwargs.update(temperature=s.temperature, top_p=s.top_p, seed=request_seed(r))
        messages = [{"role": role, "content": message_content(content)} for role, content in r.messages]
        if self.spec.chat_template == "plain":
            # The chat endpoint would apply the server's template: send the plain transcript instead
            # (base models without a template have no chat endpoint on vllm serve anyway).
            out = self.client.completions.create(model=self.spec.model,
                                                 prompt=render(None, text_only(r.messages, self.spec.model), "plain"),
                                                 **kwargs)
            return (out.choices[0].text or "").strip()
        out = self.client.chat.completions.create(model=self.spec.model, messages=messages, **kwargs)
        return (out.choices[0].message.content or "").strip()

    # -- scoring -----------------------------------------------------------------------------------
    def score(self, requests: Sequence[ScoreRequest]) -> list[list[float]]:
        if self.tokenizer is None and self.spec.options.get("score_by_answer"):
            scores = self._map(self._answer_scores, list(requests))
            undecided = sum(len(set(s)) == 1 and len(s) > 1 for s in scores)
            if undecided:
                log.warning("model %r: %d of %d answers named no single option (scored as undecided)",
                            self.spec.model, undecided, len(scores))
            return scores
        if self.tokenizer is None:
            raise NotImplementedError(
                "option scoring needs prompt log-probs of a rendered prompt, so the openai backend "
                "needs options.tokenizer (a local tokenizer of the served model) and a server with "
                "the completions endpoint and echo (vllm serve). GPT-4o's chat API gives no prompt "
                "log-probs: set options.score_by_answer in its registry entry to read its greedy "
                "answer instead.")
        jobs = []
        for i, r in enumerate(requests):
            prompt = render(self.tokenizer, text_only(r.messages, self.spec.model), self.spec.chat_template)
            for j, option in enumerate(r.options):
                jobs.append((i, j, prompt, option_text(option, self.plain)))
        values = self._map(self._score_one, jobs)
        scores: list[list[float]] = [[0.0] * len(r.options) for r in requests]
        for (i, j, _, _), v in zip(jobs, values):
            scores[i][j] = v
        return scores

    def _answer_scores(self, r: ScoreRequest) -> list[float]:
        if r.adapter:
            self._cannot("serve an adapter by name: register the served adapter as its own model")
        answer = self._generate_one(GenerateRequest(r.messages, Sampling(max_new_tokens=ANSWER_TOKENS)))
        return answer_scores(answer, r.options)

    def _score_one(self, job) -> float:
        _, _, prompt, option = job
        text = prompt + option
        # max_tokens=0 with echo: the prompt's log-probs only (lm-evaluation-harness's request).
        out = self.client.completions.create(model=self.spec.model, prompt=text, echo=True,
                                             logprobs=1, max_tokens=0, temperature=0.0)
        lp = out.choices[0].logprobs
        start, end = len(prompt), len(text)
        total, count = 0.0, 0
        for token, offset, value in zip(lp.tokens, lp.text_offset, lp.token_logprobs):
            if offset >= end:
                break  # a generated token, if the server added one
            if offset + len(token) <= start:
                continue  # a prompt token
            if offset < start:
                raise ValueError(f"token {token!r} spans the prompt/option boundary of option "
                                 f"{option!r}: its log-prob is not the option's alone")
            if value is None:
                raise ValueError(f"the server gave no log-prob for option token {token!r}")
            total += value
            count += 1
        if count == 0:
            raise ValueError(f"no echoed tokens for option {option!r}: does the server support echo?")
        return total


def answer_scores(answer: str, options: Sequence[str]) -> list[float]:
    """Each option's score read from a greedy answer: 0 for the option the answer begins with (case
    and leading quotes, asterisks and spaces ignored; the longest when one option begins another, as
    "harm" and "harmful"), NOT_CHOSEN for the others. An answer that begins with no option is
    undecided: every option gets log(1/n), so it reads as probability 1/n each."""
    if not isinstance(answer, str):
        raise TypeError(f"answer must be a str, got {type(answer).__name__}")
    text = answer.strip().lstrip("\"'*`_ ").casefold()
    matches = [i for i, option in enumerate(options) if re.match(re.escape(option.strip().casefold()) + r"(?!\w)", text)]
    if not matches:
        return [-math.log(len(options))] * len(options)
    chosen = max(matches, key=lambda i: len(options[i].strip()))
    return [0.0 if i == chosen else NOT_CHOSEN for i in range(len(options))]
