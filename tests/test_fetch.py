"""The download step (papers/core/fetch.py) against a local HTTP server: a matching file lands whole,
a checksum mismatch, an HTTP error or a cut connection stops the step with a message naming the URL,
and nothing half-downloaded remains; the catalogue's downloads are rule outputs, not placed inputs."""
import hashlib
import http.server
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import yaml

from papers.core.fetch import FetchError, fetch, load_downloads
from papers.core.placed import missing_inputs, placed_values
from tests.dag import ROOT

BODY = b'{"id": "m1", "labels": ["not harmful"]}\n' * 5000  # 200 kB: several chunks


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/ok.jsonl":
            self.send_response(200)
            self.send_header("Content-Length", str(len(BODY)))
            self.end_headers()
            self.wfile.write(BODY)
        elif self.path == "/cut.jsonl":  # promises the whole body, sends half, hangs up
            self.send_response(200)
            self.send_header("Content-Length", str(len(BODY)))
            self.end_headers()
            self.wfile.write(BODY[: len(BODY) // 2])
        else:
            self.send_error(404, "Not Found")

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


GOOD = hashlib.sha256(BODY).hexdigest()


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_a_matching_download_lands_whole(server, tmp_path):
    out = tmp_path / "data" / "train.jsonl"
    fetch(f"{server}/ok.jsonl", out, GOOD)
    assert out.read_bytes() == BODY and leftovers(out.parent) == ["train.jsonl"]


@pytest.mark.parametrize("path, sha256, message", [
    ("/ok.jsonl", "0" * 64, r"checksum mismatch: sha256 [0-9a-f]{64} \(200000 bytes\), pinned 0{64}"),
    ("/missing.jsonl", GOOD, "HTTP 404"),
    ("/cut.jsonl", GOOD, "download failed"),
])
def test_a_failed_download_leaves_nothing_and_keeps_what_was_there(server, tmp_path, path, sha256, message):
    out = tmp_path / "train.jsonl"
    with pytest.raises(FetchError, match=message) as err:
        fetch(f"{server}{path}", out, sha256)
    assert f"{server}{path}" in str(err.value) and leftovers(tmp_path) == []
    out.write_text("an earlier good copy")  # a failed refetch does not touch an existing file either
    with pytest.raises(FetchError):
        fetch(f"{server}{path}", out, sha256)
    assert out.read_text() == "an earlier good copy" and leftovers(tmp_path) == ["train.jsonl"]


def test_the_step_exits_with_the_message_and_no_file(server, tmp_path):
    out = tmp_path / "val.jsonl"
    result = subprocess.run([sys.executable, "-m", "papers.core.fetch", "--url", f"{server}/ok.jsonl",
                             "--sha256", "f" * 64, "--out", str(out)], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 2 and "checksum mismatch" in result.stderr and "Traceback" not in result.stderr
    assert leftovers(tmp_path) == []
    with pytest.raises(TypeError):
        fetch(None, out, GOOD)


def test_the_catalogue_is_checked(tmp_path):
    bad = tmp_path / "downloads.yaml"
    bad.write_text(yaml.safe_dump([{"path": "resources/data/x", "url": "http://x", "sha256": "abc",
                                    "what": "x", "licence": "x"}]))
    with pytest.raises(ValueError, match="entry 1 .*64 lowercase hex"):
        load_downloads(bad)
    bad.write_text(yaml.safe_dump([{"path": "resources/data/x", "url": "http://x"}]))
    with pytest.raises(ValueError, match="entry 1 lacks sha256, what, licence"):
        load_downloads(bad)


def test_downloaded_inputs_are_made_by_the_rule_not_asked_of_the_user():
    config = yaml.safe_load((ROOT / "config" / "paper.yaml").read_text())
    downloads = load_downloads()
    read = {path for _, path in placed_values(config)}
    assert downloads and set(downloads) <= read  # every download is an input the paper config reads
    messages = "\n".join(missing_inputs(config, ["vision_all"], root=Path("/nonexistent")))
    assert "images" in messages and not any(path in messages for path in downloads)
