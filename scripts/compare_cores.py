"""What an evaluator's machine changes: the tiny test DAG run three ways, and what differs.

    .venv/bin/python scripts/compare_cores.py [--work DIR] [--runs one-core one-thread] [--reference RUN_DIR]

Runs, each from clean in its own scratch folder (tests/dag.py links this checkout's code and models):
  two-cores    `--cores 2`, the reference (the run every end-to-end test makes);
  one-core     `--cores 1`: Snakemake lowers every rule's threads to 1 and runs one job at a time;
  one-thread   `--cores 2` with an overlay config threads {chain: 1, fanout: 1}: jobs still run side by side,
               every model step gets one torch thread.
and prints, for one-core and one-thread against two-cores, every result file whose bytes differ and
every model call answered differently (by model and request kind), with the answers' largest
numeric difference. Minutes per run; run it on an idle machine only if its timing matters (it does
not here: only bytes are compared). The README's "What an evaluator can expect to match" cites it.
"""
from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.dag import CACHE, CONFIGS, differences, link_work, result_digests, run  # noqa: E402

ONE_THREAD = "threads: {chain: 1, fanout: 1}\n"  # an overlay config: --config reads nested numbers as strings
RUNS = {  # name -> (Snakemake arguments, overlay config or None)
    "two-cores": (["--cores", "2"], None),
    "one-core": (["--cores", "1"], None),
    # the last --configfile replaces the tiny run's list, hence the list again before the overlay
    "one-thread": (["--cores", "2", "--configfile", *CONFIGS, "overlay.yaml"], ONE_THREAD),
}


def cache_answers(work: Path) -> dict[str, tuple[dict, object]]:
    """key -> (request record, answer) of every call in the run's cache."""
    db = sqlite3.connect(f"file:{work / CACHE}?mode=ro", uri=True)
    try:
        return {k: (json.loads(q), json.loads(a)) for k, q, a in db.execute("SELECT key, request, response FROM calls")}
    finally:
        db.close()


def largest_gap(a, b) -> float | None:
    """The largest absolute difference of two numeric answers (None for text answers)."""
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return max((abs(x - y) for x, y in zip(a, b)), default=0.0)
    return None


def describe_calls(reference: dict, other: dict) -> list[str]:
    changed = [k for k in reference.keys() & other.keys() if reference[k][1] != other[k][1]]
    lines = [f"  calls: {len(reference)} vs {len(other)}; only in one: "
             f"{len(reference.keys() ^ other.keys())}; answered differently: {len(changed)}"]
    by_model: Counter = Counter()
    gaps: dict[tuple, float] = {}
    for key in changed:
        request, answer = reference[key]
        model = request.get("model", {})
        group = (Path(str(model.get("model", "?"))).name, request.get("request", {}).get("kind", "?"))
        by_model[group] += 1
        gap = largest_gap(answer, other[key][1])
        if gap is not None:
            gaps[group] = max(gaps.get(group, 0.0), gap)
    for (model, kind), count in sorted(by_model.items()):
        gap = f", largest difference {gaps[(model, kind)]:.3g}" if (model, kind) in gaps else ", text answers"
        lines.append(f"    {model} {kind}: {count}{gap}")
    return lines


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    p.add_argument("--work", help="scratch folder (default: a new temporary one)")
    p.add_argument("--runs", nargs="+", choices=list(RUNS)[1:], default=list(RUNS)[1:],
                   help="which runs to compare with two-cores, the reference (default: both)")
    p.add_argument("--reference", type=Path,
                   help="an existing cold two-cores run of the tiny DAG to compare against instead of running "
                        "one (e.g. the folder tests/conftest.py's dag_run fixture left)")
    a = p.parse_args(argv)
    base = Path(a.work or tempfile.mkdtemp(prefix="compare-cores-"))
    digests, calls = {}, {}
    for name in ([] if a.reference else ["two-cores"]) + a.runs:
        args, overlay = RUNS[name]
        work = link_work(base / name)
        if overlay:
            (work / "overlay.yaml").write_text(overlay)
        start = time.perf_counter()
        run(work, *args)
        print(f"{name}: {time.perf_counter() - start:.0f} s ({' '.join(args)})", flush=True)
        digests[name], calls[name] = result_digests(work), cache_answers(work)
    if a.reference:
        digests["two-cores"], calls["two-cores"] = result_digests(a.reference), cache_answers(a.reference)
    for name in a.runs:
        diff = differences(digests["two-cores"], digests[name])
        print(f"\n{name} against two-cores: {len(diff)} of {len(digests['two-cores'])} result files differ")
        print("\n".join(f"  {line}" for line in diff))
        print("\n".join(describe_calls(calls["two-cores"], calls[name])))


if __name__ == "__main__":
    main()
