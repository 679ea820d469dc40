"""Stage 2 of AlignX: the prompt features, every router of the paper's methods, and their gates.

    python -m papers.alignx.routing --help

Routers (papers/alignx/router.py), all on the same features of the train prompts, with their axes
as labels; each differs only in the calibration terms it is trained with:
  alignx       MoCaE: natural and fractal geometry terms (lambda1, lambda2)
  softmax      the uncalibrated softmax-gating baseline (no term); top-k LoRA MoE gates from it
  no_natural   ablation: the fractal term only
  no_fractal   ablation: the natural term only
Features: the embedder's vector of the bare prompt (the router sees what the user wrote, before any
injection). Outputs: every router's gates on every prompt that is not train (gate_<axis>), the
router-calibration table (ECE before and after calibration, next to the uniform router), the
reliability diagram and the axis feature-space figure.
"""
from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from .data import AXES
from .router import RouterSettings, fit_router

ROUTERS = {"alignx": (True, True), "softmax": (False, False), "no_natural": (False, True),
           "no_fractal": (True, False)}  # name: (natural term, fractal term)
GATES = [f"gate_{axis}" for axis in AXES]


def fit_routers(features: np.ndarray, table: pd.DataFrame, settings: RouterSettings) -> pd.DataFrame:
    """Every router of ROUTERS fitted on the train rows of `table` (features row-aligned with it);
    returns router, prompt_id, axis, split, label, gate_<axis> for every row that is not train."""
    if not isinstance(table, pd.DataFrame) or len(features) != len(table):
        raise ValueError(f"features ({len(features)} rows) must align with the axis table ({len(table)} rows)")
    labels = table["axis"].map(AXES.index).to_numpy()
    train = (table["split"] == "train").to_numpy()
    held_out = table.loc[~train, ["prompt_id", "axis", "split"]].reset_index(drop=True)
    frames = []
    for name, (natural, fractal) in ROUTERS.items():
        s = dataclasses.replace(settings, natural=natural, fractal=fractal)
        router = fit_router(features[train], labels[train], s)
        gates = pd.DataFrame(router.gates(features[~train]), columns=GATES)
        frames.append(pd.concat([held_out.assign(router=name, label=labels[~train]), gates], axis=1))
    columns = ["router", "prompt_id", "axis", "split", "label", *GATES]
    return pd.concat(frames, ignore_index=True)[columns]


def main(argv=None) -> None:
    import json

    from papers.core.cli import open_model, parser, setup_logging
    from papers.core.embed import embed
    from papers.core.io import write_parquet
    from papers.core.report import save_figure, write_table

    from .figures import figure_feature_overlap, figure_router_reliability
    from .tables import table_router_calibration

    p = parser(__doc__)
    p.add_argument("--axes", required=True, help="targets.py prepare's axis table")
    p.add_argument("--embedder", required=True, metavar="JSON")
    p.add_argument("--cache", required=True)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--settings", required=True, metavar="JSON", help="RouterSettings fields (seed included)")
    p.add_argument("--scale", required=True)
    p.add_argument("--out-gates", required=True)
    p.add_argument("--calibration-table", required=True, help="stem")
    p.add_argument("--reliability-figure", required=True, help="stem")
    p.add_argument("--overlap-figure", required=True, help="stem")
    a = p.parse_args(argv)
    log = setup_logging()
    table = pd.read_parquet(a.axes)
    settings = RouterSettings(**json.loads(a.settings))
    features = embed(open_model(a.embedder, a.cache, a.threads, desc="prompt features"), table["prompt"].tolist())
    gates = fit_routers(features, table, settings)
    write_parquet(a.out_gates, gates)
    calibration = table_router_calibration(gates)
    write_table(calibration, a.calibration_table, caption=f"Router calibration on the test prompts ({a.scale} scale)")
    save_figure(figure_router_reliability(gates, a.scale), a.reliability_figure)
    save_figure(figure_feature_overlap(features, table, settings, a.scale), a.overlap_figure)
    log.info("routers on %d held-out prompts:\n%s", gates["prompt_id"].nunique(), calibration.to_string())


if __name__ == "__main__":
    from papers.core.cli import run

    run(main)
