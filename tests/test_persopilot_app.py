"""PersoPilot's server through FastAPI's TestClient: CSRF and origin checks, escaping, bad input
answered clearly with nothing stored, the analyst's loop; then one exchange and one analyst page
with the real mini model (the extractor and the labelling assistant)."""
import re
import sqlite3
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from papers.persopilot.app import MAX_UPLOAD, Settings, create_app

ROOT = Path(__file__).resolve().parents[1]
USERS = ROOT / "data/persopilot/users.csv"
SAME = {"origin": "http://testserver"}
TABLES = ("users", "messages", "facts", "recommendations", "recommendation_facts", "labels", "classifier_history")


def counts(db):
    with sqlite3.connect(db) as c:
        return {t: c.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in TABLES}


def token(response) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', response.text).group(1)


def error(response) -> str:
    return re.search(r'class="error" role="alert">(.*?)</p>', response.text, re.S).group(1)


@pytest.fixture
def client(tmp_path):
    db = tmp_path / "state.sqlite"
    app = create_app(Settings(db=str(db), extractor="rules", assist=0))
    with TestClient(app) as c:
        c.db = db
        c.csrf = token(c.get("/"))
        yield c


def test_pages_render_with_a_csrf_cookie_and_a_strict_policy(client):
    r = client.get("/analyst")
    assert r.status_code == 200 and client.cookies.get("persopilot_csrf") == client.csrf
    assert "default-src 'none'" in r.headers["content-security-policy"]
    assert "<script" not in r.text


@pytest.mark.parametrize("headers, form_token", [
    (SAME, None),                                        # no token
    (SAME, "forged"),                                    # a token that is not the cookie's
    ({"origin": "http://evil.example"}, "cookie"),       # another origin, even with the right token
    ({"referer": "http://evil.example/page"}, "cookie"),  # no Origin, a foreign Referer
    ({}, "cookie"),                                      # neither Origin nor Referer
    ({"origin": "null"}, "cookie"),
])
def test_cross_site_and_tokenless_posts_are_refused_and_store_nothing(client, headers, form_token):
    before = counts(client.db)
    data = {"user": "alice", "message": "I love hiking."}
    if form_token:
        data["csrf"] = client.csrf if form_token == "cookie" else form_token
    for path, form in (("/chat", data), ("/analyst/label", {**data, "suggested": "indoor", "decision": "accept"})):
        r = client.post(path, data=form, headers=headers)
        assert r.status_code == 403 and "Forbidden" in r.text, (path, r.text)
    assert counts(client.db) == before


def test_a_same_site_referer_without_origin_is_accepted(client):
    r = client.post("/chat", data={"csrf": client.csrf, "user": "alice", "message": "I love hiking."},
                    headers={"referer": "http://testserver/?user=alice"})
    assert r.status_code == 200 and "Trail hiking boots" in r.text


def test_user_text_is_shown_escaped(client):
    attack = '<script>alert("x")</script><img src=x onerror=alert(1)> I love hiking.'
    r = client.post("/chat", data={"csrf": client.csrf, "user": "mallory", "message": attack}, headers=SAME)
    assert r.status_code == 200
    assert "<script>alert" not in r.text and "<img src=x" not in r.text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;" in r.text
    # the analyst's queue shows the same text escaped
    analyst = client.get("/analyst")
    assert "&lt;script&gt;" in analyst.text and "<script>alert" not in analyst.text


def test_chat_extracts_links_and_explains(client):
    r = client.post("/chat", data={"csrf": client.csrf, "user": "alice",
                                   "message": "I love hiking in the mountains and I don't like skiing."},
                    headers=SAME)
    assert r.status_code == 200 and r.url.path == "/" and "user=alice" in str(r.url)
    assert "(user, likes, hiking)" in r.text and "(user, dislikes, skiing)" in r.text
    assert "Trail hiking boots" in r.text and "matched tag “hiking”" in r.text
    assert "Ski wax set" not in r.text  # the dislike vetoes it


@pytest.mark.parametrize("message, expected", [("   ", "the message is empty"),
                                               ("x" * 2001, "at most 2000")])
def test_bad_messages_get_a_clear_message_and_store_nothing(client, message, expected):
    before = counts(client.db)
    r = client.post("/chat", data={"csrf": client.csrf, "user": "alice", "message": message}, headers=SAME)
    assert r.status_code == 400 and expected in error(r)
    assert counts(client.db) == before
    r = client.post("/chat", data={"csrf": client.csrf, "user": "no spaces allowed", "message": "hi"}, headers=SAME)
    assert r.status_code == 400 and "user id" in error(r) and counts(client.db) == before


def upload(client, name, data):
    return client.post("/analyst/upload", data={"csrf": client.csrf}, files={"users": (name, data, "text/csv")},
                       headers=SAME)


