"""Requests to a model, as frozen (hashable, serialisable) dataclasses.

A chat is a tuple of (role, content) pairs. Content is a string, or a tuple of parts (TextPart,
ImagePart) for a message that shows images. Every backend answers lists of requests, so the backend
controls batching (the lm-evaluation-harness shape). Four kinds of request:
- GenerateRequest: a continuation of the chat;
- ScoreRequest: the log-likelihood of each option as the assistant's reply;
- EmbedRequest: a vector for one text or one image;
- ClassifyRequest: a sequence classifier's log-probability of each named label for a text (or a
  text pair: an NLI model's premise and hypothesis).
A request may name one of its model's LoRA adapters (`adapter`), or a generation request a weighted
mixture of them (`adapter_weights`); the cache keys on their weights.

`key()` of a request is what can change its answer, in canonical JSON form; an image enters the key
as the sha256 of its decoded pixels (mode, size, bytes) and its format, so the same picture saved
twice is one key and a changed pixel is another.
"""
from __future__ import annotations

import hashlib
import io
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from papers.core.io import UserError

ROLES = ("system", "user", "assistant")


class ImageError(UserError, ValueError):
    """An image part that cannot be read as an image; the message names its source."""


@dataclass(frozen=True)
class TextPart:
    text: str

    def __post_init__(self):
        if not isinstance(self.text, str):
            raise TypeError(f"TextPart.text must be str, got {type(self.text).__name__}")

    def key(self) -> dict:
        return {"type": "text", "text": self.text}


@dataclass(frozen=True)
class ImagePart:
    """An image in a message: its encoded bytes (what a server is sent), its format (PNG, JPEG...)
    and the sha256 of its decoded pixels. Build it with `image()`, which checks that it decodes."""

    data: bytes = field(repr=False)
    format: str
    pixels_sha256: str
    source: str = field(default="", compare=False)  # a path or a label, for error messages only

    def key(self) -> dict:
        return {"type": "image", "format": self.format, "pixels_sha256": self.pixels_sha256}


def image(source: str | Path | bytes, label: str = "") -> ImagePart:
    """An ImagePart from a file path or encoded bytes. A missing, truncated or non-image input is an
    ImageError naming `label` (e.g. a meme id) and the path."""
    from PIL import Image, UnidentifiedImageError

    if isinstance(source, (str, Path)):
        where = f"{label}: {source}" if label else str(source)
        try:
            data = Path(source).read_bytes()
        except OSError as err:
            raise ImageError(f"{where}: cannot read the image ({err.strerror or err})") from None
    elif isinstance(source, bytes):
        where, data = label or "image bytes", source
    else:
        raise TypeError(f"image() takes a path or bytes, got {type(source).__name__}")
    try:
        with Image.open(io.BytesIO(data)) as picture:
            picture.load()  # decodes every pixel: a truncated file fails here, not in a model
            digest = hashlib.sha256(
                f"{picture.mode}:{picture.size[0]}x{picture.size[1]}:".encode() + picture.tobytes())
            fmt = picture.format or "unknown"
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as err:
        raise ImageError(f"{where}: not a readable image ({err})") from None
    return ImagePart(data, fmt, digest.hexdigest(), source=where)


Part = TextPart | ImagePart
Content = str | tuple[Part, ...]
Chat = tuple[tuple[str, Content], ...]


def _check_content(content) -> Content:
    if isinstance(content, str):
        return content
    if isinstance(content, (tuple, list)) and content and all(isinstance(p, (TextPart, ImagePart)) for p in content):
        return tuple(content)
    raise TypeError("chat content must be a str or a non-empty sequence of TextPart/ImagePart, "
                    f"got {type(content).__name__}")


