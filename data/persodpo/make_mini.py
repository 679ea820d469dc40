"""Write focus_mini.json: 32 synthetic persona-grounded dialogues in FoCus's format (see PROVENANCE.md).

    python data/persodpo/make_mini.py            # rewrites data/persodpo/focus_mini.json

Everything is drawn from the tables below with random.Random(SEED), so a rerun writes the same bytes.
Each dialogue is about one invented landmark (a town name and a kind of place). Its persona has five
of the six attribute kinds below, one value each. Its knowledge is four paragraphs about the landmark
(history, a feature, its cafe, how to get there). Each of its three turns asks about one paragraph;
three of the four turn kinds draw on one persona attribute (the feature on the hobby, the cafe on the
favourite food, the route on the way of travelling) and the history turn on none. The gold reply says
the paragraph's fact and, where the turn has one, the persona fact, so `persona_grounding` (which of
the persona sentences the reply uses) and `knowledge_answer_index` are known by construction.
"""
from __future__ import annotations

import json
import random
from pathlib import Path

SEED, DIALOGUES, TURNS = 5, 32, 3
OUT = Path(__file__).with_name("focus_mini.json")

PERSONA = {  # attribute kind -> (sentence template, values)
    "hobby": ("I love {}.", ["hiking", "painting", "photography", "birdwatching", "cycling", "sketching"]),
    "food": ("My favourite food is {}.", ["seafood", "spicy curry", "fresh pastries", "mushroom soup",
                                          "grilled vegetables", "cheese"]),
    "travel": ("I prefer to travel {}.", ["by train", "by bicycle", "by car", "on foot"]),
    "pet": ("I have {}.", ["an old dog", "two cats", "a parrot", "a rabbit"]),
    "job": ("I work as {}.", ["a teacher", "a nurse", "an architect", "a baker", "a librarian"]),
    "music": ("I listen to {} every day.", ["jazz", "classical music", "folk songs", "rock"]),
}
TOWNS = ["Veldmouth", "Harrowgate", "Lindqvist", "Marrabel", "Ostrova", "Penhallow", "Quillon", "Ravensmere",
         "Saltcombe", "Tarnholm", "Ulverby", "Wenlock Vale"]
KINDS = ["Lighthouse", "Clock Tower", "Abbey", "Botanical Garden", "Stone Bridge", "Observatory"]
BUILDERS = ["the engineer Ada Morrow", "the monks of Saint Elwin", "the architect Pieter Vos",
            "the harbour guild", "the astronomer Lena Hart"]
FEATURES = {  # hobby -> what the landmark offers for it
    "hiking": "a cliff trail that starts at its gate", "painting": "a quiet courtyard that artists use",
    "photography": "a viewing platform over the valley", "birdwatching": "a hide beside the reed beds",
    "cycling": "a flat riverside cycle path", "sketching": "carved stone arches with benches in front",
}
ROUTES = {  # way of travelling -> the route
    "by train": "from the station of {town}, a ten-minute walk away",
    "by bicycle": "along the signed cycle lane from the centre of {town}",
    "by car": "from the ring road of {town}, with parking at the gate",
    "on foot": "by the old footpath from the market square of {town}",
}


def knowledge(rng: random.Random, name: str, town: str, hobby: str, food: str, travel: str) -> dict:
    """Each topic's (paragraph, question, gold reply) about the landmark `name` ("the ... of ...")."""
    year, builder = rng.randint(1450, 1920), rng.choice(BUILDERS)
    Name = name[0].upper() + name[1:]  # at the start of a sentence
    other = rng.choice([f for f in PERSONA["food"][1] if f != food])
    return {
        "history": (f"{Name} was built in {year} by {builder}.", f"Who built {name}?",
                    f"{Name} was built by {builder} in {year}."),
        "feature": (f"{Name} has {FEATURES[hobby]}.", f"Is there something at {name} I would like?",
                    f"Since you love {hobby}, you would like {FEATURES[hobby]} at {name}."),
        "cafe": (f"The cafe beside {name} serves {food} and {other}.", f"Can I eat something near {name}?",
                 f"Your favourite food is {food}, and the cafe beside {name} serves it."),
        "route": (f"{Name} can be reached {ROUTES[travel].format(town=town)}.", f"How do I get to {name}?",
                  f"As you prefer to travel {travel}, come {ROUTES[travel].format(town=town)}."),
    }


GROUNDED_ON = {"history": None, "feature": "hobby", "cafe": "food", "route": "travel"}


def dialogue(rng: random.Random, number: int, used_names: set[str]) -> dict:
    while (name := f"the {rng.choice(KINDS)} of {(town := rng.choice(TOWNS))}") in used_names:
        pass
    used_names.add(name)
    kinds = ["hobby", "food", "travel"] + rng.sample(["pet", "job", "music"], 2)
    rng.shuffle(kinds)
    values = {k: rng.choice(PERSONA[k][1]) for k in kinds}
    persona = [PERSONA[k][0].format(values[k]) for k in kinds]
    facts = knowledge(rng, name, town, values["hobby"], values["food"], values["travel"])
    paragraphs = [facts[k][0] for k in ("history", "feature", "cafe", "route")]
    history, turns = [], []
    for i, topic in enumerate(rng.sample(list(facts), TURNS), start=1):
        _, question, reply = facts[topic]
        history = history + [question, reply]
        # ten knowledge candidates as in FoCus: the turn's paragraph, the landmark's others, and
        # paragraphs of other (invented) landmarks
        towns, places = rng.sample(TOWNS, 7), rng.choices(KINDS, k=7)
        distractors = [f"{t} is known for its {p.lower()}." for t, p in zip(towns, places)]
        others = [p for p in paragraphs if p != facts[topic][0]]
        candidates = [facts[topic][0]] + others[:2] + distractors
        rng.shuffle(candidates)
        grounded = GROUNDED_ON[topic]
        turns.append({f"dialogue{i}": list(history), "persona_candidate": list(persona),
                      "persona_grounding": [k == grounded for k in kinds],
                      "knowledge_candidates": candidates,
                      "knowledge_answer_index": candidates.index(facts[topic][0])})
    return {"dialogID": f"mini-{number:03d}", "landmark_link": "", "persona": persona,
            "knowledge": paragraphs, "utterance": turns}


def main() -> None:
    rng, used = random.Random(SEED), set()
    dialogues = [dialogue(rng, n, used) for n in range(1, DIALOGUES + 1)]
    # one dialogue per line: the file stays one JSON document, as FoCus's is, and diffs stay readable
    lines = ",\n".join(json.dumps(d, ensure_ascii=False) for d in dialogues)
    OUT.write_text('{"data": [\n' + lines + "\n]}\n", encoding="utf-8")


if __name__ == "__main__":
    main()