def test_malformed_users_csv_names_row_and_field_and_imports_nothing(client):
    bad = b"user_id,persona,label\nu1,I hike.,outdoor\nu2,I read.,sporty\n"
    r = upload(client, "team.csv", bad)
    assert r.status_code == 400
    assert error(r).startswith("team.csv, row 2 (line 3), field &#39;label&#39;: label &#39;sporty&#39;")
    assert counts(client.db)["users"] == 0


def test_oversized_upload_is_refused_with_413_and_imports_nothing(client):
    big = b"user_id,persona\n" + b"u1,I like hiking very much.\n" * (MAX_UPLOAD // 20)
    r = upload(client, "big.csv", big)
    assert r.status_code == 413 and "KiB" in error(r)
    assert counts(client.db)["users"] == 0


def test_a_chunked_body_without_length_is_cut_off_at_the_limit(client):
    # No Content-Length (a generator body is sent chunked): the server counts what arrives.
    def chunks(data, size=16 * 1024):
        for i in range(0, len(data), size):
            yield data[i:i + size]

    boundary = "persopilot-test"
    csv = b"user_id,persona\n" + b"u1,I like hiking very much.\n" * (MAX_UPLOAD // 20)
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{client.csrf}\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"users\"; filename=\"big.csv\"\r\n"
            f"Content-Type: text/csv\r\n\r\n").encode() + csv + f"\r\n--{boundary}--\r\n".encode()
    r = client.post("/analyst/upload", content=chunks(body),
                    headers={**SAME, "Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert "content-length" not in {k.lower() for k in r.request.headers}
    assert r.status_code == 413 and "KiB" in error(r)
    form = f"csrf={client.csrf}&user=alice&message=".encode() + b"a" * (MAX_UPLOAD + 70 * 1024)
    r = client.post("/chat", content=chunks(form),
                    headers={**SAME, "Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 413 and "KiB" in r.text
    assert counts(client.db)["users"] == 0 and counts(client.db)["messages"] == 0


def test_analyst_labels_retrain_and_the_next_query_changes(client):
    r = upload(client, "users.csv", USERS.read_bytes())
    assert r.status_code == 200 and "imported 80 users" in r.text
    client.post("/chat", data={"csrf": client.csrf, "user": "alice", "message": "I love hiking."}, headers=SAME)
    before = client.get("/?user=alice").text
    assert "persona class" not in before
    gold = {line.split(",")[0]: line.rsplit(",", 1)[1] for line in USERS.read_text().splitlines()[1:]}
    for uid in ("u001", "u002"):  # one outdoor, one indoor user (the generator's first two)
        r = client.post("/analyst/label", data={"csrf": client.csrf, "user": uid, "suggested": "indoor",
                                                "decision": "accept" if gold[uid] == "indoor" else "decline"},
                        headers=SAME)
        assert r.status_code == 200
    assert {gold["u001"], gold["u002"]} == {"indoor", "outdoor"}
    assert "Version 1, trained on 2 labels." in r.text and "Classifier v1" in r.text
    r = client.post("/chat", data={"csrf": client.csrf, "user": "alice", "message": "Anything else?"}, headers=SAME)
    last = r.text[r.text.rindex('<article class="turn"'):]
    assert "persona class" in last and "classifier v1" in last
    r = client.post("/analyst/label", data={"csrf": client.csrf, "user": "u003", "suggested": "indoor",
                                            "decision": "perhaps"}, headers=SAME)
    assert r.status_code == 400 and "decision" in error(r)
    assert counts(client.db)["labels"] == 2 and counts(client.db)["classifier_history"] == 1


@pytest.mark.slow
def test_with_the_mini_model_chat_and_assistant(tmp_path):
    from tests.conftest import model_dir

    entry = {"backend": "hf", "model": str(model_dir("smollm2-135m-instruct")), "dtype": "float32", "batch_size": 4}
    app = create_app(Settings(db=str(tmp_path / "s.sqlite"), model_entry=entry, cache=str(tmp_path / "calls.sqlite"),
                              assist=1, users=str(USERS)))
    with TestClient(app) as client:
        csrf = token(client.get("/"))
        r = client.post("/chat", data={"csrf": csrf, "user": "alice", "message": "I love hiking in the mountains."},
                        headers=SAME)
        assert r.status_code == 200
        assert re.search(r'<li class="fact">\(user, likes, hiking[^)]*\)</li>', r.text), r.text
        assert "Trail hiking boots" in r.text and 'class="reason"' in r.text
        r = client.get("/analyst")
        (first,) = re.findall(r'<article class="candidate".*?</article>', r.text, re.S)[:1]
        assert re.search(r'Assistant: <b class="assistant-label">(indoor|outdoor)</b>, score 0\.\d\d\. '
                         r'<span class="reasoning">[^<]+</span>', first), first
