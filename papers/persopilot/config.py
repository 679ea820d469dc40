"""PersoPilot's checks of its config section that the schema cannot express (papers/core/config.py calls
problems() for every module of papers.PAPERS and papers.DRAFTS)."""
from __future__ import annotations

# Backends whose models cannot generate text or score options: no extractor or assistant.
NOT_CHAT = ("sentence-transformers", "open_clip")


def problems(config: dict) -> list[str]:
    section, found = config["persopilot"], []
    for role in ("extractor", "assistant"):
        backend = config["models"].get(section[role], {}).get("backend")
        if backend in NOT_CHAT:
            found.append(f"persopilot.{role}: {section[role]!r} is a {backend} model; the {role} must be a "
                         "chat model that generates text")
    curve = section["active_learning"]
    if curve["step"] > curve["budget"] - 2:
        found.append(f"persopilot.active_learning: step {curve['step']} leaves no round between the first two "
                     f"labels and the budget of {curve['budget']}")
    return found
