"""The `hf` backend: transformers models on CPU or GPU (the embedded default at mini scale).

- generate: batches with left padding, greedy or sampled. Sampling draws each row with its own
  generator, seeded from its request (types.request_seed), so the draw does not depend on which other
  requests shared its batch. The probabilities drawn from do in bfloat16, whose rounding depends on
  the padded batch's shape (7 of 8 sampled SmolLM2 answers changed when generated alone); in float32
  they did not. An entry's option `generate_dtype: float32` generates with a float32 copy of the model
  while scoring (one request at a time, so no batchmates) keeps the entry's dtype.
- adapters: a registry entry may name LoRA adapters (`adapters`, and `adapter` for requests naming
  none); all are loaded once onto the one base, and each group of requests runs with its own
  adapter switched on (or every adapter off, for the bare base); with the entry's option
  `mixed_adapter_batches: true`, generation batches rows of different adapters together instead
  (peft's `adapter_names`: the same greedy answers, tests/test_train_lora.py). A generation request
  may instead ask for a weighted mixture (`adapter_weights`): the named adapters on together, each
  row's LoRA updates scaled by its own weights, so requests with different gates share a batch.
- score: the prompt is run once; its KV cache is repeated across the K options, which are then
  scored in one batched forward. `score_naive` runs K full sequences instead: same numbers up to
  float error, kept as the reference for tests and benchmarks/bench_llm.py.
"""
from __future__ import annotations

import contextlib
import copy
from pathlib import Path
from typing import Sequence

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer, LogitsProcessor, LogitsProcessorList

from .base import DEFAULT_ADAPTER, Backend, ModelSpec
from .chat import PromptEncoding, uses_plain
from .types import GenerateRequest, ScoreRequest, request_seed

OPTION_CHUNK = 64  # options scored per forward: bounds the (K x L x vocab) logits in memory


class PerRowSampler(LogitsProcessor):
    """Temperature and top-p sampling with one torch.Generator per row. It leaves a single allowed
    token per row, so generate() run greedily takes exactly the sampled one."""

    def __init__(self, seeds: list[int], temperature: float, top_p: float):
        self.generators = [torch.Generator().manual_seed(seed) for seed in seeds]
        self.temperature, self.top_p = temperature, top_p

    def __call__(self, input_ids: torch.Tensor, scores: torch.Tensor) -> torch.Tensor:
        probs = torch.softmax(scores.float() / self.temperature, dim=-1)
        ranked, order = probs.sort(dim=-1, descending=True)
        ranked[(ranked.cumsum(-1) - ranked) > self.top_p] = 0.0  # nucleus: the top token always stays
        chosen = torch.stack([order[i, torch.multinomial(ranked[i], 1, generator=g)]
                              for i, g in enumerate(self.generators)])
        return torch.full_like(scores, float("-inf")).scatter(1, chosen, 0.0)


def _batches(items: list, size: int):
    for i in range(0, len(items), size):
        yield items[i:i + size]


def _by_adapter(requests) -> dict[str, list[int]]:
    groups: dict[str, list[int]] = {}
    for i, r in enumerate(requests):
        groups.setdefault(r.adapter, []).append(i)
    return groups


def hub_revision(spec: ModelSpec) -> str | None:
    """The revision to fetch a hub model at (the registry pins it); None for a local directory, whose files
    are what they are (a materialised model's `revision` names its wheel, not a hub commit)."""
    return None if Path(spec.model).is_dir() else spec.revision


def load_hf(spec: ModelSpec) -> Backend:
    """The hf backend for a registry entry: a vision-language model (hf_vision.py) when the entry names
    one, else a text model."""
    from .hf_vision import HFVisionBackend, is_vision_model

    return HFVisionBackend(spec) if is_vision_model(spec) else HFBackend(spec)


