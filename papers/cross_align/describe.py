"""CROSS-ALIGN+ Stage I from the picture's side: what one LVLM says each meme's picture shows, linked
to the same knowledge sources as the text.

    python -m papers.cross_align.describe --benchmarks JSON --memes harm_c=results/vision/memes/harm_c/memes.parquet \
        --lvlm JSON --name mini-lvlm --sample 6 --train-examples 8 --seed 42 --tokens 16 \
        --lexicon data/knowledge/hate_lexicon/refined_ngram_dict.clean.csv ... --per-source 2 \
        --cache results/cache/llm_calls.sqlite \
        --out-descriptions results/cross_align/described/mini-lvlm/descriptions.parquet \
        --out harm_c=results/cross_align/described/mini-lvlm/harm_c.jsonl

The paper links "entities and phrases detected" in a meme besides its OCR text; here the detector is
the LVLM itself: asked, with the image alone (prompts.description_content), what the picture shows
(greedy, `--tokens`, through the call cache, the first line kept), and that answer, without its echo
of the question ("The picture shows"), is linked like the text (enrich.retrieve, the same index and
top k per source). Only the memes a step shows the LVLM
are described (data.seen_memes: the test samples and the training memes). Each dataset's facts file
has enrich.py's format; answers.py and adapters.py add its facts to the knowledge block under their
own header, leaving out what the text already linked (enrich.enrichment_text). The descriptions
themselves are kept (dataset, id, description) for the reader.
"""
from __future__ import annotations

import json
import logging
import re

import pandas as pd

from papers.core.llm.types import GenerateRequest, Sampling, chat, image

from .data import seen_memes
from .prompts import description_content

log = logging.getLogger("pluralign")
# An answer's echo of the question ("The picture shows ...") is not something seen: it is not linked.
ECHO = re.compile(r"^\W*(?:the|this)\s+(?:picture|image|meme)\s+(?:shows|depicts|contains|is of)\s+", re.IGNORECASE)


def seen_part(description: str) -> str:
    """What a description says the picture holds, without its echo of the question."""
    if not isinstance(description, str):
        raise TypeError(f"description must be a str, got {type(description).__name__}")
    return ECHO.sub("", description, count=1)


def describe(model, memes: pd.DataFrame, tokens: int) -> list[str]:
    """The LVLM's one-sentence description of each meme's picture, in table order."""
    if not isinstance(tokens, int) or isinstance(tokens, bool) or tokens < 1:
        raise ValueError(f"tokens must be a positive int, got {tokens!r}")
    requests = [GenerateRequest(chat(("user", description_content(image(path, label=f"meme {meme_id}")))),
                                Sampling(max_new_tokens=tokens))
                for meme_id, path in zip(memes["id"], memes["image"])]
    # a description is one sentence: anything after its first line is the model running on
    return [answer.strip().split("\n")[0].strip() for answer in model.generate(requests)]


def main(argv=None) -> None:
    from papers.core.cli import add_model_args, named_paths, open_model, parser, setup_logging
    from papers.core.io import write_parquet
    from papers.core.vision.memes import load_memes

    from .enrich import add_source_args, knowledge_index, retrieve, write_facts

    p = parser(__doc__)
    p.add_argument("--benchmarks", required=True, help="JSON: benchmark -> {task, dataset}")
    p.add_argument("--memes", nargs="+", required=True, help="dataset=meme table")
    add_model_args(p, "lvlm")
    p.add_argument("--name", required=True, help="the LVLM's registry name")
    p.add_argument("--sample", type=int, required=True, help="test memes per benchmark (as answers.py)")
    p.add_argument("--train-examples", type=int, required=True, help="training memes per adapter (as adapters.py)")
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--tokens", type=int, required=True, help="tokens of each description")
    add_source_args(p)
    p.add_argument("--out-descriptions", required=True)
    p.add_argument("--out", nargs="+", required=True, help="dataset=facts file (enrich.py's format)")
    a = p.parse_args(argv)
    setup_logging()
    benchmarks = json.loads(a.benchmarks)
    memes_paths, out_paths = named_paths(a.memes, "--memes"), named_paths(a.out, "--out")
    tables = {d: load_memes(path) for d, path in memes_paths.items()}
    seen = seen_memes(benchmarks, tables, a.sample, a.train_examples, a.seed)
    if set(out_paths) != set(seen):
        raise SystemExit(f"--out names {sorted(out_paths)}, the benchmarks read {sorted(seen)}")
    index = knowledge_index(a)
    model = open_model(a.lvlm, a.cache, a.threads, desc=f"{a.name} descriptions")
    rows = []
    for dataset, memes in seen.items():
        described = memes.assign(description=describe(model, memes, a.tokens))
        facts = retrieve(described.assign(seen=described["description"].map(seen_part)), index, a.per_source,
                         column="seen")
        write_facts(out_paths[dataset], facts)
        rows.append(described[["id", "description"]].assign(dataset=dataset))
        log.info("%s %s: %d pictures described, %d facts linked", a.name, dataset, len(memes), len(facts))
    write_parquet(a.out_descriptions, pd.concat(rows, ignore_index=True)[["dataset", "id", "description"]])


if __name__ == "__main__":
    from papers.core.cli import run

    run(main)
