"""Reading inputs with errors that name file, row and field; writing outputs atomically.

Every output is written to a temporary file beside its final path and renamed into place, so a
crash never leaves a half-written file, and an error while writing leaves the old file untouched.
A step with several outputs runs inside `all_or_none()`: its writes are staged and renamed only when
the whole step succeeds, so a failure half-way replaces none of its old outputs.
A temporary name carries PARTIAL; what a killed writer left under it is removed by the next writer
of the same path (one job at a time writes a given output), so a rerun leaves no debris behind.
"""
from __future__ import annotations

import contextlib
import contextvars
import csv
import glob
import io
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Iterator


class UserError(Exception):
    """A problem with what the user gave a step (data, config, environment), not a bug in the step:
    its command line prints the message alone and exits with status 2 (papers/core/cli.py:run)."""


class InputError(UserError, ValueError):
    """Bad input data. The message starts with 'file, row N (line M), field F:'."""

    def __init__(self, path, message: str, row: int | None = None, line: int | None = None,
                 field: str | None = None):
        where = [str(path)]
        if row is not None:
            where.append(f"row {row}" + (f" (line {line})" if line is not None else ""))
        elif line is not None:
            where.append(f"line {line}")
        if field is not None:
            where.append(f"field '{field}'")
        super().__init__(f"{', '.join(where)}: {message}")
        self.path, self.row, self.line, self.field = str(path), row, line, field


def read_text(path: str | Path, fallback: str | None = None) -> str:
    """The file as UTF-8 text; invalid bytes are an InputError naming the line they are on, unless a
    `fallback` encoding is given for files released in another one (MultiOFF's Latin-1 CSVs)."""
    path = Path(path)
    if not path.exists():
        raise InputError(path, "file not found")
    return decode_text(path.read_bytes(), path, fallback)


def decode_text(data: bytes, source, fallback: str | None = None) -> str:
    """read_text for bytes already in memory (an upload); `source` names them in errors."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        if fallback is not None:
            return _nonempty(source, data.decode(fallback, errors="strict"))
        line = data[:err.start].count(b"\n") + 1
        raise InputError(source, f"invalid UTF-8 (byte 0x{data[err.start]:02x} at offset {err.start})",
                         line=line) from None
    return _nonempty(source, text)


def _nonempty(path, text: str) -> str:
    if not text.strip():
        raise InputError(path, "file is empty")
    return text.removeprefix("\ufeff")


def read_json(path: str | Path):
    """The file's JSON value; malformed JSON is an InputError naming the line it breaks on."""
    try:
        return json.loads(read_text(path))
    except json.JSONDecodeError as err:
        raise InputError(path, f"malformed JSON ({err.msg})", line=err.lineno) from None


# The largest CSV field read (the csv module's default, 128 KiB, is below a long prompt; a field past
# this limit is an InputError naming its row, not a bare _csv.Error).
CSV_FIELD_LIMIT = 16 * 1024 * 1024


def read_csv_records(path: str | Path, required: list[str], delimiter: str = ",",
                     fallback: str | None = None) -> list[dict]:
    """Rows of a CSV file as dicts, each with '_row' and '_line'; checks the required columns.
    `delimiter` reads tab-separated releases; `fallback` is read_text's."""
    return csv_records(read_text(path, fallback), path, required, delimiter)


