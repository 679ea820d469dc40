"""PersoDPO's checks of its config section that the schema cannot express (papers/core/config.py calls
problems() for every paper of papers.PAPERS)."""
from __future__ import annotations


def problems(config: dict) -> list[str]:
    section, found = config["persodpo"], []
    if abs(sum(section["splits"]) - 1) > 1e-9:
        found.append(f"persodpo.splits: {section['splits']} must sum to 1")
    if section["splits"][0] == 0 or section["splits"][2] == 0:
        found.append(f"persodpo.splits: {section['splits']} needs training and test dialogues")
    policy = config["models"].get(section["policy"], {})
    if policy.get("backend") != "hf":
        found.append(f"persodpo.policy: {section['policy']!r} must be an hf model (DPO trains it with "
                     "transformers and its adapters are applied at test time)")
    return found
