"""The comparison the DAG tests rely on (tests/dag.py) catches one changed byte, and only ignores
what it says it ignores."""
from papers.core.cache import CallCache
from tests.dag import CACHE, cache_differences, cache_rows, differences, result_digests


def fake_results(work, table=b"a,b\n1,2\n"):
    files = {"construct/table.csv": table, "construct/figure.png": b"\x89PNG...",
             "misalign_bench/adapters/safety/run0/adapter_model.safetensors": b"weights",
             "manifest.json": b"{}", "logs/construct/x.log": b"12:00:01 done",
             "benchmarks/construct/x.tsv": b"s\n1.23\n", "report.html": b"<html>made at 12:00</html>"}
    for rel, data in files.items():
        (work / "results" / rel).parent.mkdir(parents=True, exist_ok=True)
        (work / "results" / rel).write_bytes(data)
    return work


def test_one_changed_byte_is_named(tmp_path):
    a, b = fake_results(tmp_path / "a"), fake_results(tmp_path / "b", table=b"a,b\n1,3\n")
    assert differences(result_digests(a), result_digests(b)) == ["results/construct/table.csv: different bytes"]
    assert differences(result_digests(a), result_digests(fake_results(tmp_path / "c"))) == []


def test_time_dependent_parts_are_ignored_and_nothing_else(tmp_path):
    a, b = fake_results(tmp_path / "a"), fake_results(tmp_path / "b")
    for rel in ("logs/construct/x.log", "benchmarks/construct/x.tsv", "report.html"):
        (b / "results" / rel).write_bytes(b"another time")
    assert differences(result_digests(a), result_digests(b)) == []
    (b / "results/misalign_bench/adapters/safety/run0/adapter_model.safetensors").unlink()
    (b / "results/construct/.table.csv.x1y2.csv").write_bytes(b"a,")  # a temporary file left by a crash
    assert differences(result_digests(a), result_digests(b)) == [
        "results/misalign_bench/adapters/safety/run0/adapter_model.safetensors: missing",
        "results/construct/.table.csv.x1y2.csv: not in the reference run"]


def test_cache_rows_catch_a_changed_answer(tmp_path):
    for name, answer in (("a", "yes"), ("b", "yes"), ("c", "no")):
        cache = CallCache(tmp_path / name / CACHE)
        cache.put_many([("k1", "{}", [-0.5, -1.0]), ("k2", "{}", answer)])
        cache.close()
    a, b, c = (cache_rows(tmp_path / name) for name in "abc")
    assert a == {"k1": "[-0.5,-1.0]", "k2": '"yes"'} and cache_differences(a, b) == []
    assert cache_differences(a, c) == ["0 call(s) missing, 0 the reference run never made, 1 answered differently",
                                       '  k2: "yes" vs "no"']
    assert cache_rows(tmp_path / "none") == {}
