"""Public paper-scale inputs the DAG downloads itself: each from a URL pinned to a commit, checked
against the sha256 recorded in config/downloads.yaml before it is given its final name.

    python -m papers.core.fetch --url URL --sha256 HEX --out resources/data/...

The file streams into a temporary file beside its destination while its digest is taken; a digest
that differs from the pinned one, a failed or cut connection, or an HTTP error stops the step with a
message naming the URL (and both digests), and the temporary file is removed: nothing half-downloaded
is ever left under its final name. Where a source must be requested or placed by hand, it is in
config/placed_inputs.yaml instead (papers/core/placed.py).
"""
from __future__ import annotations

import hashlib
import re
import urllib.error
import urllib.request
from pathlib import Path

import yaml

from .io import UserError, atomic_path

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "config" / "downloads.yaml"
FIELDS = ("path", "url", "sha256", "what", "licence")
CHUNK = 1 << 20
TIMEOUT = 60  # seconds without a byte before the connection counts as failed


class FetchError(UserError, RuntimeError):
    """A download that failed or did not match its pinned checksum."""


def load_downloads(path: Path = CATALOGUE) -> dict[str, dict]:
    """path -> entry of every download in the catalogue, each checked for its fields."""
    entries = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    out = {}
    for i, entry in enumerate(entries, start=1):
        missing = [f for f in FIELDS if not isinstance(entry.get(f), str) or not entry[f]]
        if missing:
            raise ValueError(f"{path}: entry {i} lacks {', '.join(missing)}")
        if not re.fullmatch(r"[0-9a-f]{64}", entry["sha256"]):
            raise ValueError(f"{path}: entry {i} ({entry['path']}): sha256 must be 64 lowercase hex digits")
        if not entry["path"].startswith("resources/") or entry["path"] in out:
            raise ValueError(f"{path}: entry {i} ({entry['path']}): a path under resources/, listed once")
        out[entry["path"]] = entry
    return out


def fetch(url: str, out: str | Path, sha256: str, timeout: float = TIMEOUT) -> None:
    """Download `url` to `out` if its sha256 is `sha256`; otherwise FetchError and no file at `out`."""
    for name, value in (("url", url), ("sha256", sha256)):
        if not isinstance(value, str) or not value:
            raise TypeError(f"{name} must be a non-empty str, got {value!r}")
    digest, size = hashlib.sha256(), 0
    with atomic_path(out) as tmp:
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response, open(tmp, "wb") as f:
                for block in iter(lambda: response.read(CHUNK), b""):
                    digest.update(block)
                    f.write(block)
                    size += len(block)
                promised = response.headers.get("Content-Length")
            if promised is not None and promised.isdigit() and int(promised) != size:
                # http.client ends a body cut short as if it were whole: say so before the checksum does
                raise FetchError(f"{url}: download failed (connection closed after {size} of {promised} bytes); "
                                 f"nothing written to {out}")
        except urllib.error.HTTPError as err:
            raise FetchError(f"{url}: HTTP {err.code} {err.reason}; nothing written to {out}") from None
        except (urllib.error.URLError, OSError) as err:
            reason = getattr(err, "reason", err)
            raise FetchError(f"{url}: download failed ({reason}) after {size} bytes; nothing written to {out}") from None
        if digest.hexdigest() != sha256:
            raise FetchError(f"{url}: checksum mismatch: sha256 {digest.hexdigest()} ({size} bytes), "
                             f"pinned {sha256} (config/downloads.yaml); nothing written to {out}. The source "
                             "changed or the download was altered: check it, then update the pin or place "
                             "the file by hand.")


def main(argv=None) -> None:
    from .cli import parser

    p = parser(__doc__)
    p.add_argument("--url", required=True)
    p.add_argument("--sha256", required=True)
    p.add_argument("--out", required=True)
    a = p.parse_args(argv)
    fetch(a.url, a.out, a.sha256)


if __name__ == "__main__":
    from .cli import run

    run(main)
