"""MisAlign-Profile's checks of its config section that the schema cannot express
(papers/core/config.py calls problems() for every paper of papers.PAPERS)."""
from __future__ import annotations


def problems(config: dict) -> list[str]:
    # The papers keep generator and judge apart "to avoid circular bias": each generator's judge is
    # another model.
    return [f"misalign_profile.generators: {generator} would judge its own responses"
            for generator, judge in config["misalign_profile"]["generators"].items() if generator == judge]
