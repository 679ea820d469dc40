"""CROSS-ALIGN+'s benchmark loaders (papers/cross_align/benchmarks.py) and mini tasks (tasks.py)."""
import json
from pathlib import Path

import pandas as pd
import pytest

from papers.core.io import InputError
from papers.cross_align.benchmarks import read_benchmark
from papers.cross_align.tasks import MINI_TASKS, task_labels


def test_each_format_reads_into_the_meme_schema(tmp_path):
    (tmp_path / "multioff.csv").write_bytes("image_name,sentence,label\na.jpg,caf\xe9 hate,offensive\n"
                                            "b.jpg,nice,Non-offensiv\n".encode("latin-1"))
    (tmp_path / "mami.csv").write_text("file_name\tmisogynous\tshaming\tText Transcription\n1.jpg\t1\t0\tmake me\n"
                                       "2.jpg\t0\t0\thello\n")
    (tmp_path / "mmsd.json").write_text(json.dumps([{"image_id": 682716753374351360, "text": "great", "label": 1}]))
    (tmp_path / "fhm.jsonl").write_text(json.dumps({"id": 42, "img": "img/42.png", "label": 0, "text": "hi"}) + "\n")
    (tmp_path / "harm.jsonl").write_text(json.dumps({"id": "m", "image": "m.png", "labels": ["somewhat harmful"],
                                                     "text": "t"}) + "\n")
    cases = {"offensiveness": ("multioff.csv", [1, 0], "café hate"), "misogyny": ("mami.csv", [1, 0], "make me"),
             "sarcasm": ("mmsd.json", [1], "great"), "hatefulness": ("fhm.jsonl", [0], "hi"),
             "harmfulness": ("harm.jsonl", [1], "t")}
    for task, (name, labels, text) in cases.items():
        memes = read_benchmark(task, tmp_path / name, images=tmp_path / "img", split="test")
        assert list(memes.columns) == ["id", "dataset", "split", "text", "image", "label", "label_name"]
        assert memes["label"].tolist() == labels and memes["text"].iloc[0] == text
        assert (memes["dataset"] == task).all() and (memes["split"] == "test").all()
    sarcasm = read_benchmark("sarcasm", tmp_path / "mmsd.json", images="imgs", split="train")
    assert sarcasm["image"].iloc[0] == "imgs/682716753374351360.jpg" and sarcasm["id"].iloc[0] == "682716753374351360"


def test_bad_benchmark_input_names_file_row_field(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("image_name,sentence,label\na.jpg,t,offensive\nb.jpg,t,rude\n")
    with pytest.raises(InputError, match=r"x.csv, row 2 \(line 3\), field 'label'"):
        read_benchmark("offensiveness", path, "img", "train")
    path.write_text("image_name,label\na.jpg,offensive\n")
    with pytest.raises(InputError, match="field 'sentence'"):
        read_benchmark("offensiveness", path, "img", "train")
    path.write_text("file_name\tmisogynous\tText Transcription\n1.jpg\tmaybe\tt\n")
    with pytest.raises(InputError, match=r"row 1 \(line 2\), field 'misogynous'"):
        read_benchmark("misogyny", path, "img", "train")
    path.write_text(json.dumps([{"image_id": "1", "text": "t", "label": 1}, {"image_id": "2", "text": "t"}]))
    with pytest.raises(InputError, match="row 2, field 'label'"):
        read_benchmark("sarcasm", path, "img", "train")
    path.write_text(json.dumps([{"image_id": "1", "text": "t", "label": 1},
                                {"image_id": "1", "text": "u", "label": 0}]))
    with pytest.raises(InputError, match="appears twice"):
        read_benchmark("sarcasm", path, "img", "train")
    with pytest.raises(ValueError):
        read_benchmark("toxicity", path, "img", "train")
    with pytest.raises(TypeError):
        read_benchmark("sarcasm", path, 3, "train")


def test_mini_task_labels_come_from_the_generators_columns():
    memes = pd.DataFrame({"label": [1, 1, 0], "text_label": [1, 0, 0], "picture_label": [0, 1, 0]})
    assert task_labels(memes, "harmfulness").tolist() == [1, 1, 0]
    assert task_labels(memes, "text_harmfulness").tolist() == [1, 0, 0]
    assert task_labels(memes, "hostile_imagery").tolist() == [0, 1, 0]
    assert set(MINI_TASKS) == {"harmfulness", "text_harmfulness", "hostile_imagery"}
    with pytest.raises(InputError, match="field 'picture_label'"):
        task_labels(memes.drop(columns="picture_label"), "hostile_imagery")
    with pytest.raises(InputError, match="row 2, field 'label'"):
        task_labels(memes.assign(label=[1, 2, 0]), "harmfulness")
    with pytest.raises(ValueError, match="no labels in a rendered mini meme table"):
        task_labels(memes, "sarcasm")  # the mini `label` is harmfulness, never sarcasm
    with pytest.raises(ValueError, match="task must be one of"):
        task_labels(memes, "satire")
    assert task_labels(memes[["label"]], "hatefulness").tolist() == [1, 1, 0]  # a paper benchmark's own table


def test_mini_tasks_read_a_real_rendered_table(tmp_path):
    """The columns tasks.py reads exist in the vision core's rendered memes and obey the generator's
    rule (harmful = harmful text OR hostile picture), on real HarMeme text."""
    from papers.core.vision.memes import read_harmeme
    from papers.core.vision.render import load_pictograms, render_memes

    root = Path(__file__).resolve().parents[1] / "data" / "memes"
    annotations = read_harmeme(root / "harmeme" / "Harm-C_val.jsonl", "img", "harm_c", "val")
    memes = render_memes(annotations, load_pictograms(root / "pictograms"), tmp_path, seed=42)
    harmful, text, picture = (task_labels(memes, t) for t in ("harmfulness", "text_harmfulness", "hostile_imagery"))
    assert (harmful == (text | picture)).all()
    assert (text == annotations["label"].to_numpy()).all()           # HarMeme's own label of the text
    assert 0 < picture.sum() < len(memes) and (harmful > text).any()  # a hostile picture makes some harmful
