"""The tiny test DAG in a scratch working directory, and what two runs of it must agree on.

Shared by the end-to-end, crash-safety and SLURM tests. A work directory links this checkout's code,
data and materialised models, so each run starts with an empty results/ and an empty call cache.
"""
from __future__ import annotations

import hashlib
import sqlite3
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SNAKEMAKE = str(Path(sys.executable).with_name("snakemake"))
CONFIGS = ["config/config.yaml", "tests/config/test.yaml"]  # the tiny config is an overlay on the mini one
LINKED = ["Snakefile", "config", "data", "papers", "profiles", "resources", "tests", "workflow"]
CACHE = "results/cache/llm_calls.sqlite"

# Parts of results/ that two correct runs may write differently; everything else must be equal.
EXCLUDED = {
    "logs": "each step's log has timestamps, durations and progress-bar rates",
    "benchmarks": "Snakemake's benchmark files are the wall time, CPU time and memory of each job",
    "cache": "the SQLite file's pages follow the order batches were committed in; compared by rows instead",
    "report.html": "`snakemake --report` is not part of the DAG run, and stamps its creation time",
}


def link_work(work: Path, without: tuple[str, ...] = ()) -> Path:
    """`work` with this checkout's LINKED parts linked in, but those `without` (an empty folder each)."""
    work.mkdir(parents=True, exist_ok=True)
    for name in LINKED:
        if name in without:
            (work / name).mkdir()
        else:
            (work / name).symlink_to(ROOT / name)
    return work


def command(*args: str) -> list[str]:
    return [SNAKEMAKE, "--configfile", *CONFIGS, *args]


def run(work: Path, *args: str, env: dict | None = None) -> str:
    """`snakemake --configfile config/config.yaml tests/config/test.yaml ARGS` in `work`; fails the test
    if it fails."""
    result = subprocess.run(command(*args), cwd=work, capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-5000:]
    return result.stdout + result.stderr


def snakemake(work: Path, *args: str, env: dict | None = None) -> str:
    """The local run every test uses: two cores, as on the laptop the mini scale is sized for."""
    return run(work, "--cores", "2", *args, env=env)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def result_digests(work: Path) -> dict[str, str]:
    """sha256 of every file under results/ but the EXCLUDED parts, hidden files included (a
    temporary file left by a crash is a difference too)."""
    out = work / "results"
    digests = {}
    for path in sorted(out.rglob("*")):
        rel = path.relative_to(out)
        if path.is_file() and rel.parts[0] not in EXCLUDED:
            digests[str(rel)] = sha256(path)
    return digests


def differences(expected: dict[str, str], got: dict[str, str]) -> list[str]:
    """One line per file that is missing, unexpected or different, named by its path in results/."""
    lines = [f"results/{p}: missing" for p in sorted(expected.keys() - got.keys())]
    lines += [f"results/{p}: not in the reference run" for p in sorted(got.keys() - expected.keys())]
    lines += [f"results/{p}: different bytes" for p in sorted(expected.keys() & got.keys())
              if expected[p] != got[p]]
    return lines


def assert_same_results(expected: dict[str, str], got: dict[str, str], what: str) -> None:
    diff = differences(expected, got)
    assert not diff, f"{what} differs from the reference run in {len(diff)} file(s):\n" + "\n".join(diff)


def cache_rows(work: Path) -> dict[str, str]:
    """The call cache as {key: response JSON}: what was asked and answered, whatever the file layout."""
    path = work / CACHE
    if not path.exists():
        return {}
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return dict(db.execute("SELECT key, response FROM calls"))
    except sqlite3.OperationalError:  # killed before the table was created
        return {}
    finally:
        db.close()


def cache_differences(expected: dict[str, str], got: dict[str, str]) -> list[str]:
    """What differs between two caches' rows: counts, then a few of the answers that changed."""
    if expected == got:
        return []
    missing, extra = expected.keys() - got.keys(), got.keys() - expected.keys()
    changed = sorted(k for k in expected.keys() & got.keys() if expected[k] != got[k])
    lines = [f"{len(missing)} call(s) missing, {len(extra)} the reference run never made, "
             f"{len(changed)} answered differently"]
    return lines + [f"  {k}: {expected[k][:80]} vs {got[k][:80]}" for k in changed[:3]]
