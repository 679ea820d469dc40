"""The cache key misses nothing that can change an answer: every field of every backend's registry
entry (walked from the config schema and the map of backends), image pixels, adapter names and
weights; and the cache refuses what it cannot trust (answers that do not fit their request, corrupt
files), naming the file and the key."""
import io
import os
import threading
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
import yaml
from PIL import Image

from papers.core.cache import CacheError, CachedModel, CallCache, call_key
from papers.core.config import SCHEMA
from papers.core.embed import embed
from papers.core.llm.base import BACKENDS, NOT_IN_KEY, ModelConfigError, ModelSpec
from papers.core.llm.types import (EmbedRequest, GenerateRequest, ImageError, ScoreRequest, TextPart, image,
                                   text_only, user)
from tests.fakes import FAKE_SPEC, FakeBackend

REAL_BACKENDS = [name for name in BACKENDS if name != "fake"]


def model_fields() -> dict:
    schema = yaml.safe_load(SCHEMA.read_text())
    return schema["$defs"]["model"]["properties"]


def two_values(name: str, prop: dict, tmp_path) -> tuple:
    """Two different valid values of a registry field, whatever its kind."""
    if name in ("adapter",):
        return adapter_dir(tmp_path / "a1", b"one"), adapter_dir(tmp_path / "a2", b"two")
    if "enum" in prop:
        return tuple(prop["enum"][:2])
    return {"string": ("a", "b"), "integer": (1, 2), "number": (1.0, 2.0), "boolean": (False, True)}[prop["type"]]


def adapter_dir(path, weights: bytes) -> str:
    path.mkdir(parents=True, exist_ok=True)
    (path / "adapter_model.safetensors").write_bytes(weights)
    return str(path)


def key_of(entry: dict) -> str:
    return call_key(ModelSpec.from_config(entry).key(), GenerateRequest(user("x")).key())[0]


@pytest.mark.parametrize("backend", REAL_BACKENDS)
def test_every_entry_field_is_keyed_unless_named_transport(backend, tmp_path):
    base = {"backend": backend, "model": "m", "revision": "r", "dtype": "float32"}
    walked = []
    for name, prop in model_fields().items():
        if name in ("backend", "options", "adapters"):
            continue  # the backend is walked by the parametrisation; options and adapters below
        first, second = two_values(name, prop, tmp_path)
        same = key_of({**base, name: first}) == key_of({**base, name: second})
        assert same == (name in NOT_IN_KEY), f"{backend}: field {name!r} " + (
            "leaves the key unchanged but is not in NOT_IN_KEY" if same else "is in NOT_IN_KEY but changes the key")
        walked.append(name)
    for option in BACKENDS[backend].options:
        same = key_of({**base, "options": {option: 1}}) == key_of({**base, "options": {option: 2}})
        assert same == (option in NOT_IN_KEY), f"{backend}: option {option!r}"
        walked.append(option)
    assert {"model", "revision", "dtype", "batch_size", "chat_template", "gpus"} <= set(walked)


def test_backends_differ_and_unknown_fields_are_refused():
    entry = {"model": "m", "revision": "r", "dtype": "float32"}
    assert len({key_of({**entry, "backend": b}) for b in REAL_BACKENDS}) == len(REAL_BACKENDS)
    with pytest.raises(ModelConfigError, match="unknown option.*quantisation.*allowed: .*quantization"):
        ModelSpec.from_config({**entry, "backend": "vllm", "options": {"quantisation": "awq"}})
    with pytest.raises(ModelConfigError, match="unknown registry field"):
        ModelSpec.from_config({**entry, "backend": "hf", "adaptor": "x"})
    with pytest.raises(ModelConfigError, match="unknown backend 'tgi'"):
        ModelSpec.from_config({**entry, "backend": "tgi"})


def png(color, fmt="PNG", **save) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), color).save(out, fmt, **save)
    return out.getvalue()


