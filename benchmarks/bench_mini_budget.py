"""Does the mini DAG fit in 30 minutes on a 2-core laptop? Each module's time against its share.

    .venv/bin/python benchmarks/bench_mini_budget.py [--log .snakemake/log/<run>.snakemake.log]

Run it after a cold run of the whole mini DAG (empty cache: `rm -rf results && make`) on an
otherwise idle machine; it reads Snakemake's log of that run (the newest under .snakemake/log/
unless --log names one), where every job's start and end are stamped to the second.

Each second of the run's wall time is shared out among the jobs running in it, in proportion to
their threads; a module's time is the sum over its jobs (a rule belongs to the module its name
starts with: construct_classify_prompts to construct). The modules' times add up to the run's wall
time, whatever ran side by side, so each can be held to its share of the 30 minutes (BUDGET).

The shares were set when papers 1-3 existed (2026-11-28): the shared construction, the three
modules, and an equal share for each of papers 4-9, sized like paper 3's module (a few hundred
model calls, one small training). A module that needs more must take it from another share.
"""
from __future__ import annotations

import argparse
import re
from collections import defaultdict
from datetime import datetime
from pathlib import Path
from typing import NamedTuple

import pandas as pd

TOTAL_S = 30 * 60
BUDGET = {  # seconds of the 30 minutes, on 2 cores
    "construct": 360,          # classification, expansion, responses: shared by papers 1-3
    "misalign_bench": 240,     # paper 1: 9 LoRA adapters, 5 detectors x 3 runs
    "misalign_profile": 300,   # paper 2: its own expansion, 2 generators, semantic types
    "demo_safetybench": 120,   # paper 3
    "ledger": 10,              # the claims table of all papers, the report
}
PER_NEW_PAPER, NEW_PAPERS = 128, 6   # papers 4-9, not built yet
# A rule belongs to the module file it is named after (a paper's report, check_claims and _all rules,
# which paper.smk defines from its declaration, are named after the paper too); the rest (claims, all)
# to the ledger.
MODULES = sorted((p.stem for p in (Path(__file__).resolve().parents[1] / "workflow" / "rules").glob("*.smk")
                  if p.stem not in ("common", "ledger", "paper")), key=len, reverse=True)

STAMP = re.compile(r"^\[(\w{3} \w{3} +\d+ \d\d:\d\d:\d\d \d{4})\]$")
START = re.compile(r"^(?:local)?rule (\w+):$")
JOBID = re.compile(r"^jobid: (\d+)$")
THREADS = re.compile(r"^threads: (\d+)$")
BENCHMARK = re.compile(r"^benchmark: (\S+)$")
FINISH = re.compile(r"^Finished jobid: (\d+) \(Rule: (\w+)\)$")


class Job(NamedTuple):
    rule: str
    begin: datetime
    end: datetime
    threads: int
    benchmark: str  # its benchmark file, "" if the rule writes none


def module_of(rule: str) -> str:
    return next((m for m in MODULES if rule.startswith(m + "_")), "ledger")


def parse_jobs(log: Path) -> list[Job]:
    """Every job that finished, from a Snakemake log."""
    started: dict[str, list] = {}
    jobs = []
    stamp = rule = None
    for line in log.read_text().splitlines():
        line = line.strip()
        if m := STAMP.match(line):
            stamp = datetime.strptime(m.group(1), "%a %b %d %H:%M:%S %Y")
        elif m := START.match(line):
            rule = [m.group(1), stamp, 1, ""]
        elif (m := THREADS.match(line)) and rule:
            rule[2] = int(m.group(1))
        elif (m := BENCHMARK.match(line)) and rule:
            rule[3] = m.group(1)
        elif (m := JOBID.match(line)) and rule:
            started[m.group(1)] = rule
        elif m := FINISH.match(line):
            name, begin, threads, benchmark = started.pop(m.group(1))
            jobs.append(Job(name, begin, stamp, threads, benchmark))
    if not jobs:
        raise SystemExit(f"{log}: no finished jobs; is it a Snakemake log of a run?")
    return jobs


def intervals(jobs):
    """The stretches of wall time between job starts and ends, each with the jobs running in it."""
    edges = sorted({t for job in jobs for t in (job.begin, job.end)})
    for a, b in zip(edges, edges[1:]):
        yield a, b, [job for job in jobs if job.begin <= a and job.end >= b]


def module_times(jobs) -> dict[str, float]:
    """Each second of wall time split among the jobs running in it, by threads; summed per module."""
    times: dict[str, float] = defaultdict(float)
    for a, b, running in intervals(jobs):
        weight = sum(job.threads for job in running)
        for job in running:
            times[module_of(job.rule)] += (b - a).total_seconds() * job.threads / weight
    return dict(times)


def peak_memory_mb(jobs, root: Path) -> float:
    """The most memory jobs running together can have held: the sum of their peak RSS (from their
    benchmark files) at the worst moment. An upper bound: their peaks need not coincide."""
    rss = {}
    for job in jobs:
        if job.benchmark and (root / job.benchmark).exists():
            rss[job.benchmark] = float(pd.read_csv(root / job.benchmark, sep="\t")["max_rss"].max())
    return max((sum(rss.get(job.benchmark, 0.0) for job in running) for *_, running in intervals(jobs)),
               default=0.0)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--log", type=Path, help="Snakemake's log of the run (default: the newest)")
    p.add_argument("--root", type=Path, default=Path("."), help="where the run's results/ is")
    a = p.parse_args(argv)
    log = a.log or max(Path(".snakemake/log").glob("*.snakemake.log"), key=lambda f: f.stat().st_mtime)
    jobs = parse_jobs(log)
    wall = (max(job.end for job in jobs) - min(job.begin for job in jobs)).total_seconds()
    times = module_times(jobs)
    print(f"{log}: {len(jobs)} jobs in {wall:.0f} s ({wall / 60:.1f} min) of wall time\n")
    print(f"{'module':<18}{'jobs':>6}{'time (s)':>10}{'budget (s)':>12}  fits")
    for module in sorted(times, key=lambda m: -times[m]):
        n = sum(module_of(job.rule) == module for job in jobs)
        share = BUDGET.get(module)
        fits = "-" if share is None else ("yes" if times[module] <= share else "NO")
        print(f"{module:<18}{n:>6}{times[module]:>10.0f}{share if share else '-':>12}  {fits}")
    print(f"\npeak memory: at most {peak_memory_mb(jobs, a.root) / 1024:.1f} GB"
          " (the peak RSS of the jobs running together, summed)")
    reserved = PER_NEW_PAPER * NEW_PAPERS
    print(f"this run {wall:.0f} s + papers 4-9 (not built, reserved) {reserved} s = {wall + reserved:.0f} s"
          f" of {TOTAL_S} s: {'fits' if wall + reserved <= TOTAL_S else 'over'}")


if __name__ == "__main__":
    main()
