"""Stage I input: DICES as a prompt pool for the construction toolkit, and the benchmark's items.

    python -m papers.demo_safetybench.pool pool --help     # DICES -> prompt pool + human ratings
    python -m papers.demo_safetybench.pool items --help    # expanded pool -> the items raters rate

Each DICES conversation becomes one prompt (id "d<item_id>", its whole text) for reclassification
into the 14 safety domains; its human ratings, with the raters' demographics, stay beside it under
the same id. The items are the expanded pool: DICES conversations and the new prompts written for
low-resource domains (as one-turn "USER:" conversations; they have no human ratings), each with its
top safety domain and that domain's probability.
"""
from __future__ import annotations

import csv
import io

import pandas as pd

from papers.core.io import write_parquet, write_text

from .dices import load_dices

ID_PREFIX = "d"


def with_prompt_ids(frame: pd.DataFrame) -> pd.DataFrame:
    """DICES ids become the pool's prompt ids ("d<item_id>"), so every file of the module shares them."""
    return frame.assign(item_id=ID_PREFIX + frame["item_id"].astype(str))


def as_pool(conversations: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({"prompt_id": conversations["item_id"], "prompt": conversations["conversation"],
                         "gold_domains": ""})


def pool_csv(pool: pd.DataFrame) -> str:
    buffer = io.StringIO(newline="")
    pool.to_csv(buffer, index=False, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
    return buffer.getvalue()


def build_items(pool: pd.DataFrame, classified: pd.DataFrame, conversations: pd.DataFrame) -> pd.DataFrame:
    """item_id, text, source (dices | expansion), top_domain, top_probability, human_unsafe,
    human_majority (<NA> for new prompts), human_ratings (0 for them), in pool order."""
    safety = classified[classified["dimension"] == "safety"]
    top = safety.sort_values(["prompt_id", "probability", "domain"], ascending=[True, False, True]) \
                .drop_duplicates("prompt_id").set_index("prompt_id")
    human = conversations.set_index("item_id")
    items = pd.DataFrame({"item_id": pool["prompt_id"].to_numpy()})
    is_new = (pool["source"] == "expansion").to_numpy()
    items["text"] = [f"USER: {p}" if new else p for p, new in zip(pool["prompt"], is_new)]
    items["source"] = ["expansion" if new else "dices" for new in is_new]
    items["top_domain"] = items["item_id"].map(top["domain"])
    items["top_probability"] = items["item_id"].map(top["probability"]).astype(float)
    items["human_unsafe"] = items["item_id"].map(human["human_unsafe"]).astype(float)
    items["human_majority"] = items["item_id"].map(human["human_majority"]).astype("string")
    items["human_ratings"] = items["item_id"].map(human["n_ratings"]).fillna(0).astype(int)
    missing = items.loc[items["top_domain"].isna(), "item_id"]
    if len(missing):
        raise ValueError(f"no safety classification for {len(missing)} prompt(s), e.g. {missing.iloc[0]}")
    return items


def main(argv=None) -> None:
    from papers.core.cli import parser, setup_logging

    p = parser(__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    a = sub.add_parser("pool", help="DICES (.csv or JUDGE-BENCH .json) -> prompt pool and human ratings")
    a.add_argument("--dices", required=True)
    a.add_argument("--out-pool", required=True, help="CSV: prompt_id, prompt, gold_domains")
    a.add_argument("--out-conversations", required=True, help="Parquet: one row per conversation")
    a.add_argument("--out-ratings", required=True, help="Parquet: one row per human answer")
    b = sub.add_parser("items", help="the expanded pool and its classification -> items")
    b.add_argument("--pool", required=True, help="the expanded pool (Parquet)")
    b.add_argument("--classified", required=True, help="its classification (Parquet)")
    b.add_argument("--conversations", required=True)
    b.add_argument("--out", required=True)
    args = p.parse_args(argv)
    log = setup_logging()
    if args.command == "pool":
        conversations, ratings = (with_prompt_ids(f) for f in load_dices(args.dices))
        write_parquet(args.out_ratings, ratings)
        write_parquet(args.out_conversations, conversations)
        write_text(args.out_pool, pool_csv(as_pool(conversations)))
        log.info("%d conversations, %d human answers", len(conversations), len(ratings))
    else:
        items = build_items(pd.read_parquet(args.pool), pd.read_parquet(args.classified),
                            pd.read_parquet(args.conversations))
        write_parquet(args.out, items)
        log.info("%d items (%d new prompts)", len(items), int((items["source"] == "expansion").sum()))


if __name__ == "__main__":
    from papers.core.cli import run

    run(main)
