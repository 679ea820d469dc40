"""PersoPilot's web application: FastAPI served by uvicorn, pages rendered on the server (Jinja2).

    python -m papers.persopilot.app --db PATH --port 8765          # http://127.0.0.1:8765/

Two roles. End user (/): a chat; each message's persona facts are extracted (extract.py), linked to
the catalogue, and answered with recommendations that show which fact led to which item
(recommend.py). Analyst (/analyst): upload a users CSV, see the users the classifier is least sure
about (confidence under 0.65, active.py) with the labelling assistant's label, score and reasoning
(label.py), accept or decline the suggestion; each answer retrains the classifier and the history
is kept. State is the SQLite file --db. Models come from the config's registry (--model names an
entry; the mini chat model by default) through the call cache (--cache).

Security: bound to 127.0.0.1 unless --host says otherwise; every shown text is escaped (Jinja2
autoescape); the pages run no script and a Content-Security-Policy forbids any; every POST must
carry the session's CSRF token (a cookie and the same value in a hidden form field) and come from
this server's own origin (Origin, or Referer when a browser sends no Origin), else 403. Bad input
(an empty message, an upload over the size limit, a malformed users CSV) is answered with a clear
message and changes nothing stored.
"""
from __future__ import annotations

import asyncio
import hmac
import json
import secrets
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader

from papers.core.io import InputError, UserError

from . import active
from .extract import model_extract, rule_extract
from .label import QUESTION, suggest
from .recommend import load_catalogue, recommend, reply_text
from .store import MAX_TEXT, Store, StoreInputError, check_user_id, parse_users_csv, pending_facts

HERE = Path(__file__).parent
CSRF_COOKIE = "persopilot_csrf"
MAX_UPLOAD = 256 * 1024          # bytes of one users CSV (the mini file is 9 KiB)
CLASSES = ("indoor", "outdoor")  # the mini task's classes (data/persopilot/users.csv)
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; form-action 'self'; "
                               "frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


@dataclass(frozen=True)
class Settings:
    db: str
    catalogue: str = "data/persopilot/catalogue.csv"
    model_entry: dict | None = None   # a registry entry; None with extractor 'rules' and assist 0
    cache: str = ""                   # the call cache; default: persopilot_calls.sqlite beside the db
    extractor: str = "model"          # model | rules (the baseline of extract.py)
    classes: tuple[str, ...] = CLASSES
    question: str = QUESTION
    threshold: float = active.THRESHOLD
    assist: int = 3                   # queued users shown with the assistant's suggestion
    threads: int = 1
    max_upload: int = MAX_UPLOAD
    users: str = ""                   # a users CSV imported at start (optional)
    max_new_tokens: int = field(default=40)

    def __post_init__(self):
        if self.extractor not in ("model", "rules"):
            raise UserError(f"extractor must be 'model' or 'rules', got {self.extractor!r}")
        if self.model_entry is None and (self.extractor == "model" or self.assist > 0):
            raise UserError("a model entry is needed for the model extractor and the labelling assistant")


class Forbidden(Exception):
    """A POST that may come from another site: answered 403."""


class TooLarge(StoreInputError):
    """An upload over the size limit: answered 413."""


