"""Cost tables from Snakemake benchmark files."""
import pandas as pd
import pytest

from papers.core.report.costs import cost_table, step_of

HEADER = "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"


def test_wildcards_are_pooled_into_their_step():
    assert step_of("evaluate_detector_gemma-3-270m_run0") == "evaluate_detector"
    assert step_of("evaluate_detector_safety-lora_run2") == "evaluate_detector"
    assert step_of("train_detector_cultural_run1") == "train_detector"
    assert step_of("embed_memes_harm_c") == "embed_memes" and step_of("evaluate_harm_p") == "evaluate"
    assert step_of("generate_responses_smollm2-135m-instruct") == "generate_responses"
    assert step_of("build_items") == "build_items"


def test_cost_table_sums_jobs(tmp_path):
    for name, s, rss in (("train_detector_safety_run0", 40.0, 3000.5), ("train_detector_value_run0", 20.0, 3500.0),
                         ("report", 0.5, "-")):
        (tmp_path / f"{name}.tsv").write_text(HEADER + f"{s}\t0:00:{int(s)}\t{rss}\t1\t1\t1\t1\t1\t1\t1\n")
    table = cost_table(tmp_path).set_index("step")
    assert table.loc["train_detector", ["jobs", "total_s", "longest_s", "peak_rss_mb"]].tolist() == [2, 60.0, 40.0, 3500.0]
    assert pd.isna(table.loc["report", "peak_rss_mb"])
    assert table.loc["all steps", "total_s"] == pytest.approx(60.5)


def test_a_folder_without_benchmarks_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="no benchmark files"):
        cost_table(tmp_path)