def chat(*turns: tuple[str, Content]) -> Chat:
    """Build a chat, checking roles: chat(("system", "..."), ("user", "...")). A turn's content may be
    a tuple of parts: ("user", (image(path), TextPart("Is this meme hateful?")))."""
    for role, _ in turns:
        if role not in ROLES:
            raise ValueError(f"unknown chat role {role!r}; expected one of {ROLES}")
    return tuple((r, _check_content(c)) for r, c in turns)


def user(text: Content, system: str | None = None) -> Chat:
    """The common case: one user turn, optionally after a system turn."""
    return chat(("system", system), ("user", text)) if system else chat(("user", text))


def content_key(content: Content):
    """A message's content as it enters a cache key: text as is, parts as typed records."""
    return content if isinstance(content, str) else [p.key() for p in content]


def messages_key(messages: Chat) -> list:
    return [[role, content_key(content)] for role, content in messages]


def text_only(messages: Chat, model: str) -> tuple[tuple[str, str], ...]:
    """The chat with every content as plain text, for a model that takes no images: text parts are
    joined; an image part is an error naming the model."""
    out = []
    for role, content in messages:
        if not isinstance(content, str):
            if any(isinstance(p, ImagePart) for p in content):
                raise ValueError(f"model {model!r} takes text only, but a {role} message holds an image "
                                 "part; use a vision-language model for image requests")
            content = "".join(p.text for p in content)
        out.append((role, content))
    return tuple(out)


@dataclass(frozen=True)
class Sampling:
    """Decoding settings. temperature 0 means greedy (and then top_p and seed do not matter)."""

    temperature: float = 0.0
    top_p: float = 1.0
    max_new_tokens: int = 128
    seed: int = 0

    @property
    def greedy(self) -> bool:
        return self.temperature <= 0.0

    def key(self) -> dict:
        """The fields that can change the output: greedy decoding ignores top_p and seed."""
        if self.greedy:
            return {"temperature": 0.0, "max_new_tokens": self.max_new_tokens}
        return asdict(self)


def _with_adapter(key: dict, adapter: str) -> dict:
    # No adapter adds nothing, so a request to the bare model keys as it always did.
    return {**key, "adapter": adapter} if adapter else key


@dataclass(frozen=True)
class GenerateRequest:
    """Generate one continuation of `messages`; `sample_index` tells repeated samples apart.
    `adapter_weights` asks for a mixture of the model's LoRA adapters instead of one: every named
    adapter on at once, each one's low-rank update scaled by its weight (a LoRA mixture of experts
    with per-request gates)."""

    messages: Chat
    sampling: Sampling = field(default_factory=Sampling)
    sample_index: int = 0
    adapter: str = ""
    adapter_weights: tuple[tuple[str, float], ...] = ()

    def __post_init__(self):
        if not isinstance(self.adapter_weights, tuple) or not all(
                isinstance(p, tuple) and len(p) == 2 and isinstance(p[0], str) and p[0]
                and isinstance(p[1], (int, float)) and not isinstance(p[1], bool) for p in self.adapter_weights):
            raise TypeError(f"adapter_weights must be a tuple of (adapter name, weight) pairs, got "
                            f"{self.adapter_weights!r}")
        if self.adapter_weights and self.adapter:
            raise ValueError("a request names one adapter or a mixture of adapters (adapter_weights), not both")
        names = [name for name, _ in self.adapter_weights]
        if len(set(names)) != len(names):
            raise ValueError(f"adapter_weights names an adapter twice: {names}")

    def key(self) -> dict:
        key = _with_adapter({"kind": "generate", "messages": messages_key(self.messages),
                             "sampling": self.sampling.key(), "sample_index": self.sample_index}, self.adapter)
        if self.adapter_weights:  # no mixture adds nothing, so other requests key as they always did
            key["adapter_weights"] = [[name, float(w)] for name, w in self.adapter_weights]
        return key

    def answer_problem(self, answer) -> str:
        return "" if isinstance(answer, str) else f"a generated answer must be text, got {type(answer).__name__}"


