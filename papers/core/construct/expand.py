"""Low-resource expansion (construction step b of papers 1-3).

    python -m papers.core.construct.expand --help

Every domain with fewer kept prompts than `floor` gets new ones: the expansion model is shown up to
`examples` real prompts of the domain (or, when it has none, only the domain's name) and asked for
one new request, `floor - count` times (sample indices 0, 1, ...), with the papers' sampling
(temperature 0.7, top-p 0.9) and the config seed. Each new prompt is cleaned (first line, quotes and
list markers stripped), then reclassified by the classifier exactly like the pool, and kept only if
it lands in the domain it was written for. Every attempt is recorded with its outcome.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from ..llm.types import GenerateRequest, Sampling, user
from ..taxonomy import Domain, Taxonomy
from .reclassify import add_setting_args, labels_at, reclassify, setting_from_args

SYSTEM = "You write realistic requests that users send to a chat assistant."


@dataclass(frozen=True)
class ExpansionSettings:
    floor: int                    # expand domains with fewer kept prompts than this
    examples: int = 3             # real prompts shown to the expansion model
    temperature: float = 0.7      # the papers' sampling
    top_p: float = 0.9
    max_new_tokens: int = 64
    seed: int = 0


def expansion_request(domain: Domain, examples: list[str], index: int, s: ExpansionSettings) -> GenerateRequest:
    topic = f'"{domain.display_name}" (a {domain.dimension} domain)'
    if examples:
        shown = "\n".join(f"- {e}" for e in examples)
        text = (f"Here are requests about {topic}:\n{shown}\n\n"
                "Write one new request about the same topic, different from these. Reply with the request only.")
    else:
        text = f"Write one realistic request a user might send about {topic}. Reply with the request only."
    sampling = Sampling(s.temperature, s.top_p, s.max_new_tokens, s.seed)
    return GenerateRequest(user(text, system=SYSTEM), sampling, sample_index=index)


_PREFIX = re.compile(r'^\s*(?:[-*•]|\d+[.)]|request\s*:|new request\s*:)\s*', re.IGNORECASE)


def clean_prompt(text: str) -> str:
    """The first non-empty line, without list markers, a 'Request:' label or wrapping quotes."""
    for line in text.splitlines():
        line = _PREFIX.sub("", line).strip().strip('"“”\'').strip()
        if line:
            return line
    return ""


def low_resource(labels: dict[str, list[str]], taxonomy: Taxonomy, floor: int) -> dict[str, int]:
    """Domain key -> kept prompts, for domains under the floor."""
    counts = {d.key: 0 for d in taxonomy.domains}
    for domains in labels.values():
        for key in domains:
            counts[key] += 1
    return {k: c for k, c in counts.items() if c < floor}


def expand(pool: pd.DataFrame, classified: pd.DataFrame, taxonomy: Taxonomy, expander, classifier,
           settings: ExpansionSettings, delta: float, calibration: str,
           **setting) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Returns (attempts, classified_new).

    attempts: one row per new prompt asked for: prompt_id, domain, sample_index, prompt, made (a
    usable prompt came back), status (kept | rejected), reason (why rejected). classified_new: the
    reclassification rows of every made prompt (`setting`: reclassify()'s shortlist and embedder,
    the same as the pool's).
    """
    labels = labels_at(classified, delta)
    texts = dict(zip(pool["prompt_id"], pool["prompt"]))
    existing = {t.strip().lower() for t in pool["prompt"]}
    by_key = taxonomy.by_key()
    jobs = []
    for key, count in low_resource(labels, taxonomy, settings.floor).items():
        examples = [texts[pid] for pid in sorted(labels) if key in labels[pid]][:settings.examples]
        jobs += [(key, i, expansion_request(by_key[key], examples, i, settings))
                 for i in range(settings.floor - count)]
    replies = expander.generate([r for _, _, r in jobs])
    rows, seen = [], set(existing)
    for (key, i, _), reply in zip(jobs, replies):
        prompt = clean_prompt(reply)
        reason = ""
        if not prompt:
            reason = "empty reply"
        elif prompt.lower() in seen:
            reason = "exact copy of an existing prompt"
        seen.add(prompt.lower())
        rows.append({"prompt_id": f"x-{key}-{i}", "domain": key, "sample_index": i, "prompt": prompt,
                     "made": not reason, "status": "rejected" if reason else "kept", "reason": reason})
    attempts = pd.DataFrame(rows, columns=["prompt_id", "domain", "sample_index", "prompt", "made", "status",
                                           "reason"])
    made = attempts[attempts["made"]]
    new_pool = pd.DataFrame({"prompt_id": made["prompt_id"], "prompt": made["prompt"],
                             "gold_domains": [[] for _ in range(len(made))]})
    classified_new = (reclassify(new_pool, taxonomy, classifier, delta, calibration, **setting) if len(made)
                      else classified.iloc[0:0].copy())
    prob = classified_new.set_index(["prompt_id", "domain"])["probability"].to_dict()
    for idx in made.index:
        pid, key = attempts.at[idx, "prompt_id"], attempts.at[idx, "domain"]
        p = prob[(pid, key)]
        if p < delta:
            attempts.at[idx, "status"] = "rejected"
            attempts.at[idx, "reason"] = f"not classified into its domain (p = {p:.2f} < {delta:g})"
    return attempts, classified_new


