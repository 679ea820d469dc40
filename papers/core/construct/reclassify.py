"""Multi-label reclassification of a prompt pool into the taxonomy (construction step a).

    python -m papers.core.construct.reclassify --config config/config.yaml --out results/construct/classified.parquet

How a domain's probability is obtained from option scores: for each prompt and each dimension,
the classifier is asked which of that dimension's domains the request concerns, and every domain
name, plus "None of these", is scored as the reply (summed token log-likelihood, one shared prompt
forward). The probability of a domain is its softmax over those K + 1 options: the model's own
probability of giving that answer, renormalised over the allowed answers. A label is kept when
its probability is >= delta (0.5 in the papers). Dimensions are scored independently, so a prompt
can carry up to one label per dimension at delta >= 0.5 (more at lower delta), or none.

Calibration (config `construct.calibration`): a small model prefers some answers whatever the
request (short names, frequent words). With `content_free`, each option's score first has the score
it gets for the content-free request "N/A" subtracted (contextual calibration, papers/core/verdict.py),
which divides out that prior; `none` uses the raw scores. The papers do not
describe one; mini scale calibrates, paper scale does not (config/paper.yaml), and both are a config
switch away. Without calibration, longer names get lower likelihoods (more tokens).
"""
from __future__ import annotations

import pandas as pd

from ..llm.types import ScoreRequest, user
from ..taxonomy import DIMENSION_QUESTIONS, Taxonomy
from ..verdict import CALIBRATIONS, CONTENT_FREE, option_probabilities

NONE_OPTION = "None of these"
SYSTEM = "You sort user requests into categories. Reply with the category name only."


def classification_request(prompt: str, dimension: str, taxonomy: Taxonomy) -> ScoreRequest:
    names = [d.display_name for d in taxonomy.of(dimension)]
    text = f'Request: "{prompt}"\n\n{DIMENSION_QUESTIONS[dimension]}'
    return ScoreRequest(user(text, system=SYSTEM), tuple(names) + (NONE_OPTION,))


def reclassify(pool: pd.DataFrame, taxonomy: Taxonomy, model, delta: float,
               calibration: str = "none") -> pd.DataFrame:
    """One row per (prompt, domain): prompt_id, dimension, domain, probability, kept.

    `model` is anything with score(list[ScoreRequest]) (a CachedModel in the DAG).
    """
    if not 0.0 < delta <= 1.0:
        raise ValueError(f"delta must be in (0, 1], got {delta}")
    dims = taxonomy.dimensions()
    free = {dim: classification_request(CONTENT_FREE, dim, taxonomy) for dim in dims}
    jobs = [(pid, dim) for pid in pool["prompt_id"] for dim in dims]
    prompts = dict(zip(pool["prompt_id"], pool["prompt"]))
    probabilities = option_probabilities(
        model, [classification_request(prompts[pid], dim, taxonomy) for pid, dim in jobs], calibration,
        [free[dim] for _, dim in jobs])
    rows = []
    for (pid, dim), probs in zip(jobs, probabilities):
        for domain, p in zip(taxonomy.of(dim), probs):
            rows.append((pid, dim, domain.key, p, p >= delta))
    return pd.DataFrame(rows, columns=["prompt_id", "dimension", "domain", "probability", "kept"])


def labels_at(classified: pd.DataFrame, delta: float) -> dict[str, list[str]]:
    """The domains kept per prompt at threshold delta (a sweep reuses one classification)."""
    kept = classified[classified["probability"] >= delta]
    labels = {pid: [] for pid in classified["prompt_id"].unique()}
    for pid, domain in zip(kept["prompt_id"], kept["domain"]):
        labels[pid].append(domain)
    return labels


def main(argv=None) -> None:
    from ..cli import add_model_args, open_model, parser, setup_logging
    from ..io import write_parquet
    from ..prompt_pool import load_prompt_pool
    from ..taxonomy import load_taxonomy

    p = parser(__doc__)
    p.add_argument("--pool", required=True)
    p.add_argument("--taxonomy", required=True)
    p.add_argument("--delta", type=float, required=True)
    p.add_argument("--calibration", choices=CALIBRATIONS, default="none")
    p.add_argument("--out", required=True, help="Parquet: prompt_id, dimension, domain, probability, kept")
    add_model_args(p, "classifier")
    args = p.parse_args(argv)
    log = setup_logging()
    taxonomy = load_taxonomy(args.taxonomy)
    pool = load_prompt_pool(args.pool, taxonomy)
    model = open_model(args.classifier, args.cache, args.threads, desc="classify")
    classified = reclassify(pool, taxonomy, model, args.delta, args.calibration)
    write_parquet(args.out, classified)
    log.info("classified %d prompts x %d domains; %d labels kept at delta=%g; %d model calls",
             len(pool), len(taxonomy.domains), int(classified["kept"].sum()), args.delta, model.calls)


if __name__ == "__main__":
    from papers.core.cli import run

    run(main)
