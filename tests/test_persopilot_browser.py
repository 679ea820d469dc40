"""PersoPilot end to end in a real headless browser: Debian's chromium driven by Playwright against
the server started as its documented command (`python -m papers.persopilot.app`) on a free port,
with the real mini chat model. A user states a preference and sees the extracted facts and a
recommendation with its reasons; an analyst uploads the users, labels, the classifier retrains and
the user's next answer changes; <script> in user text is shown inert; a form on another site that
posts to the server is refused.

Skipped only where chromium is absent (CI installs it: .ci/run)."""
import http.server
import shutil
import sqlite3
import threading
from pathlib import Path

import pytest

from papers.persopilot.screenshots import free_port, say, serve

ROOT = Path(__file__).resolve().parents[1]
USERS = ROOT / "data/persopilot/users.csv"
CHROMIUM = shutil.which("chromium")
pytestmark = [pytest.mark.slow, pytest.mark.browser,
              pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed "
                                 "(apt-get install chromium; .ci/run installs it)")]
TIMEOUT_MS = 180_000  # a page that waits on the mini model (loading it, then generating) on a busy CPU


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The documented command on a free port, with the real mini model and a fresh cache."""
    work = tmp_path_factory.mktemp("persopilot")
    db = work / "state.sqlite"
    args = ["--cache", str(work / "calls.sqlite"), "--assist", "2", "--threads", "1"]
    with serve(db, args, work / "server.log", cwd=ROOT) as base:
        yield base, db


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    yield page
    context.close()


def said(page, base, user, text):
    """The exchange's turn on the page, after the user said `text` through the form."""
    say(page, base, user, text)
    return page.locator("article.turn").last


def message_count(db) -> int:
    with sqlite3.connect(db) as c:
        return c.execute("SELECT COUNT(*) FROM messages").fetchone()[0]


def test_user_analyst_loop_and_inert_script(server, page):
    base, _ = server
    # 1. a stated preference: facts, a recommendation, its reasons
    turn = said(page, base, "alice", "I love hiking in the mountains.")
    facts = turn.locator("li.fact").all_inner_texts()
    assert any("likes" in f and "hiking" in f for f in facts), facts
    assert "Trail hiking boots" in turn.locator("td.item").all_inner_texts()
    reasons = turn.locator("li.reason").all_inner_texts()
    assert any("hiking" in r and "matched tag" in r for r in reasons), reasons
    assert turn.locator("li.class-reason").count() == 0  # no classifier yet

    # 2. script in user text is shown as text and never runs
    attack = '<script>document.title="pwned"</script><b id="bold">bold</b> I like tea'
    turn = said(page, base, "alice", attack)
    assert turn.locator(".message-text").inner_text() == attack
    assert page.locator("main script").count() == 0 and page.locator("#bold").count() == 0
    assert "pwned" not in page.title()

    # 3. the analyst uploads the users, sees the assistant's suggestions, labels until the
    #    classifier exists (answers simulated from the gold classes; alice is an outdoor person)
    page.goto(f"{base}/analyst")
    page.set_input_files("input[name=users]", str(USERS))
    page.click("#upload-button")
    page.wait_for_load_state()
    assert "imported 80 users" in page.locator("p.notice").inner_text()
    assert page.locator(".assistant-label").count() == 2
    assert all(t.strip() for t in page.locator(".reasoning").all_inner_texts())
    gold = {line.split(",")[0]: line.rsplit(",", 1)[1] for line in USERS.read_text().splitlines()[1:]}
    gold["alice"] = "outdoor"
    for _ in range(8):
        if "Version 1" in page.locator("#classifier").inner_text():
            break
        candidate = page.locator("article.candidate").first
        uid = candidate.locator("h3").inner_text()
        suggested = candidate.locator(".suggested").inner_text()
        candidate.locator("button.accept" if gold[uid] == suggested else "button.decline").click()
        page.wait_for_load_state()
    history = page.locator("table.history").inner_text()
    assert "Version 1" in page.locator("#classifier").inner_text() and history.count("\n") >= 1
    labelled = page.locator("tr.label-row").all_inner_texts()
    assert {row.split("\t")[-1] for row in labelled} == {"indoor", "outdoor"}

    # 4. the user's next answer changes: the classifier's persona class now adds to it
    turn = said(page, base, "alice", "What else would I like?")
    class_reasons = turn.locator("li.class-reason").all_inner_texts()
    assert class_reasons and all("classifier v1" in c for c in class_reasons), class_reasons


class Attacker(http.server.BaseHTTPRequestHandler):
    target = ""

    def do_GET(self):
        body = (f'<form method="post" action="{self.target}/chat"><input name="user" value="alice">'
                '<input name="message" value="I love phishing."><input name="csrf" value="guessed">'
                '<button id="go" type="submit">win a prize</button></form>').encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_a_cross_site_form_post_is_refused(server, page):
    base, db = server
    page.goto(f"{base}/")  # the victim has a session cookie with the server
    before = message_count(db)
    Attacker.target = base
    other = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Attacker)
    threading.Thread(target=other.serve_forever, daemon=True).start()
    try:
        # another origin: "localhost" and another port
        page.goto(f"http://localhost:{other.server_address[1]}/")
        with page.expect_response(lambda r: r.url.startswith(base + "/chat")) as answer:
            page.click("#go")
        assert answer.value.status == 403
        assert "403 Forbidden" in page.content()
    finally:
        other.shutdown()
    assert message_count(db) == before
