"""Screenshots of both roles, taken from the running application in headless Chromium.

    python -m papers.persopilot.screenshots --help

The application is started with its documented command (`python -m papers.persopilot.app`) on a free
loopback port with a fresh database and the DAG's call cache; Playwright drives Debian's `chromium`
through a fixed script: the analyst uploads the users and answers the first `labels` suggestions
from the users' gold classes (the classifier retrains after each), then the end user states
preferences and asks again. Each page is captured at a fixed viewport, and shown as a figure
(figure_screenshot_chat, figure_screenshot_analyst) saved without timestamps. Greedy answers come
from the cache and the classifier is deterministic, so the pages' content is stable; the pixels
depend on the machine's fonts.
"""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Iterator

from papers.core.io import UserError

# What the end user says in the screenshot, in order: one preference per message (the mini model
# extracts nothing from "I love hiking and I don't like skiing"), then a question with no fact.
SCRIPT = ("I love hiking in the mountains.", "I want to buy a camera.", "What else would I like?")
USER = "alice"
VIEWPORT = {"width": 1100, "height": 900}
TIMEOUT_MS = 300_000  # a page that waits on the model on a busy CPU


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serve(db: str | Path, args: list[str], log: str | Path, start_timeout: float = 60,
          cwd: str | Path | None = None) -> Iterator[str]:
    """The application on a free loopback port, as its documented command run in `cwd`; yields its
    base URL and stops it when the block ends."""
    port = free_port()
    env = {**os.environ, "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1"), "HF_HUB_OFFLINE": "1"}
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "papers.persopilot.app", "--db", str(db), "--port", str(port),
                                 *args], env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + start_timeout
            while True:
                try:
                    with urllib.request.urlopen(base + "/", timeout=5) as r:
                        if r.status == 200:
                            break
                except OSError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the application did not start: {Path(log).read_text()[-2000:]}")
                time.sleep(0.3)
            yield base
        finally:
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()


def chromium() -> str:
    path = shutil.which("chromium")
    if path is None:
        raise UserError("Debian's chromium is not installed (apt-get install chromium): the screenshots "
                        "need a headless browser")
    return path


def say(page, base: str, user: str, text: str):
    page.goto(f"{base}/?user={user}")
    page.fill("input[name=user]", user)
    page.fill("textarea[name=message]", text)
    page.click("#send")
    page.wait_for_load_state()


def label_from_gold(page, base: str, gold: dict[str, str], labels: int) -> None:
    """Answer the first `labels` suggestions of the analyst's queue as the gold classes say."""
    page.goto(f"{base}/analyst")
    for _ in range(labels):
        candidate = page.locator("article.candidate").first
        uid = candidate.locator("h3").inner_text()
        if uid not in gold:
            raise UserError(f"user {uid!r} of the queue has no gold class")
        suggested = candidate.locator(".suggested").inner_text()
        candidate.locator("button.accept" if gold[uid] == suggested else "button.decline").click()
        page.wait_for_load_state()


def capture(model_entry: str, cache: str, users: str, catalogue: str, classes: tuple[str, str], labels: int,
            threads: int) -> dict[str, bytes]:
    """PNG screenshots of the end user's chat and of the analyst's page after the fixed script."""
    from playwright.sync_api import sync_playwright

    from .store import parse_users_csv

    gold = {u["user_id"]: u["gold"] for u in parse_users_csv(Path(users).read_bytes(), users, classes)}
    with tempfile.TemporaryDirectory() as work:
        args = ["--model-entry", model_entry, "--cache", cache, "--catalogue", catalogue, "--threads", str(threads),
                "--classes", *classes]
        with serve(Path(work) / "state.sqlite", args, Path(work) / "server.log") as base, sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium())
            page = browser.new_page(viewport=VIEWPORT)
            page.set_default_timeout(TIMEOUT_MS)
            page.goto(f"{base}/analyst")
            page.set_input_files("input[name=users]", users)
            page.click("#upload-button")
            page.wait_for_load_state()
            label_from_gold(page, base, gold, labels)
            for text in SCRIPT:
                say(page, base, USER, text)
            shots = {"chat": page.screenshot(full_page=True)}
            page.goto(f"{base}/analyst")
            shots["analyst"] = page.screenshot(full_page=True)
            browser.close()
    return shots


def _shown(png: bytes, title: str):
    import io

    import matplotlib.image as mpimg

    from papers.core.report.figures import new_figure

    picture = mpimg.imread(io.BytesIO(png), format="png")
    height, width = picture.shape[:2]
    fig, ax = new_figure(8, 8 * height / width)
    ax.imshow(picture)
    ax.set_axis_off()
    ax.set_title(title)
    return fig


def figure_screenshot_chat(png: bytes, scale: str):
    """The end user's page: what was said, the facts extracted, the recommendations and their reasons."""
    return _shown(png, f"PersoPilot, end user ({scale} scale)")


def figure_screenshot_analyst(png: bytes, scale: str):
    """The analyst's page: the classifier's history, the queue under 0.65 with the assistant's suggestions."""
    return _shown(png, f"PersoPilot, analyst ({scale} scale)")


def main(argv=None) -> None:
    from papers.core.cli import add_model_args, parser, setup_logging
    from papers.core.report.figures import save_figure

    p = parser(__doc__)
    add_model_args(p, "model")
    p.add_argument("--users", required=True)
    p.add_argument("--catalogue", required=True)
    p.add_argument("--classes", nargs=2, required=True, help="the analyst task's two classes")
    p.add_argument("--labels", type=int, required=True, help="suggestions the analyst answers before the captures")
    p.add_argument("--scale", required=True)
    p.add_argument("--chat-figure", required=True)
    p.add_argument("--analyst-figure", required=True)
    a = p.parse_args(argv)
    log = setup_logging()
    json.loads(a.model)  # a malformed entry fails here, not inside the server
    shots = capture(a.model, a.cache, a.users, a.catalogue, tuple(a.classes), a.labels, a.threads)
    save_figure(figure_screenshot_chat(shots["chat"], a.scale), a.chat_figure)
    save_figure(figure_screenshot_analyst(shots["analyst"], a.scale), a.analyst_figure)
    log.info("screenshots: %s", {k: len(v) for k, v in shots.items()})


if __name__ == "__main__":
    from papers.core.cli import run

    run(main)