class PersoPilot:
    """What the routes share: the store, the catalogue, the one thread that runs models (the
    cache's SQLite connection and torch stay on it), and the model, loaded at its first use."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.store = Store(settings.db)
        self.catalogue = load_catalogue(settings.catalogue)
        self.items = {i.item_id: i for i in self.catalogue}
        self.worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="persopilot-model")
        self._model = None
        if settings.users:
            data = Path(settings.users).read_bytes()
            self.store.import_users(parse_users_csv(data, settings.users, settings.classes))

    @property
    def model(self):
        if self._model is None:
            from papers.core.cli import open_model

            cache = self.settings.cache or str(Path(self.settings.db).with_name("persopilot_calls.sqlite"))
            self._model = open_model(json.dumps(self.settings.model_entry), cache, self.settings.threads,
                                     desc="persopilot")
        return self._model

    async def run(self, fn, *args):
        return await asyncio.get_running_loop().run_in_executor(self.worker, fn, *args)

    def close(self) -> None:
        def release():
            if self._model is not None:
                self._model.close()
        self.worker.submit(release).result()
        self.worker.shutdown()

    # --- end user ------------------------------------------------------------------------------
    def chat(self, user_id: str, text: str) -> int:
        """Extract, link, recommend and store one exchange; returns the message id."""
        s = self.settings
        check_user_id(user_id)
        if not isinstance(text, str):
            raise TypeError(f"text must be str, got {type(text).__name__}")
        if not text.strip():
            raise StoreInputError("the message is empty: write what you like, want or dislike")
        if len(text) > MAX_TEXT:
            raise StoreInputError(f"the message has {len(text)} characters; at most {MAX_TEXT}")
        if s.extractor == "model":
            found = model_extract(self.model, [text], s.max_new_tokens)[0]
        else:
            found = rule_extract(text)
        new = pending_facts(found.triplets)
        facts = self.store.facts(user_id) + new
        persona_class, version = None, None
        model, version_now = active.current_classifier(self.store, s.classes)
        if model is not None:
            persona_class = model.predict([(self.store.persona_text(user_id) + " " + text).strip()])[0]
            version = version_now
        recs = recommend(facts, self.catalogue, persona_class, version)
        reply = reply_text(recs, self.catalogue, facts)
        return self.store.record_exchange(user_id, text, found.triplets, reply, recs)

    def turns(self, user_id: str) -> list[dict]:
        facts = self.store.facts(user_id)
        out, messages = [], self.store.messages(user_id)
        for i, m in enumerate(messages):
            if m["role"] != "user":
                continue
            reply = messages[i + 1]["text"] if i + 1 < len(messages) and messages[i + 1]["role"] == "assistant" else ""
            recs = self.store.recommendations(user_id, m["message_id"])
            for r in recs:
                r["name"] = self.items[r["item_id"]].name if r["item_id"] in self.items else r["item_id"]
            out.append({"message_id": m["message_id"], "text": m["text"], "reply": reply,
                        "facts": [f.triplet for f in facts if f.message_id == m["message_id"]],
                        "recommendations": recs})
        return out

    # --- analyst -------------------------------------------------------------------------------
    def analyst_view(self) -> dict:
        s = self.settings
        queue = active.analyst_queue(self.store, s.classes, s.threshold)
        if s.assist > 0 and queue:
            shown = queue[:s.assist]
            for q, sug in zip(shown, suggest(self.model, [(q["user_id"], q["text"]) for q in shown], s.classes,
                                             s.question)):
                q["assistant"] = sug
        for q in queue:
            q["suggested"] = q["predicted"] or (q["assistant"].label if q.get("assistant") else s.classes[0])
        return {"queue": queue, "history": self.store.history(), "labels": self.store.labels(),
                "n_users": len(self.store.users()), "n_labels": len(self.store.labels())}

    def label(self, user_id: str, suggested: str, decision: str) -> None:
        self.store.add_label(user_id, suggested, decision, self.settings.classes)
        active.retrain(self.store, self.settings.classes)

    def upload(self, data: bytes, filename: str) -> int:
        return self.store.import_users(parse_users_csv(data, filename, self.settings.classes))


def create_app(settings: Settings) -> FastAPI:
    pilot = PersoPilot(settings)
    # autoescape for every template whatever its name: user text is never trusted
    env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=True)
    css = (HERE / "static" / "style.css").read_text(encoding="utf-8")

    @asynccontextmanager
    async def lifespan(_app):
        yield
        pilot.close()

    app = FastAPI(title="PersoPilot", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    app.state.pilot = pilot

    def page(request: Request, template: str, status: int = 200, **values) -> HTMLResponse:
        token = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(32)
        html = env.get_template(template).render(csrf=token, max_text=MAX_TEXT, **values)
        response = HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)
        if request.cookies.get(CSRF_COOKIE) != token:
            response.set_cookie(CSRF_COOKIE, token, httponly=True, samesite="strict", path="/")
        return response

    def same_origin(request: Request) -> bool:
        own = f"{request.url.scheme}://{request.headers.get('host', '')}"
        origin = request.headers.get("origin")
        if origin is not None:
            return origin == own
        referer = request.headers.get("referer")
        if referer:  # a browser that sends no Origin still sends the page the form was on
            parts = urlsplit(referer)
            return f"{parts.scheme}://{parts.netloc}" == own
        return False

    async def checked_form(request: Request):
        """The POSTed form, once the request is shown to come from this site's own pages."""
        if not same_origin(request):
            raise Forbidden("cross-site request refused (Origin/Referer is not this server)")
        length = request.headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > settings.max_upload + 64 * 1024:
            raise TooLarge(f"the request is {int(length)} bytes; uploads may be at most "
                                  f"{settings.max_upload // 1024} KiB")
        # A chunked body says no length: count what arrives and stop at the limit, so an oversized upload
        # is never spooled to disk whole.
        limit, seen = settings.max_upload + 64 * 1024, 0

        async def receive_bounded():
            nonlocal seen
            message = await request.receive()
            seen += len(message.get("body", b""))
            if seen > limit:
                raise TooLarge(f"the request is over {limit} bytes; uploads may be at most "
                               f"{settings.max_upload // 1024} KiB")
            return message

        form = await Request(request.scope, receive_bounded).form(max_files=1, max_fields=20,
                                                                   max_part_size=64 * 1024)
        cookie, sent = request.cookies.get(CSRF_COOKIE, ""), form.get("csrf", "")
        if not cookie or not isinstance(sent, str) or not hmac.compare_digest(cookie, sent):
            raise Forbidden("missing or wrong CSRF token: reload the page and try again")
        return form

    @app.exception_handler(TooLarge)
    async def too_large(request: Request, err: TooLarge):  # where a route has no page of its own for it
        return PlainTextResponse(f"413 Content Too Large: {err}", status_code=413, headers=SECURITY_HEADERS)

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, err: Forbidden):
        return PlainTextResponse(f"403 Forbidden: {err}", status_code=403, headers=SECURITY_HEADERS)

    @app.get("/static/style.css")
    async def style():
        return Response(css, media_type="text/css", headers=SECURITY_HEADERS)

    async def chat_page(request: Request, user_id: str, status: int = 200, error: str = ""):
        turns, facts = [], []
        if user_id:
            turns = await pilot.run(pilot.turns, user_id)
            facts = await pilot.run(pilot.store.facts, user_id)
        return page(request, "chat.html", status, title="chat", user_id=user_id, turns=turns, facts=facts,
                    error=error)

    @app.get("/", response_class=HTMLResponse)
    async def home(request: Request, user: str = ""):
        try:
            if user:
                check_user_id(user)
        except StoreInputError as err:
            return await chat_page(request, "", 400, str(err))
        return await chat_page(request, user)

    @app.post("/chat")
    async def post_chat(request: Request):
        form = await checked_form(request)
        user_id, text = str(form.get("user", "")).strip(), str(form.get("message", ""))
        try:
            check_user_id(user_id)
        except StoreInputError as err:
            return await chat_page(request, "", 400, str(err))
        try:
            message_id = await pilot.run(pilot.chat, user_id, text)
        except StoreInputError as err:  # the conversation so far stays on the page, with the message
            return await chat_page(request, user_id, 400, str(err))
        return RedirectResponse(f"/?user={user_id}#turn-{message_id}", status_code=303)

    async def analyst_page(request: Request, status: int = 200, error: str = "", notice: str = ""):
        view = await pilot.run(pilot.analyst_view)
        return page(request, "analyst.html", status, title="analyst", error=error, notice=notice,
                    question=settings.question, classes=settings.classes, threshold=settings.threshold,
                    max_upload_kib=settings.max_upload // 1024, **view)

    @app.get("/analyst", response_class=HTMLResponse)
    async def analyst(request: Request, notice: str = ""):
        return await analyst_page(request, notice=notice[:200])

    @app.post("/analyst/label")
    async def post_label(request: Request):
        form = await checked_form(request)
        try:
            await pilot.run(pilot.label, str(form.get("user", "")), str(form.get("suggested", "")),
                            str(form.get("decision", "")))
        except StoreInputError as err:
            return await analyst_page(request, 400, str(err))
        return RedirectResponse("/analyst", status_code=303)

    @app.post("/analyst/upload")
    async def post_upload(request: Request):
        try:
            form = await checked_form(request)  # a TooLarge body is refused before it is read
            upload = form.get("users")
            if upload is None or isinstance(upload, str) or not upload.filename:
                raise StoreInputError("choose a users CSV file to upload")
            data = await upload.read(settings.max_upload + 1)
            if len(data) > settings.max_upload:
                raise TooLarge(f"{upload.filename}: the file is over {settings.max_upload // 1024} KiB; "
                                      "nothing was imported")
            count = await pilot.run(pilot.upload, data, Path(upload.filename).name)
        except (StoreInputError, InputError) as err:
            return await analyst_page(request, 413 if isinstance(err, TooLarge) else 400, str(err))
        return RedirectResponse(f"/analyst?notice=imported+{count}+users", status_code=303)

    return app


def model_entry(config_path: str, name: str) -> dict:
    import yaml

    config = yaml.safe_load(Path(config_path).read_text(encoding="utf-8"))
    models = config.get("models", {})
    if name not in models:
        raise UserError(f"{config_path}: no model {name!r} in the registry (known: {', '.join(models)})")
    return models[name]


def main(argv=None) -> None:
    from papers.core.cli import parser

    p = parser(__doc__)
    p.add_argument("--db", required=True, help="the SQLite file of the application's state (created if missing)")
    p.add_argument("--port", type=int, default=8765)
    p.add_argument("--host", default="127.0.0.1", help="the address to bind (default: loopback only)")
    p.add_argument("--config", default="config/config.yaml", help="the config whose model registry is read")
    p.add_argument("--model", default="smollm2-135m-instruct", help="a model of the registry")
    p.add_argument("--model-entry", default="", metavar="JSON",
                   help="a registry entry as JSON, instead of --config and --model (what the DAG passes)")
    p.add_argument("--cache", default="", help="the call cache (default: persopilot_calls.sqlite beside --db)")
    p.add_argument("--catalogue", default=Settings.catalogue)
    p.add_argument("--users", default="", help="a users CSV to import at start")
    p.add_argument("--extractor", choices=("model", "rules"), default="model")
    p.add_argument("--classes", nargs=2, default=list(CLASSES), help="the analyst task's two classes")
    p.add_argument("--assist", type=int, default=3, help="queued users shown with the assistant's suggestion")
    p.add_argument("--threads", type=int, default=1)
    a = p.parse_args(argv)
    import uvicorn

    entry = json.loads(a.model_entry) if a.model_entry else model_entry(a.config, a.model)
    settings = Settings(db=a.db, catalogue=a.catalogue, model_entry=entry, cache=a.cache,
                        extractor=a.extractor, assist=a.assist, threads=a.threads, users=a.users,
                        classes=tuple(a.classes))
    uvicorn.run(create_app(settings), host=a.host, port=a.port, log_level="warning")


if __name__ == "__main__":
    from papers.core.cli import run

    run(main)
