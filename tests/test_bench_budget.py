"""The mini budget benchmark reads job times from a Snakemake log and shares each second out fairly."""
import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("bench_mini_budget", ROOT / "benchmarks" / "bench_mini_budget.py")
budget = importlib.util.module_from_spec(spec)
spec.loader.exec_module(budget)

# Three jobs, as Snakemake 9 logs them: a 2-thread construct job and a 1-thread job of paper 1 side by
# side for 30 s, then another job of paper 1 alone for 10 s.
LOG = """\
[Sat Nov 28 10:00:00 2026]
localrule construct_classify_prompts:
    output: results/construct/classified.parquet
    jobid: 3
    benchmark: results/benchmarks/construct/classify_prompts.tsv
    threads: 2
Shell command: python -m papers.core.construct.reclassify
[Sat Nov 28 10:00:00 2026]
rule misalign_bench_train_detector:
    jobid: 7
    benchmark: results/benchmarks/misalign_bench/train_detector_safety_run0.tsv
    wildcards: dimension=safety, run=0
[Sat Nov 28 10:00:30 2026]
Finished jobid: 3 (Rule: construct_classify_prompts)
[Sat Nov 28 10:00:30 2026]
Finished jobid: 7 (Rule: misalign_bench_train_detector)
1 of 3 steps (33%) done

[Sat Nov 28 10:00:30 2026]
localrule misalign_bench_evaluate_detector:
    jobid: 8
    benchmark: results/benchmarks/misalign_bench/evaluate_detector.tsv
[Sat Nov 28 10:00:40 2026]
Finished jobid: 8 (Rule: misalign_bench_evaluate_detector)
"""


def test_jobs_and_threads_are_read_from_the_log(tmp_path):
    log = tmp_path / "run.snakemake.log"
    log.write_text(LOG)
    jobs = budget.parse_jobs(log)
    assert [(job.rule, job.threads, (job.end - job.begin).seconds) for job in jobs] == [
        ("construct_classify_prompts", 2, 30), ("misalign_bench_train_detector", 1, 30),
        ("misalign_bench_evaluate_detector", 1, 10)]


def test_each_second_is_shared_among_the_jobs_running_in_it(tmp_path):
    log = tmp_path / "run.snakemake.log"
    log.write_text(LOG)
    times = budget.module_times(budget.parse_jobs(log))
    # 30 s shared 2:1 by threads, then 10 s of paper 1 alone; the times add up to the 40 s of wall time.
    assert times == pytest.approx({"construct": 20.0, "misalign_bench": 20.0})


def test_peak_memory_sums_the_jobs_running_together(tmp_path):
    log = tmp_path / "run.snakemake.log"
    log.write_text(LOG)
    for name, rss in [("construct/classify_prompts", 1200.0), ("misalign_bench/train_detector_safety_run0", 3500.0),
                      ("misalign_bench/evaluate_detector", 4000.0)]:
        path = tmp_path / "results" / "benchmarks" / f"{name}.tsv"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"s\tmax_rss\n1.0\t{rss}\n")
    # the first two side by side hold 4700 MB, more than the third alone
    assert budget.peak_memory_mb(budget.parse_jobs(log), tmp_path) == pytest.approx(4700.0)


def test_a_file_without_jobs_is_a_clear_error(tmp_path):
    log = tmp_path / "empty.log"
    log.write_text("Building DAG of jobs...\n")
    with pytest.raises(SystemExit, match="empty.log: no finished jobs"):
        budget.parse_jobs(log)


def test_times_are_held_in_reference_units(tmp_path, capsys, monkeypatch):
    # The shares were set where the reference took 10 s; this machine took 20 s (half the speed), so
    # construct's 20 s here count 1.0 unit against its share / 10 s.
    monkeypatch.setattr(budget, "REFERENCE_S", 10.0)
    log = tmp_path / "run.snakemake.log"
    log.write_text(LOG)
    budget.report(log, tmp_path, reference=20.0)
    out = capsys.readouterr().out
    assert "this machine runs at 0.50x that speed" in out
    row = next(line.split() for line in out.splitlines() if line.startswith("construct "))
    share = budget.BUDGET["construct"]
    assert row[1:] == ["1", "20", str(share), "1.0", f"{share / 10:.1f}", "yes"]
    assert "reference units of 180.0" in out
    budget.report(log, tmp_path, reference=None)  # no reference timed: seconds, and it says so
    assert "seconds: no reference was timed" in capsys.readouterr().out