class HFBackend(PromptEncoding, Backend):
    def __init__(self, spec: ModelSpec):
        super().__init__(spec)
        self.tokenizer = AutoTokenizer.from_pretrained(spec.model, revision=hub_revision(spec))
        self.tokenizer.padding_side = "left"
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self.model = self._load(spec.dtype)
        self.context_length = getattr(self.model.config, "max_position_embeddings", None)
        self._generator = None
        self.plain = uses_plain(self.tokenizer, spec.chat_template)

    def _load(self, dtype: str):
        model = AutoModelForCausalLM.from_pretrained(self.spec.model, revision=hub_revision(self.spec),
                                                     dtype=getattr(torch, dtype))
        if torch.cuda.is_available():  # paper scale: a 7-8B model on a GPU node's CPU would crawl
            model = model.to("cuda")
        return self._with_adapters(model)

    @property
    def device(self) -> torch.device:
        """Where the model's weights are, and so where its inputs go."""
        return next(self.model.parameters()).device

    def _with_adapters(self, model):
        adapters = {**({DEFAULT_ADAPTER: self.spec.adapter} if self.spec.adapter else {}), **self.spec.adapters}
        if adapters:
            from peft import PeftModel

            # Kept unmerged: merging a small LoRA update into bf16 weights would round it away.
            (first, path), *rest = adapters.items()
            model = PeftModel.from_pretrained(model, path, adapter_name=first)
            for name, path in rest:
                model.load_adapter(path, adapter_name=name)
        return model.eval()

    @property
    def generator(self):
        """The model generation runs on: in options.generate_dtype when the entry sets one (float32,
        so that an answer does not depend on its batchmates' padding), else the scoring model."""
        if self._generator is None:
            dtype = self.spec.options.get("generate_dtype", self.spec.dtype)
            self._generator = self.model if dtype == self.spec.dtype else self._load(dtype)
        return self._generator

    def _adapter(self, name: str, model):
        """Run `model` with adapter `name` on; a request naming none gets the entry's `adapter`, or
        the base with every adapter off."""
        if name and name not in self.spec.adapters:
            self.spec.adapter_path(name)  # raises, naming the adapters the entry has
        if not (self.spec.adapter or self.spec.adapters):
            return contextlib.nullcontext()
        if not name and not self.spec.adapter:
            return model.disable_adapter()
        model.set_adapter(name or DEFAULT_ADAPTER)
        return contextlib.nullcontext()

    @contextlib.contextmanager
    def _mixture(self, names: tuple[str, ...], weights: list[list[float]], model):
        """Run `model` with every adapter of `names` on at once, row i's update of adapter j scaled
        by weights[i][j]: a forward hook on each adapter's lora_B scales its output per row (the
        update is lora_B(lora_A(x)) * scaling, so this scales the whole update)."""
        for name in names:
            self.spec.adapter_path(name)  # raises, naming the adapters the entry has
        gates = torch.tensor(weights, dtype=torch.float32)
        hooks = []
        for module in model.modules():
            lora_b = getattr(module, "lora_B", None)
            if isinstance(lora_b, torch.nn.ModuleDict):
                for j, name in enumerate(names):
                    if name in lora_b:
                        hooks.append(lora_b[name].register_forward_hook(
                            lambda _m, _i, out, j=j: out * gates[:, j].to(out.device, out.dtype).view(
                                -1, *[1] * (out.dim() - 1))))
        model.base_model.set_adapter(list(names))
        try:
            yield
        finally:
            for hook in hooks:
                hook.remove()
            model.set_adapter(names[0])  # one adapter active again, as _adapter expects

    # -- generation --------------------------------------------------------------------------------
    def _row_adapter(self, name: str) -> str:
        """The adapter a row of a mixed-adapter batch runs with (peft's `adapter_names`): its own, else
        the entry's `adapter`, else none ("__base__")."""
        if name:
            self.spec.adapter_path(name)  # raises, naming the adapters the entry has
            return name
        return DEFAULT_ADAPTER if self.spec.adapter else "__base__"

    @torch.inference_mode()
    def generate(self, requests: Sequence[GenerateRequest]) -> list[str]:
        out: list[str | None] = [None] * len(requests)
        # options.mixed_adapter_batches: requests naming different single adapters share a batch, each
        # row with its own adapter (peft's adapter_names), instead of one batch per adapter: a decoding
        # step of a small model costs about the same for 2 rows as for 16.
        mixed = self.spec.options.get("mixed_adapter_batches", False) and bool(self.spec.adapter or self.spec.adapters)
        by_setting: dict = {}
        for i, r in enumerate(requests):
            mixture = tuple(name for name, _ in r.adapter_weights)
            adapter = None if mixed and not mixture else r.adapter
            by_setting.setdefault((adapter, mixture, r.sampling), []).append(i)
        pad = self.tokenizer.pad_token_id
        for (adapter, mixture, sampling), idx in by_setting.items():
            for chunk in _batches(idx, self.spec.batch_size):
                inputs = self.batch_inputs([requests[i].messages for i in chunk], sampling.max_new_tokens)
                width = inputs["input_ids"].shape[1]
                kwargs = dict(max_new_tokens=sampling.max_new_tokens, pad_token_id=pad, do_sample=False,
                              temperature=None, top_p=None, top_k=None)
                if not sampling.greedy:
                    seeds = [request_seed(requests[i]) for i in chunk]
                    kwargs["logits_processor"] = LogitsProcessorList(
                        [PerRowSampler(seeds, sampling.temperature, sampling.top_p)])
                weights = [[w for _, w in requests[i].adapter_weights] for i in chunk]
                if adapter is None:  # a mixed-adapter batch
                    kwargs["adapter_names"] = [self._row_adapter(requests[i].adapter) for i in chunk]
                    context = contextlib.nullcontext()
                elif mixture:
                    context = self._mixture(mixture, weights, self.generator)
                else:
                    context = self._adapter(adapter, self.generator)
                with context:
                    gen = self.generator.generate(**inputs, **kwargs)
                texts = self.tokenizer.batch_decode(gen[:, width:].cpu(), skip_special_tokens=True)
                for i, text in zip(chunk, texts):
                    out[i] = self.reply(text)
        return out  # type: ignore[return-value]

    def batch_inputs(self, chats, max_new_tokens: int) -> dict:
        """The model inputs of a batch of prompts, padded on the left (generation)."""
        prompts = [self.encode_prompt(messages, max_new_tokens) for messages in chats]
        width, pad = max(map(len, prompts)), self.tokenizer.pad_token_id
        return {"input_ids": torch.tensor([[pad] * (width - len(p)) + p for p in prompts], device=self.device),
                "attention_mask": torch.tensor([[0] * (width - len(p)) + [1] * len(p) for p in prompts],
                                               device=self.device)}

    # -- scoring -----------------------------------------------------------------------------------
    def score(self, requests: Sequence[ScoreRequest]) -> list[list[float]]:
        scores: list[list[float]] = [[] for _ in requests]
        for adapter, idx in _by_adapter(requests).items():
            with self._adapter(adapter, self.model):
                for i in idx:
                    scores[i] = self.score_one(requests[i])
        return scores

    def score_one(self, request: ScoreRequest) -> list[float]:
        return self._score_shared_prefix(request)

    @torch.inference_mode()
    def _score_shared_prefix(self, request: ScoreRequest) -> list[float]:
        options = self.encode_options(request.options)
        prompt = self.encode_prompt(request.messages, max(map(len, options)))
        # Only the last prompt position's logits are needed: it predicts each option's first token.
        out = self.model(input_ids=torch.tensor([prompt], device=self.device), use_cache=True, logits_to_keep=1)
        first_logprobs = torch.log_softmax(out.logits[0, -1].float(), dim=-1)
        if all(len(o) == 1 for o in options):  # e.g. Yes / No: the prompt's last logits are the answer
            return first_logprobs[[o[0] for o in options]].double().tolist()
        prompt_cache = out.past_key_values
        scores: list[float] = [0.0] * len(options)
        for chunk in self._length_groups(options):
            ids, mask = self._pad_right([options[i] for i in chunk])
            cache = copy.deepcopy(prompt_cache)
            cache.batch_repeat_interleave(len(chunk))
            attention = torch.cat([torch.ones(len(chunk), len(prompt), dtype=mask.dtype, device=mask.device), mask], 1)
            logits = self.model(input_ids=ids, attention_mask=attention, past_key_values=cache,
                                use_cache=True).logits
            for i, s in zip(chunk, self._sum_logprobs(first_logprobs[ids[:, 0]], logits[:, :-1], ids, mask)):
                scores[i] = s
        return scores

    @staticmethod
    def _length_groups(options: list[list[int]]) -> list[list[int]]:
        """Indices of options in chunks of similar length, so little compute goes to padding."""
        order = sorted(range(len(options)), key=lambda i: (len(options[i]), i))
        chunks: list[list[int]] = []
        for i in order:
            if chunks and len(chunks[-1]) < OPTION_CHUNK and \
                    len(options[i]) <= 1.25 * len(options[chunks[-1][0]]) + 1:
                chunks[-1].append(i)
            else:
                chunks.append([i])
        return chunks

    @torch.inference_mode()
    def score_naive(self, request: ScoreRequest) -> list[float]:
        """Reference: K full sequences (prompt + option) in one batch, no sharing."""
        prompt = self.encode_prompt(request.messages)
        options = self.encode_options(request.options)
        scores: list[float] = []
        for chunk in _batches(options, OPTION_CHUNK):
            seqs = [prompt + o for o in chunk]
            ids, mask = self._pad_right(seqs)
            logits = self.model(input_ids=ids, attention_mask=mask).logits
            p = len(prompt)
            opt_ids, opt_mask = ids[:, p:], mask[:, p:]
            first = torch.log_softmax(logits[:, p - 1].float(), -1).gather(1, opt_ids[:, :1])[:, 0]
            scores += self._sum_logprobs(first, logits[:, p:-1], opt_ids, opt_mask)
        return scores

    def _pad_right(self, seqs: list[list[int]]) -> tuple[torch.Tensor, torch.Tensor]:
        width = max(map(len, seqs))
        pad = self.tokenizer.pad_token_id
        ids = torch.tensor([s + [pad] * (width - len(s)) for s in seqs], device=self.device)
        mask = torch.tensor([[1] * len(s) + [0] * (width - len(s)) for s in seqs], device=self.device)
        return ids, mask

    @staticmethod
    def _sum_logprobs(first: torch.Tensor, logits: torch.Tensor, ids: torch.Tensor,
                      mask: torch.Tensor) -> list[float]:
        """first: log p of each option's first token; logits[:, j] predicts option token j + 1."""
        total = first.double()
        if ids.shape[1] > 1:
            logp = torch.log_softmax(logits.float(), -1)
            rest = logp.gather(-1, ids[:, 1:, None])[..., 0] * mask[:, 1:]
            total = total + rest.double().sum(1)
        return total.tolist()
