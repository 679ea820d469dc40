"""The base model and the trained policies on the held-out test turns: the same signals as the
candidates, the gold reply scored alongside them, and a pairwise judge's win rate against the base.

    python -m papers.persodpo.evaluate --help

The base model and each policy (its adapter) answer the test turns first, in one batch
(generate.generate_replies, generators named after them: "base", "persodpo", ...). The gold reply enters as generator "gold", written as the JSON the format asks for (a ceiling for the
text signals; the data's own length for instructability). Quality (signals.quality) is normalised
over all test rows together, so it compares models on one ruler.

Win rate: for each test turn and each model M (the base included), the judge is shown the dialogue
and two replies, A and B, and its option scores over "A" / "B" give P(M's reply is better); which of
M's and the base's replies is A is decided per (model, turn) by a seeded coin
(papers.core.splits.position < 0.5), so a judge that favours one position favours both equally
often. A win is P > 0.5. The base against itself measures only the judge's position bias (the two
replies are the same text): any distance of its win rate from 0.5 is bias, the noise floor of the
other rows. The judge sees the parsed response, or the raw reply where parsing failed; so do the
text signals here (score.reply_signals with judge_raw), which the candidates' scoring does not do.
"""
from __future__ import annotations

import json

import pandas as pd

from papers.core.llm.types import ScoreRequest, user
from papers.core.splits import position
from papers.core.verdict import softmax

WIN_PROMPT = """Here is a dialogue between a user and an assistant, and two candidate replies for the assistant.

The user's persona:
{persona}

{dialogue}

Reply A: {a}

Reply B: {b}

Which reply is better: coherent, relevant, and fitting the user's persona? Answer A or B."""
WIN_OPTIONS = ("A", "B")
BASE = "base"
GOLD = "gold"


def win_request(persona, context, a: str, b: str) -> ScoreRequest:
    dialogue = "\n".join(f"{'User' if i % 2 == 0 else 'Assistant'}: {line}" for i, line in enumerate(context))
    return ScoreRequest(user(WIN_PROMPT.format(persona="\n".join(f"- {p}" for p in persona), dialogue=dialogue,
                                               a=a, b=b)), WIN_OPTIONS)


def model_first(model: str, prompt_id: str, seed: int) -> bool:
    """The seeded coin: whether the model's reply is shown as A."""
    return position(f"{model}|{prompt_id}", seed) < 0.5


def win_rates(judge, turns: pd.DataFrame, signals: pd.DataFrame, seed: int) -> pd.DataFrame:
    """One row per (model, turn): model, prompt_id, model_first, p_model_better, win."""
    shown = signals.assign(shown=signals["text"].where(~signals["failure"], signals["reply"]))
    base = shown[shown["generator"] == BASE].set_index("prompt_id")["shown"]
    turn = turns.set_index("prompt_id")
    rows, requests = [], []
    for r in shown[shown["generator"] != GOLD].itertuples():
        first = model_first(r.generator, r.prompt_id, seed)
        a, b = (r.shown, base[r.prompt_id]) if first else (base[r.prompt_id], r.shown)
        requests.append(win_request(list(turn.loc[r.prompt_id, "persona"]), list(turn.loc[r.prompt_id, "context"]), a, b))
        rows.append({"model": r.generator, "prompt_id": r.prompt_id, "model_first": first})
    out = pd.DataFrame(rows, columns=["model", "prompt_id", "model_first"])
    p_a = [softmax(s)[0] for s in judge.score(requests)]
    out["p_model_better"] = [p if first else 1 - p for p, first in zip(p_a, out["model_first"])]
    out["win"] = out["p_model_better"] > 0.5
    return out


def gold_replies(turns: pd.DataFrame) -> pd.DataFrame:
    test = turns[turns["split"] == "test"]
    return pd.DataFrame({"prompt_id": test["prompt_id"], "generator": GOLD,
                         "candidate_id": GOLD + "|" + test["prompt_id"],
                         "reply": [json.dumps({"response": g}) for g in test["gold_response"]]})


def main(argv=None) -> None:
    from papers.core.cli import parser, setup_logging
    from papers.core.io import write_json, write_parquet

    from .generate import generate_replies
    from .score import mean_gold_words, open_models, reply_signals
    from .signals import quality

    p = parser(__doc__)
    p.add_argument("--turns", required=True)
    p.add_argument("--policy", required=True, metavar="JSON", help="the policy model's entry, adapters by policy name")
    p.add_argument("--generators", required=True, metavar="JSON", help="base and policy name -> {adapter}")
    p.add_argument("--max-new-tokens", type=int, required=True)
    for role in ("nli", "coherence", "judge", "embedder"):
        p.add_argument(f"--{role}", required=True, metavar="JSON", help=f"the {role} model's registry entry")
    p.add_argument("--nli-calibration", required=True, choices=("none", "content_free"))
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--cache", required=True)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--replies-out", required=True, help="the base's and the policies' raw test replies")
    p.add_argument("--out", required=True, help="signals and quality of every test reply")
    p.add_argument("--wins", required=True, help="the judge's verdict per (model, turn)")
    p.add_argument("--timing", required=True, help="JSON: model -> seconds per reply")
    a = p.parse_args(argv)
    log = setup_logging()
    models = open_models({"policy": a.policy, "nli": a.nli, "coherence": a.coherence, "judge": a.judge,
                          "embedder": a.embedder}, a.cache, a.threads)
    turns = pd.read_parquet(a.turns)
    generators = json.loads(a.generators)
    replies, seconds = generate_replies(models["policy"], turns[turns["split"] == "test"], generators,
                                        a.max_new_tokens)
    signals = reply_signals(models["nli"], models["coherence"], models["embedder"], turns,
                            pd.concat([replies, gold_replies(turns)], ignore_index=True), mean_gold_words(turns),
                            a.nli_calibration, judge_raw=True)
    signals["quality"] = quality(signals)
    wins = win_rates(models["judge"], turns, signals, a.seed)
    write_parquet(a.replies_out, replies)
    write_parquet(a.out, signals)
    write_parquet(a.wins, wins)
    write_json(a.timing, {name: seconds for name in generators})
    log.info("mean quality per model: %s", signals.groupby("generator")["quality"].mean().round(3).to_dict())
    log.info("win rate against the base: %s", wins.groupby("model")["win"].mean().round(3).to_dict())


if __name__ == "__main__":
    from papers.core.cli import run

    run(main)