def csv_records(text: str, path, required: list[str], delimiter: str = ",") -> list[dict]:
    """read_csv_records for text already in memory (an upload); `path` names it in errors."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    csv.field_size_limit(CSV_FIELD_LIMIT)
    records, header = [], None
    while True:
        # the row a csv.Error belongs to is the one after the last complete row
        row_no, line = len(records) + 1, reader.line_num + 1
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as err:
            raise InputError(path, f"unreadable CSV ({err})", row=row_no if header else None,
                             line=line) from None
        if header is None:
            header = _checked_header(path, fields, required)
            continue
        if not fields:  # a blank line, as csv.DictReader skips it
            continue
        if len(fields) != len(header):
            raise InputError(path, f"expected {len(header)} fields, found {len(fields)}", row=row_no,
                             line=line)
        records.append({**dict(zip(header, fields)), "_row": row_no, "_line": line})
    if not records:
        raise InputError(path, "no data rows after the header")
    return records


def _checked_header(path, header: list[str], required: list[str]) -> list[str]:
    """The header row, with no repeated column (a dict of the row would keep only the last)."""
    seen: set[str] = set()
    for name in header:
        if name in seen:
            raise InputError(path, "column appears twice in the header", line=1, field=name)
        seen.add(name)
    missing = [c for c in required if c not in header]
    if missing:
        raise InputError(path, f"missing column(s) {', '.join(missing)}; found {', '.join(header)}",
                         line=1, field=missing[0])
    return header


def read_jsonl_records(path: str | Path, required: list[str]) -> list[dict]:
    """Objects of a JSON Lines file, each with '_row' and '_line'; checks the required fields."""
    text = read_text(path)
    records = []
    # JSON Lines ends a record at "\n" only: str.splitlines would also split at U+2028, U+0085 and
    # other characters a JSON string may hold raw.
    for line_no, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        row = len(records) + 1
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as err:
            raise InputError(path, f"malformed JSON ({err.msg})", row=row, line=line_no) from None
        if not isinstance(obj, dict):
            raise InputError(path, "expected a JSON object", row=row, line=line_no)
        for field in required:
            if field not in obj:
                raise InputError(path, "missing field", row=row, line=line_no, field=field)
        records.append({**obj, "_row": row, "_line": line_no})
    return records


PARTIAL = ".partial"


def partial_name(path: Path) -> dict:
    """tempfile arguments for a temporary file or directory beside `path`, named
    .<name>.<random>.partial<suffix> (the suffix kept for writers that pick the format from it)."""
    return {"dir": path.parent, "prefix": f".{path.name}.", "suffix": PARTIAL + path.suffix}


def remove_partials(path: Path) -> None:
    """Delete the temporary files or directories a killed writer of `path` left beside it."""
    for stale in path.parent.glob(f".{glob.escape(path.name)}.*{PARTIAL}{glob.escape(path.suffix)}"):
        if stale.is_dir() and not stale.is_symlink():
            shutil.rmtree(stale, ignore_errors=True)
        else:
            stale.unlink(missing_ok=True)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside `path`; rename it to `path` only if the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_partials(path)
    fd, tmp = tempfile.mkstemp(**partial_name(path))
    os.close(fd)
    try:
        yield Path(tmp)
        if os.path.isfile(tmp):  # mkstemp makes it owner-only; give it the mode any new file gets
            os.chmod(tmp, 0o666 & ~_umask())
        staged = _STAGED.get()
        if staged is None:
            os.replace(tmp, path)
        else:  # inside all_or_none(): renamed when the whole block succeeds
            staged[path] = Path(tmp)
    except BaseException:
        _discard(tmp)
        raise


@contextlib.contextmanager
def atomic_dir(path: str | Path) -> Iterator[Path]:
    """Yield an empty temporary directory beside `path`; when the block succeeds it replaces `path`,
    when it fails it is deleted, so a crash never leaves a half-filled folder (a killed earlier
    writer's leftovers are removed on entry). Its files get the mode any new file gets (some
    writers, safetensors for one, make owner-only files); links in it are left as they are."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_partials(path)
    tmp = Path(tempfile.mkdtemp(**partial_name(path)))
    try:
        yield tmp
        mask = _umask()
        os.chmod(tmp, 0o777 & ~mask)
        for item in tmp.rglob("*"):
            if not item.is_symlink():
                os.chmod(item, (0o777 if item.is_dir() else 0o666) & ~mask)
        if path.exists():
            shutil.rmtree(path)
        os.replace(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


# The writes staged by the innermost all_or_none() block (final path -> temporary path), or None.
_STAGED: contextvars.ContextVar[dict | None] = contextvars.ContextVar("staged_outputs", default=None)


def _discard(tmp) -> None:
    if os.path.isdir(tmp) and not os.path.islink(tmp):
        shutil.rmtree(tmp, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


@contextlib.contextmanager
def all_or_none() -> Iterator[None]:
    """Every atomic write inside the block (write_text, write_parquet, write_table, save_figure...)
    is staged beside its final path and renamed into place only when the whole block succeeds; if
    it fails, every staged file is removed and no existing output is touched. Blocks nest: an inner
    block's writes join the outer one's."""
    if _STAGED.get() is not None:
        yield
        return
    staged: dict[Path, Path] = {}
    token = _STAGED.set(staged)
    try:
        yield
    except BaseException:
        for tmp in staged.values():
            _discard(tmp)
        raise
    finally:
        _STAGED.reset(token)
    for path, tmp in staged.items():
        os.replace(tmp, path)


def write_text(path: str | Path, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_json(path: str | Path, obj) -> None:
    write_text(path, json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + "\n")


def write_parquet(path: str | Path, frame) -> None:
    with atomic_path(path) as tmp:
        frame.to_parquet(tmp, index=False)
