"""Paper 8's checks of its config section that the schema cannot express (papers/core/config.py calls
problems() for every paper of papers.PAPERS)."""
from __future__ import annotations

from .evaluate import COUNTRY_OF


def problems(config: dict) -> list[str]:
    section, found = config["cross_cultural_memes"], []
    if "en" not in section["languages"]:
        found.append(f"cross_cultural_memes.languages: {section['languages']} must include en, the English "
                     "baseline every setting is compared with")
    unjudged = [lang for lang in section["languages"] if COUNTRY_OF[lang] not in section["countries"]]
    if unjudged:
        found.append(f"cross_cultural_memes.countries: {section['countries']} must include the country of every "
                     f"language ({', '.join(f'{lang}: {COUNTRY_OF[lang]}' for lang in unjudged)}), whose "
                     "annotators are its gold labels")
    if "US" not in section["countries"]:
        found.append("cross_cultural_memes.countries: must include US, the Western reference the claims compare with")
    if not set(section["countries"]) & {"MX", "IN", "CN"}:
        found.append("cross_cultural_memes.countries: must include a non-Western country (MX, IN or CN), which the "
                     "Western-agreement claim compares the US with")
    dataset = section.get("vision_dataset")
    if dataset is not None and dataset not in config["vision"]["memes"]:
        found.append(f"cross_cultural_memes.vision_dataset: {dataset!r} is not a meme dataset of vision.memes "
                     f"(known: {', '.join(config['vision']['memes'])})")
    return found