def request_seed(request: GenerateRequest) -> int:
    """A 31-bit seed from the config seed, the sample index and the prompt: every backend samples a
    request from its own seed, so an answer does not depend on the batch it was computed in, and
    different prompts do not share one random stream."""
    blob = json.dumps([request.sampling.seed, request.sample_index, messages_key(request.messages)],
                      sort_keys=True).encode()
    return int.from_bytes(hashlib.sha256(blob).digest()[:4], "little") & 0x7FFFFFFF


def _numbers_problem(answer, count: int | None, what: str) -> str:
    if not isinstance(answer, list) or not all(isinstance(v, (int, float)) and not isinstance(v, bool)
                                               for v in answer):
        return f"{what} must be a list of numbers, got {str(answer)[:60]!r}"
    if count is not None and len(answer) != count:
        return f"{what} has {len(answer)} values for {count} options"
    if not answer:
        return f"{what} is empty"
    if any(v != v for v in answer):
        return f"{what} holds NaN"
    return ""


@dataclass(frozen=True)
class ScoreRequest:
    """Log-likelihood of each option as the assistant's reply to `messages`.

    Options are tokenized on their own (no special tokens) and appended to the rendered prompt,
    so every backend and every scoring method sees the same token ids.
    """

    messages: Chat
    options: tuple[str, ...]
    adapter: str = ""

    def __post_init__(self):
        if not self.options:
            raise ValueError("ScoreRequest needs at least one option")

    def key(self) -> dict:
        return _with_adapter({"kind": "score", "messages": messages_key(self.messages),
                              "options": list(self.options)}, self.adapter)

    def answer_problem(self, answer) -> str:
        return _numbers_problem(answer, len(self.options), "an option-score answer")


@dataclass(frozen=True)
class EmbedRequest:
    """One vector for a text or an image (unit length where the backend normalises)."""

    input: str | ImagePart
    adapter: str = ""

    def __post_init__(self):
        if not isinstance(self.input, (str, ImagePart)):
            raise TypeError(f"EmbedRequest.input must be str or ImagePart, got {type(self.input).__name__}")

    def key(self) -> dict:
        value = self.input if isinstance(self.input, str) else self.input.key()
        return _with_adapter({"kind": "embed", "input": value}, self.adapter)

    def answer_problem(self, answer) -> str:
        return _numbers_problem(answer, None, "an embedding")


@dataclass(frozen=True)
class ClassifyRequest:
    """A sequence classifier's log-probability of each of `labels` for `text`, or for the pair
    (`text`, `text_pair`) when a pair is given (NLI: premise, hypothesis). Labels are the model's own
    names (its config's id2label, matched without case), in the order the caller wants them back; the
    probabilities are over all the model's labels, so asking for a subset does not renormalise."""

    text: str
    labels: tuple[str, ...]
    text_pair: str = ""
    adapter: str = ""

    def __post_init__(self):
        for name in ("text", "text_pair"):
            if not isinstance(getattr(self, name), str):
                raise TypeError(f"ClassifyRequest.{name} must be str, got {type(getattr(self, name)).__name__}")
        if not isinstance(self.labels, tuple) or not self.labels or not all(
                isinstance(label, str) and label for label in self.labels):
            raise TypeError(f"ClassifyRequest.labels must be a non-empty tuple of label names, got {self.labels!r}")
        if len({label.lower() for label in self.labels}) != len(self.labels):
            raise ValueError(f"ClassifyRequest.labels names a label twice: {self.labels}")

    def key(self) -> dict:
        return _with_adapter({"kind": "classify", "text": self.text, "text_pair": self.text_pair,
                              "labels": list(self.labels)}, self.adapter)

    def answer_problem(self, answer) -> str:
        problem = _numbers_problem(answer, len(self.labels), "a classification answer")
        if not problem and any(v > 0 for v in answer):
            problem = "a classification answer holds a log-probability above 0"
        return problem


Request = GenerateRequest | ScoreRequest | EmbedRequest | ClassifyRequest
