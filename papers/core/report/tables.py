"""One table, written once, three ways: <stem>.csv, <stem>.md and <stem>.tex (booktabs)."""
from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from ..io import write_text

_LATEX_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
                  "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}",
                  "^": r"\textasciicircum{}"}


def format_cell(value, digits: int) -> str:
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return "" if math.isnan(value) else f"{value:.{digits}f}"
    return "" if value is None or value is pd.NA else str(value)


def _cells(frame: pd.DataFrame, digits: int) -> list[list[str]]:
    return [[format_cell(v, digits) for v in row] for row in frame.itertuples(index=False)]


def to_csv(frame: pd.DataFrame, digits: int) -> str:
    return frame.to_csv(index=False, lineterminator="\n", float_format=f"%.{digits}f")


def to_markdown(frame: pd.DataFrame, digits: int, caption: str) -> str:
    header = [str(c) for c in frame.columns]
    numeric = [pd.api.types.is_numeric_dtype(frame[c]) for c in frame.columns]
    lines = [f"{caption}\n" if caption else "",
             "| " + " | ".join(header) + " |",
             "|" + "|".join("---:" if n else "---" for n in numeric) + "|"]
    lines += ["| " + " | ".join(c.replace("|", r"\|") for c in row) + " |"
              for row in _cells(frame, digits)]
    return "\n".join(lines).lstrip("\n") + "\n"


def latex_escape(text: str) -> str:
    return "".join(_LATEX_SPECIAL.get(ch, ch) for ch in text)


def to_latex(frame: pd.DataFrame, digits: int, caption: str, label: str) -> str:
    align = "".join("r" if pd.api.types.is_numeric_dtype(frame[c]) else "l" for c in frame.columns)
    lines = [r"\begin{table}[t]", r"\centering", rf"\caption{{{latex_escape(caption)}}}",
             rf"\label{{{label}}}", rf"\begin{{tabular}}{{{align}}}", r"\toprule",
             " & ".join(latex_escape(str(c)) for c in frame.columns) + r" \\", r"\midrule"]
    lines += [" & ".join(latex_escape(c) for c in row) + r" \\" for row in _cells(frame, digits)]
    lines += [r"\bottomrule", r"\end{tabular}", r"\end{table}"]
    return "\n".join(lines) + "\n"


def write_table(frame: pd.DataFrame, stem: str | Path, caption: str = "", digits: int = 3) -> list[Path]:
    """Write <stem>.csv, .md and .tex; returns the three paths."""
    stem = Path(stem)
    label = "tab:" + stem.name.replace("_", "-")
    outputs = {stem.with_suffix(".csv"): to_csv(frame, digits),
               stem.with_suffix(".md"): to_markdown(frame, digits, caption),
               stem.with_suffix(".tex"): to_latex(frame, digits, caption, label)}
    for path, text in outputs.items():
        write_text(path, text)
    return list(outputs)