def merge_kept(pool: pd.DataFrame, classified: pd.DataFrame, attempts: pd.DataFrame,
               classified_new: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The pool with the kept new prompts appended (column source: pool | expansion), and the
    reclassification of exactly that pool."""
    kept = attempts[attempts["status"] == "kept"]
    new = pd.DataFrame({"prompt_id": kept["prompt_id"], "prompt": kept["prompt"],
                        "gold_domains": [[] for _ in range(len(kept))], "source": "expansion"})
    merged_pool = pd.concat([pool.assign(source="pool"), new], ignore_index=True)
    merged_classified = pd.concat([classified, classified_new[classified_new["prompt_id"].isin(kept["prompt_id"])]],
                                  ignore_index=True)
    return merged_pool, merged_classified


def main(argv=None) -> None:
    from ..cli import add_model_args, open_model, parser, setup_logging
    from ..io import write_parquet
    from ..prompt_pool import load_prompt_pool
    from ..taxonomy import load_taxonomy

    p = parser(__doc__)
    p.add_argument("--pool", required=True)
    p.add_argument("--taxonomy", required=True)
    p.add_argument("--classified", required=True, help="the pool's reclassification (Parquet)")
    p.add_argument("--delta", type=float, required=True)
    p.add_argument("--floor", type=int, required=True)
    p.add_argument("--examples", type=int, default=3)
    p.add_argument("--temperature", type=float, default=0.7)
    p.add_argument("--top-p", type=float, default=0.9)
    p.add_argument("--max-new-tokens", type=int, default=64)
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--expansion", required=True, metavar="JSON", help="the expansion role's registry entry")
    p.add_argument("--out-attempts", required=True)
    p.add_argument("--out-pool", required=True, help="pool + kept new prompts: prompt_id, prompt, source")
    p.add_argument("--out-classified", required=True, help="reclassification of that pool")
    add_model_args(p, "classifier")
    add_setting_args(p)
    args = p.parse_args(argv)
    log = setup_logging()
    taxonomy = load_taxonomy(args.taxonomy)
    pool = load_prompt_pool(args.pool, taxonomy)
    classified = pd.read_parquet(args.classified)
    settings = ExpansionSettings(args.floor, args.examples, args.temperature, args.top_p,
                                 args.max_new_tokens, args.seed)
    expander = open_model(args.expansion, args.cache, args.threads, desc="expand")
    classifier = open_model(args.classifier, args.cache, args.threads, desc="reclassify new")
    attempts, classified_new = expand(pool, classified, taxonomy, expander, classifier, settings,
                                      args.delta, **setting_from_args(args))
    merged_pool, merged_classified = merge_kept(pool, classified, attempts, classified_new)
    write_parquet(args.out_attempts, attempts)
    write_parquet(args.out_pool, merged_pool)
    write_parquet(args.out_classified, merged_classified)
    log.info("expansion: %d asked, %d made, %d kept; %d + %d model calls", len(attempts),
             int(attempts["made"].sum()), int((attempts["status"] == "kept").sum()), expander.calls,
             classifier.calls)


if __name__ == "__main__":
    from papers.core.cli import run

    run(main)