def test_an_image_part_is_keyed_by_its_pixels_and_format():
    red, red_again, blue = image(png("red")), image(png("red", compress_level=1)), image(png("blue"))
    assert red.data != red_again.data and red.key() == red_again.key()  # same pixels, other bytes
    ask = lambda picture: GenerateRequest(user((picture, TextPart("Is this meme hateful?")))).key()  # noqa: E731
    assert ask(red) == ask(red_again) != ask(blue)
    assert ask(red) != ask(image(png("red", "BMP")))
    assert ask(red) != GenerateRequest(user("Is this meme hateful?")).key()
    # a text-only request keys exactly as before image parts existed (old caches stay valid)
    assert GenerateRequest(user("hi")).key()["messages"] == [["user", "hi"]]


def test_a_bad_image_is_an_error_naming_the_meme_and_path(tmp_path):
    broken = tmp_path / "meme_17.png"
    broken.write_bytes(png("red")[:40])
    with pytest.raises(ImageError, match=r"meme 17: .*meme_17.png: not a readable image"):
        image(broken, label="meme 17")
    with pytest.raises(ImageError, match=r"meme 18: .*missing.png: cannot read"):
        image(tmp_path / "missing.png", label="meme 18")
    (tmp_path / "notes.png").write_text("not a picture")
    with pytest.raises(ImageError, match="notes.png: not a readable image"):
        image(tmp_path / "notes.png")


def test_text_only_models_refuse_image_parts():
    messages = user((image(png("red")), TextPart("caption")))
    with pytest.raises(ValueError, match="model 'smollm2' takes text only"):
        text_only(messages, "smollm2")
    assert text_only(user((TextPart("a"), TextPart("b"))), "m") == (("user", "ab"),)


def test_an_adapter_name_and_its_weights_change_the_key(tmp_path):
    spec = replace(FAKE_SPEC, adapters={"helpful": adapter_dir(tmp_path / "h", b"h1"),
                                        "harmless": adapter_dir(tmp_path / "s", b"s1")})
    model = CachedModel(spec, CallCache(tmp_path / "c.sqlite"), loader=FakeBackend)
    request = ScoreRequest(user("x"), ("Yes", "No"))
    keys = {model.request_key(replace(request, adapter=a))[0] for a in ("", "helpful", "harmless")}
    assert len(keys) == 3
    retrained = replace(spec, adapters={**spec.adapters, "helpful": adapter_dir(tmp_path / "h2", b"h2")})
    again = CachedModel(retrained, model.cache, loader=FakeBackend)
    assert again.request_key(replace(request, adapter="helpful")) != model.request_key(replace(request, adapter="helpful"))
    with pytest.raises(ModelConfigError, match="no adapter named 'honest' .*known: helpful, harmless"):
        model.request_key(replace(request, adapter="honest"))


def test_embeddings_go_through_the_cache(tmp_path):
    backend = FakeBackend()
    model = CachedModel(FAKE_SPEC, CallCache(tmp_path / "c.sqlite"), loader=lambda s: backend)
    first = embed(model, ["ab", "abcd"])
    assert first.shape == (2, 2) and first.dtype.name == "float32" and backend.requests == 2
    assert (embed(model, ["abcd", "ab"]) == first[::-1]).all() and backend.requests == 2
    with pytest.raises(TypeError, match="sequence of inputs"):
        embed(model, "ab")


def test_a_cached_answer_that_does_not_fit_its_request_is_an_error(tmp_path):
    path = tmp_path / "c.sqlite"
    model = CachedModel(FAKE_SPEC, CallCache(path), loader=FakeBackend)
    request = ScoreRequest(user("x"), ("a", "bb", "ccc"))
    key, text = model.request_key(request)
    model.cache.put_many([(key, text, [-1.0, -2.0])])  # one option short
    with pytest.raises(CacheError, match=f"{path}: key {key}: the cached answer .* 2 values for 3 options"):
        model.score([request])
    other = ScoreRequest(user("y"), ("a",))
    key, text = model.request_key(other)
    model.cache.put_many([(key, text, "yes")])
    with pytest.raises(CacheError, match="must be a list of numbers"):
        model.score([other])


