"""Paper 9's checks of its config section that the schema cannot express (papers/core/config.py calls
problems() for every paper of papers.PAPERS)."""
from __future__ import annotations


def problems(config: dict) -> list[str]:
    section, found = config["missing_modality"], []
    rates = section["missing_rates"]
    if 0 not in rates or 1 not in rates:
        found.append(f"missing_modality.missing_rates: {rates} must include 0 (complete memes) and 1 (text "
                     "missing), the two conditions of the main table")
    if any(rate < prev for prev, rate in zip(rates, rates[1:])):
        found.append(f"missing_modality.missing_rates: {rates} must be in increasing order")
    absent = [d for d in ("harm_c", "harm_p") if d not in section["datasets"]]
    if absent:
        found.append(f"missing_modality.datasets: must include {' and '.join(absent)}, the datasets the claims "
                     "(claims.yaml) read")
    return found
