"""Responses from several generators: each generator answers every prompt in its own run of
respond.py (with its own judge); this step stacks their candidates and accepted responses into one
table each, with a `generator` column, in the configured generator order.

    python -m papers.core.construct.generators --help
"""
from __future__ import annotations

import pandas as pd


def stack(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One table from {generator name: its table}: a `generator` column after prompt_id."""
    if not frames:
        raise ValueError("no generator tables to stack")
    parts = [frame.assign(generator=name) for name, frame in frames.items()]
    out = pd.concat(parts, ignore_index=True)
    columns = ["prompt_id", "generator"] + [c for c in out.columns if c not in ("prompt_id", "generator")]
    return out[columns]


def main(argv=None) -> None:
    from ..cli import named_paths, parser, setup_logging
    from ..io import write_parquet

    p = parser(__doc__)
    p.add_argument("--candidates", nargs="+", required=True, metavar="NAME=PATH")
    p.add_argument("--responses", nargs="+", required=True, metavar="NAME=PATH")
    p.add_argument("--out-candidates", required=True)
    p.add_argument("--out-responses", required=True)
    a = p.parse_args(argv)
    log = setup_logging()
    for flag, pairs, out in (("--candidates", a.candidates, a.out_candidates),
                             ("--responses", a.responses, a.out_responses)):
        table = stack({name: pd.read_parquet(path) for name, path in named_paths(pairs, flag).items()})
        write_parquet(out, table)
        log.info("%s: %d rows from %s", out, len(table), ", ".join(table["generator"].unique()))


if __name__ == "__main__":
    from papers.core.cli import run

    run(main)