def test_a_corrupt_cache_names_its_path(tmp_path):
    path = tmp_path / "llm_calls.sqlite"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(CacheError, match=f"{path}: not a readable call cache"):
        CallCache(path)


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere: a read-only folder cannot be made")
def test_a_cache_in_a_read_only_folder_is_read(tmp_path):
    _read_only_cache(tmp_path)


def test_a_read_only_cache_file_is_read_without_writing(tmp_path, monkeypatch):
    # As root nothing is unwritable, so the check of write access is what makes the cache read-only.
    monkeypatch.setattr(os, "access", lambda path, mode: False)
    _read_only_cache(tmp_path)


def _read_only_cache(tmp_path):
    folder = tmp_path / "shipped"
    folder.mkdir()
    model = CachedModel(FAKE_SPEC, CallCache(folder / "c.sqlite"), loader=FakeBackend)
    answers = model.generate([GenerateRequest(user("x"))])
    model.cache.close()
    before = sorted(p.name for p in folder.iterdir())
    folder.chmod(0o555)
    (folder / "c.sqlite").chmod(0o444)
    try:
        shipped = CachedModel(FAKE_SPEC, CallCache(folder / "c.sqlite"), loader=FakeBackend)
        assert shipped.cache.read_only and shipped.generate([GenerateRequest(user("x"))]) == answers
        with pytest.raises(CacheError, match="read-only and lacks 1 answer"):
            shipped.generate([GenerateRequest(user("new"))])
        assert sorted(p.name for p in folder.iterdir()) == before
    finally:
        folder.chmod(0o755)


class EchoingServer(BaseHTTPRequestHandler):
    """An OpenAI-compatible server gone wrong: its 401 error quotes the request's Authorization header."""

    def do_POST(self):  # noqa: N802 - the http.server API
        body = ('{"error": {"message": "invalid key in header: %s", "type": "auth"}}'
                % self.headers.get("Authorization")).encode()
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_an_upstream_error_that_echoes_the_key_is_redacted(monkeypatch):
    from papers.core.llm.openai_backend import OpenAIBackend, UpstreamError

    secret = "sk-test-4f9a1c77e0b2"
    monkeypatch.setenv("PLURALIGN_TEST_KEY", secret)
    server = HTTPServer(("127.0.0.1", 0), EchoingServer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        spec = ModelSpec(backend="openai", model="served", options={
            "base_url": f"http://127.0.0.1:{server.server_port}/v1", "api_key_env": "PLURALIGN_TEST_KEY",
            "max_retries": 0, "timeout": 10})
        with pytest.raises(UpstreamError) as err:
            OpenAIBackend(spec).generate([GenerateRequest(user("hi"))])
    finally:
        server.shutdown()
    message = str(err.value)
    assert "AuthenticationError" in message and "Bearer [redacted]" in message
    assert secret not in message and err.value.__cause__ is None and err.value.__suppress_context__


def test_openai_messages_carry_images_as_data_urls():
    from papers.core.llm.openai_backend import message_content

    parts = message_content((image(png("red")), TextPart("Is this meme hateful?")))
    assert parts[0]["type"] == "image_url" and parts[0]["image_url"]["url"].startswith("data:image/png;base64,")
    assert parts[1] == {"type": "text", "text": "Is this meme hateful?"}
    assert message_content("plain") == "plain"


def test_sqlite_error_while_reading_names_the_cache(tmp_path):
    path = tmp_path / "c.sqlite"
    cache = CallCache(path)
    cache._db.execute("DROP TABLE calls")
    with pytest.raises(CacheError, match=f"{path}: cannot read the call cache"):
        cache.get_many(["k"])
