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

Shortlist (config `construct.shortlist`, 0 = every domain, the papers' method): the options are the k
domains whose names are nearest the prompt by the `embedder` role, plus "None of these". Offered
every domain, SmolLM2-135M scored below the nearest-name baseline; with k = 1 it only decides
between MiniLM's nearest domain and none, which beats both baselines on held-out gold prompts
(README: Reclassification; benchmarks/bench_classifier.py) in fewer forward passes.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..embed import embed
from ..llm.types import ScoreRequest, user
from ..taxonomy import DIMENSION_QUESTIONS, Domain, Taxonomy
from ..verdict import CALIBRATIONS, CONTENT_FREE, option_probabilities

NONE_OPTION = "None of these"
SYSTEM = "You sort user requests into categories. Reply with the category name only."


def classification_request(prompt: str, dimension: str, taxonomy: Taxonomy,
                           domains: list[Domain] | None = None, listed: bool = False) -> ScoreRequest:
    """The question about one dimension; options: `domains` (default: all of the dimension) and
    NONE_OPTION. `listed` also names the options in the question."""
    names = [d.display_name for d in (taxonomy.of(dimension) if domains is None else domains)]
    text = f'Request: "{prompt}"\n\n{DIMENSION_QUESTIONS[dimension]}'
    if listed:
        text += " Answer with one of: " + "; ".join(names + [NONE_OPTION]) + "."
    return ScoreRequest(user(text, system=SYSTEM), tuple(names) + (NONE_OPTION,))


def shortlists(pool: pd.DataFrame, taxonomy: Taxonomy, k: int, embedder) -> dict[tuple[str, str], list[Domain]]:
    """(prompt_id, dimension) -> the k domains whose names are nearest the prompt (embedding cosine),
    nearest first."""
    vectors = embed(embedder, list(pool["prompt"]))
    out = {}
    for dim in taxonomy.dimensions():
        domains = taxonomy.of(dim)
        sims = vectors @ embed(embedder, [d.display_name for d in domains]).T
        for pid, row in zip(pool["prompt_id"], sims):
            out[(pid, dim)] = [domains[i] for i in np.argsort(-row, kind="stable")[:k]]
    return out


def reclassify(pool: pd.DataFrame, taxonomy: Taxonomy, model, delta: float, calibration: str = "none",
               shortlist: int = 0, embedder=None, listed: bool = False) -> pd.DataFrame:
    """One row per (prompt, domain): prompt_id, dimension, domain, probability, kept.

    `model` is anything with score(list[ScoreRequest]) (a CachedModel in the DAG). With
    `shortlist` k > 0 the options are the k domains nearest the prompt (`embedder`), the others
    get probability 0; `listed` names the options in the question.
    """
    if not 0.0 < delta <= 1.0:
        raise ValueError(f"delta must be in (0, 1], got {delta}")
    if shortlist and embedder is None:
        raise ValueError("a shortlist needs an embedder")
    dims = taxonomy.dimensions()
    jobs = [(pid, dim) for pid in pool["prompt_id"] for dim in dims]
    prompts = dict(zip(pool["prompt_id"], pool["prompt"]))
    options = shortlists(pool, taxonomy, shortlist, embedder) if shortlist else \
        {(pid, dim): taxonomy.of(dim) for pid, dim in jobs}
    # Unlisted options are scored without their neighbours, so one content-free request per
    # dimension (all domains) calibrates every shortlist; listed ones change the question.
    free = {dim: classification_request(CONTENT_FREE, dim, taxonomy) for dim in dims}
    probabilities = option_probabilities(
        model, [classification_request(prompts[pid], dim, taxonomy, options[pid, dim], listed)
                for pid, dim in jobs], calibration,
        [classification_request(CONTENT_FREE, dim, taxonomy, options[pid, dim], True) if listed
         else free[dim] for pid, dim in jobs])
    rows = []
    for (pid, dim), probs in zip(jobs, probabilities):
        p_of = {d.key: p for d, p in zip(options[pid, dim], probs)}
        for domain in taxonomy.of(dim):
            p = p_of.get(domain.key, 0.0)
            rows.append((pid, dim, domain.key, p, p >= delta))
    return pd.DataFrame(rows, columns=["prompt_id", "dimension", "domain", "probability", "kept"])


def labels_at(classified: pd.DataFrame, delta: float) -> dict[str, list[str]]:
    """The domains kept per prompt at threshold delta (a sweep reuses one classification)."""
    kept = classified[classified["probability"] >= delta]
    labels = {pid: [] for pid in classified["prompt_id"].unique()}
    for pid, domain in zip(kept["prompt_id"], kept["domain"]):
        labels[pid].append(domain)
    return labels


def add_setting_args(p) -> None:
    """The reclassification setting on a step's command line (reclassify and expand share it)."""
    p.add_argument("--calibration", choices=CALIBRATIONS, default="none")
    p.add_argument("--shortlist", type=int, default=0, help="options: the k domains nearest the prompt "
                   "by the embedder (0: every domain of the dimension, the papers' method)")
    p.add_argument("--embedder", metavar="JSON", help="the embedder role's registry entry (with --shortlist)")


def setting_from_args(args) -> dict:
    """reclassify()'s keyword arguments from add_setting_args' options (the embedder opened, cached)."""
    from ..cli import open_model

    if args.shortlist and not args.embedder:
        raise SystemExit("--shortlist needs --embedder")
    embedder = open_model(args.embedder, args.cache, args.threads, desc="embed") if args.shortlist else None
    return {"calibration": args.calibration, "shortlist": args.shortlist, "embedder": embedder}


def main(argv=None) -> None:
    from ..cli import add_model_args, open_model, parser, setup_logging
    from ..io import write_parquet
    from ..prompt_pool import load_prompt_pool
    from ..taxonomy import load_taxonomy

    p = parser(__doc__)
    p.add_argument("--pool", required=True)
    p.add_argument("--taxonomy", required=True)
    p.add_argument("--delta", type=float, required=True)
    add_setting_args(p)
    p.add_argument("--out", required=True, help="Parquet: prompt_id, dimension, domain, probability, kept")
    add_model_args(p, "classifier")
    args = p.parse_args(argv)
    log = setup_logging()
    taxonomy = load_taxonomy(args.taxonomy)
    pool = load_prompt_pool(args.pool, taxonomy)
    model = open_model(args.classifier, args.cache, args.threads, desc="classify")
    classified = reclassify(pool, taxonomy, model, args.delta, **setting_from_args(args))
    write_parquet(args.out, classified)
    log.info("classified %d prompts x %d domains; %d labels kept at delta=%g; %d model calls",
             len(pool), len(taxonomy.domains), int(classified["kept"].sum()), args.delta, model.calls)


if __name__ == "__main__":
    from papers.core.cli import run

    run(main)
