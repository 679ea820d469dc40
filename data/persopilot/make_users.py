"""Write users.csv: 80 synthetic users with a persona text and a gold class (see PROVENANCE.md).

    python data/persopilot/make_users.py            # rewrites data/persopilot/users.csv

Everything is drawn from the tables below with random.Random(SEED), so a rerun writes the same bytes.
Each user has three hobby sentences and one neutral sentence (where they live, a pet, a job), in a
seeded order. The number of outdoor hobby sentences k is drawn uniformly from 0..3; the other 3 - k
are indoor hobbies. The gold class is a known function of the persona facts:
`outdoor` when k >= 2, else `indoor`. So a user with one outdoor and two indoor hobbies is `indoor`
(the borderline users the active-learning loop should ask the analyst about).
"""
from __future__ import annotations

import csv
import io
import random
from pathlib import Path

SEED, USERS = 11, 80
OUT = Path(__file__).with_name("users.csv")

OUTDOOR = ["I love hiking in the mountains.", "I go camping every summer.", "I ride my bike to work.",
           "I run a marathon every spring.", "I enjoy swimming in the lake.", "I like fishing on weekends.",
           "I spend my holidays skiing.", "I like bird watching in the forest.", "I go climbing with friends.",
           "I enjoy sailing on the sea.", "I walk my dog in the park for hours.", "I surf whenever the waves are good."]
INDOOR = ["I love reading novels.", "I play video games every evening.", "I like baking bread.",
          "I collect board games.", "I practise the piano daily.", "I enjoy knitting scarves.",
          "I watch films at home.", "I like cooking Italian food.", "I paint with watercolours.",
          "I do jigsaw puzzles.", "I write poetry at my desk.", "I listen to jazz records."]
NEUTRAL = ["I live in Lyon.", "I have a cat.", "I work as a nurse.", "I have two children.",
           "I drink tea in the morning.", "I am a teacher.", "I live in Oslo.", "I work as an accountant."]
LABELS = ("indoor", "outdoor")


def gold_label(outdoor_facts: int) -> str:
    """The class rule: outdoor when most (two or three) of the three hobby facts are outdoor ones."""
    return "outdoor" if outdoor_facts >= 2 else "indoor"


def users(seed: int = SEED, count: int = USERS) -> list[dict]:
    rng = random.Random(seed)
    rows = []
    for i in range(1, count + 1):
        k = rng.randint(0, 3)
        sentences = rng.sample(OUTDOOR, k) + rng.sample(INDOOR, 3 - k) + [rng.choice(NEUTRAL)]
        rng.shuffle(sentences)
        rows.append({"user_id": f"u{i:03d}", "persona": " ".join(sentences), "label": gold_label(k)})
    return rows


def render(rows: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=["user_id", "persona", "label"], lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


if __name__ == "__main__":
    OUT.write_text(render(users()), encoding="utf-8")
