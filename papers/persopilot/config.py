"""PersoPilot's checks of its config section that the schema cannot express (papers/core/config.py calls
problems() for every module of papers.PAPERS and papers.DRAFTS)."""
from __future__ import annotations

# Backends whose models cannot generate text or score options: no extractor or assistant.
NOT_CHAT = ("sentence-transformers", "open_clip", "hf-classifier")


def problems(config: dict) -> list[str]:
    section, found = config["persopilot"], []
    for role in ("extractor", "assistant"):
        backend = config["models"].get(section[role], {}).get("backend")
        if backend in NOT_CHAT:
            found.append(f"persopilot.{role}: {section[role]!r} is a {backend} model; the {role} must be a "
                         "chat model that generates text")
    # the screenshot step runs the application and Chromium in the main image, which has no vLLM (the
    # GPU vLLM image has no browser); the same weights through transformers serve there
    assistant = config["models"].get(section["assistant"], {}).get("backend")
    if assistant == "vllm":
        found.append(f"persopilot.assistant: {section['assistant']!r} is a vllm model; the screenshot step "
                     "runs the application and Chromium in the main image, which has no vLLM: name the same "
                     "weights on the hf backend (or an openai server)")
    curve = section["active_learning"]
    if curve["step"] > curve["budget"] - 2:
        found.append(f"persopilot.active_learning: step {curve['step']} leaves no round between the first two "
                     f"labels and the budget of {curve['budget']}")
    return found
