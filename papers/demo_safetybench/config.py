"""Demo-SafetyBench's checks of its config section that the schema cannot express
(papers/core/config.py calls problems() for every paper of papers.PAPERS)."""
from __future__ import annotations


def problems(config: dict) -> list[str]:
    demo, found = config["demo_safetybench"], []
    if demo["headline_rater"] not in demo["raters"]:
        found.append(f"demo_safetybench.headline_rater: '{demo['headline_rater']}' is not one of the raters")
    balanced = (config["construct"]["delta"], config["construct"]["dedup"]["tau"])
    if balanced[0] not in demo["sweep"]["delta"] or balanced[1] not in demo["sweep"]["tau"]:
        found.append(f"demo_safetybench.sweep: the grid must contain the balanced point (construct.delta, "
                     f"construct.dedup.tau) = {balanced}")
    return found
