"""Turning a chat into the text a model continues, for models with and without a chat template.

Models with a template (SmolLM2's ChatML, instruct models) use the tokenizer's own, with the
generation prompt added. Base models (Gemma-3-270m) have none and get a plain transcript:

    <system text>

    User: <text>
    Assistant:

and every option to score is then read as the text after "Assistant: " (a leading space is added).
A base model given a transcript tends to go on writing the next turns; its reply ends where it
starts a new "User:" line (`reply_text`).
"""
from __future__ import annotations

from typing import Sequence

from papers.core.io import UserError

from .types import Chat, ImagePart, text_only


class PromptTooLong(UserError, ValueError):
    """A prompt (with the tokens asked for after it) longer than the model's context."""

_LABELS = {"user": "User", "assistant": "Assistant"}


def render_plain(messages: Chat) -> str:
    parts: list[str] = []
    for role, content in messages:
        if role == "system":
            parts.append(content.strip() + "\n")
        else:
            parts.append(f"{_LABELS[role]}: {content.strip()}")
    return "\n".join(parts) + "\nAssistant:"


def uses_plain(tokenizer, chat_template: str) -> bool:
    """plain when asked for, or when the tokenizer has no template of its own."""
    if chat_template not in ("auto", "plain"):
        raise ValueError(f"chat_template must be 'auto' or 'plain', got {chat_template!r}")
    return chat_template == "plain" or not getattr(tokenizer, "chat_template", None)


def render(tokenizer, messages: Chat, chat_template: str = "auto") -> str:
    if uses_plain(tokenizer, chat_template):
        return render_plain(messages)
    return tokenizer.apply_chat_template(
        [{"role": r, "content": c} for r, c in messages], tokenize=False, add_generation_prompt=True)


def reply_text(generated: str, plain: bool) -> str:
    """The reply in a generated continuation: for a plain transcript, the text before the next turn."""
    if plain:
        generated = generated.split("\nUser:", 1)[0]
        generated = generated.removesuffix("\nUser")  # the next turn cut off by the token limit
    return generated.strip()


def option_text(option: str, plain: bool) -> str:
    """The continuation scored for an option: after 'Assistant:' a space separates the reply."""
    return " " + option if plain and not option.startswith((" ", "\n")) else option


class PromptEncoding:
    """Token ids of prompts and options for a local backend (one with self.tokenizer, self.spec and
    self.plain), defined once so that the hf and vllm backends score exactly the same ids."""

    context_length: int | None = None  # the model's, where the backend knows it

    def prompt_text(self, messages: Chat) -> str:
        return render(self.tokenizer, text_only(messages, self.spec.model), self.spec.chat_template)

    def encode_prompt(self, messages: Chat, after: int = 0) -> list[int]:
        """The prompt's token ids; with `after` more tokens (new tokens, an option) it must fit the
        model's context: a longer one is an error, never a silent truncation or a minutes-long run."""
        text = self.prompt_text(messages)
        bos = self.tokenizer.bos_token
        # Chat templates that write BOS themselves must not get a second one.
        add_special = not (bos and text.startswith(bos))
        ids = list(self.tokenizer(text, add_special_tokens=add_special)["input_ids"])
        if self.context_length and len(ids) + after > self.context_length:
            start = " ".join(text_only(messages, self.spec.model)[-1][1].split())[:80]
            raise PromptTooLong(f"model {self.spec.model!r}: a prompt of {len(ids)} tokens (+{after} after it) "
                                f"exceeds the model's context of {self.context_length} tokens; the prompt "
                                f"begins {start!r}")
        return ids

    def reply(self, generated: str) -> str:
        return reply_text(generated, self.plain)

    def encode_options(self, options: Sequence[str]) -> list[list[int]]:
        ids = [list(self.tokenizer(option_text(o, self.plain), add_special_tokens=False)["input_ids"])
               for o in options]
        for option, toks in zip(options, ids):
            if not toks:
                raise ValueError(f"option {option!r} encodes to no tokens")
        return ids


def conversation(messages: Chat) -> list[dict]:
    """A chat as transformers' multimodal messages: each content a list of typed entries."""
    out = []
    for role, content in messages:
        parts = [content] if isinstance(content, str) else content
        out.append({"role": role, "content": [
            {"type": "text", "text": p} if isinstance(p, str)
            else {"type": "image"} if isinstance(p, ImagePart) else {"type": "text", "text": p.text}
            for p in parts]})
    return out


def images_of(messages: Chat) -> list:
    """The chat's images as PIL images, in order of appearance (image() checked that each decodes)."""
    import io

    from PIL import Image

    return [Image.open(io.BytesIO(p.data)).convert("RGB") for _, content in messages if not isinstance(content, str)
            for p in content if isinstance(p, ImagePart)]
