"""atomic_dir: a folder appears whole or not at all (papers/core/io.py)."""
import os
import stat

import pytest

from papers.core.io import atomic_dir


def test_a_folder_replaces_the_old_one_only_when_the_block_succeeds(tmp_path):
    out = tmp_path / "model"
    out.mkdir()
    (out / "old.txt").write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_dir(out) as tmp:
            (tmp / "half.txt").write_text("half")
            raise RuntimeError("killed")
    assert sorted(p.name for p in out.iterdir()) == ["old.txt"]  # untouched
    assert [p.name for p in tmp_path.iterdir()] == ["model"]  # nothing left beside it
    with atomic_dir(out) as tmp:
        (tmp / "weights").write_bytes(b"w")
        os.chmod(tmp / "weights", 0o600)  # as safetensors writes it
    assert sorted(p.name for p in out.iterdir()) == ["weights"]
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE((out / "weights").stat().st_mode) == 0o666 & ~mask


def test_leftovers_of_a_killed_writer_are_removed(tmp_path):
    out = tmp_path / "images"
    stale = tmp_path / ".images.abc.partial"
    stale.mkdir()
    with atomic_dir(out) as tmp:
        (tmp / "a.png").write_bytes(b"x")
    assert not stale.exists() and (out / "a.png").exists()
