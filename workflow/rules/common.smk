"""Config loading and validation, and the helpers the rule modules share (get_* return inputs or
params; is_* are predicates)."""

import json
import os
import re
import shlex
import sys
from collections import namedtuple

from snakemake.utils import min_version

from papers import DRAFTS, PAPERS
from papers.core.cache import REPLAY as CACHE_REPLAY
from papers.core.claims import load_claims
from papers.core.config import validate_config

min_version("9.0")

# Steps run as `python -m ...`: make that the Python running Snakemake (the project's venv), so
# `.venv/bin/snakemake` works without activating anything. Inside a container the path is absent
# and the image's own Python is found.
envvars:
    "PATH",


_inherited_path = os.environ["PATH"]
os.environ.update(PATH=os.pathsep.join([os.path.dirname(sys.executable), _inherited_path]))

validate_config(config, " + ".join(map(str, workflow.configfiles)) or "--config")


def requested_targets():
    """The targets on Snakemake's command line, read as its own parser reads them: Snakemake sets its
    DAG settings (targets included) only after it has read the Snakefile. () if they cannot be read."""
    from snakemake.cli import get_argument_parser

    try:
        args, _ = get_argument_parser().parse_known_args(sys.argv[1:])
    except SystemExit:
        return ()
    return args.targets or ()


# Before the DAG is built: hub models pinned to commits where the config requires it (revisions.py),
# and every missing paper-scale input the targets need named (placed.py), not just the first as a
# MissingInputException. Only the main process checks: a cluster job re-reads this file with no
# targets of its own.
if workflow.is_main_process:
    from papers.core.placed import check as check_placed_inputs
    from papers.core.revisions import check as check_pinned_revisions

    check_pinned_revisions(config)
    check_placed_inputs(config, requested_targets())

# The public inputs that fetch.smk downloads, and only these paths (its output pattern).
from papers.core.fetch import load_downloads

DOWNLOADS = load_downloads()
DOWNLOAD_PATTERN = "|".join(re.escape(path) for path in DOWNLOADS) or "(?!)"

SCALE = config["scale"]
# Replay (config `replay`, README: Replay): every model call answered from the call cache, no model
# loaded or trained. Exported to every job: local jobs inherit this process's environment, and a
# cluster job re-reads this file with the same --config, so sets it again for its own shell.
REPLAY = config.get("replay", False)
if REPLAY:
    os.environ[CACHE_REPLAY] = "1"
else:
    os.environ.pop(CACHE_REPLAY, None)
# `threads:` of the steps that run a model: a chain step is one the DAG waits on alone (classify,
# expand, respond); a fan-out step is one of many independent jobs (per model, run or rater).
CHAIN_THREADS, FANOUT_THREADS = config["threads"]["chain"], config["threads"]["fanout"]
EMBEDDED_MODELS = "resources/models/"

# With --use-singularity every rule runs in an image that scripts/build_containers.sh builds from envs/
# (containers/README.md): the main one, unless a rule names another through a get_*_container helper.
# Config `containers` (optional) says where each image is: a .sif path or a docker:// URI.
CONTAINERS = {
    "main": "build/containers/pluralign-main.sif",
    "vllm-gpu": "build/containers/pluralign-vllm-gpu.sif",
    **config.get("containers", {}),
}


container: CONTAINERS["main"]


def is_embedded(entry):
    """An embedded model is made by the models_materialise rule; others come from a hub or server."""
    return entry["model"].startswith(EMBEDDED_MODELS)


def is_trained_in_dag(entry):
    """A model trained in the DAG (the mini CLIP of vision_train_clip), whose directory is under results/."""
    return entry["model"].startswith("results/")


def get_embedded_models():
    """Every embedded model the registry names: `make` materialises them all (none in replay, which
    loads no model)."""
    return [] if REPLAY else sorted({e["model"] for e in config["models"].values() if is_embedded(e)})


def get_training_input(files):
    """A training rule's input: none in replay, where the rule does not train (papers.core.cli
    keep_trained) and its models come restored from the replay bundle. Not ancient(): Snakemake 9
    still reruns a job whose ancient input is yet to be made, as every input is in a fresh folder."""
    return [] if REPLAY else files


# -- Models: one resolver ---------------------------------------------------------------------------
# A model reference is a role ("classifier"), a registry name ("gemma-2-9b-it"), a wildcard whose value
# is a registry name ("{rater}"), or a function of the job's wildcards returning one of those
# (get_detector_model). Every model step takes its model directories, registry entries, GPUs, image
# and resources from the get_model_* helpers below, each a function of the job's wildcards.
def get_model_name(ref, wildcards):
    """The registry name a model reference stands for in one job."""
    if callable(ref):
        return get_model_name(ref(wildcards), wildcards)
    if ref.startswith("{") and ref.endswith("}"):
        return getattr(wildcards, ref[1:-1])
    return config["roles"].get(ref, ref)


def get_model_entries(refs, wildcards):
    """The registry entries of a step's models, each once, in the order named."""
    names = dict.fromkeys(get_model_name(ref, wildcards) for ref in refs)
    return [config["models"][name] for name in names]


def get_model_input(*refs):
    """The model directories a step waits for (embedded models and models trained in the DAG; hub and
    API models have none). In replay only the trained ones: their weights are in the cache keys."""
    return lambda wildcards: [e["model"] for e in get_model_entries(refs, wildcards)
                              if (is_embedded(e) and not REPLAY) or is_trained_in_dag(e)]


def get_model_entry(ref, adapter=None):
    """A model's registry entry as JSON, the form every step's model argument takes; `adapter` (a
    function of the wildcards) adds the LoRA adapter directory a job applies on top of it."""
    def entry(wildcards):
        (model,) = get_model_entries([ref], wildcards)
        extra = adapter(wildcards) if adapter else []
        return json.dumps({**model, **({"adapter": extra[0]} if extra else {})}, sort_keys=True)
    return entry


def get_model_gpus(*refs):
    """GPUs a step asks SLURM for: the most any of its models needs (registry `gpus`, 0 on CPU)."""
    return lambda wildcards: max(e.get("gpus", 0) for e in get_model_entries(refs, wildcards))


def get_model_container(*refs):
    """The image of a step running these models: CUDA vllm is only in the GPU vLLM image."""
    def image(wildcards):
        vllm = any(e["backend"] == "vllm" for e in get_model_entries(refs, wildcards))
        return CONTAINERS["vllm-gpu" if vllm else "main"]
    return image


def get_model_mem_mb(*refs):
    """Memory of a step: the sum of its models' (config `model_resources`, per backend)."""
    return lambda wildcards: sum(config["model_resources"][e["backend"]]["mem_mb"]
                                 for e in get_model_entries(refs, wildcards))


def get_model_runtime(*refs):
    """Minutes a step may run: the longest of its models' (config `model_resources`, per backend)."""
    return lambda wildcards: max(config["model_resources"][e["backend"]]["runtime"]
                                 for e in get_model_entries(refs, wildcards))


def get_reclassify_models():
    """The models a reclassification runs: the classifier, and with a shortlist the embedder that draws
    it up (README: Reclassification)."""
    return ("classifier", "embedder") if config["construct"].get("shortlist", 0) else ("classifier",)


def get_reclassify_args(wildcards):
    """The reclassification setting as options of the reclassify and expand steps."""
    construct = config["construct"]
    args = f"--calibration {construct['calibration']}"
    if construct.get("shortlist", 0):
        embedder = get_model_entry("embedder")(wildcards)
        args += f" --shortlist {construct['shortlist']} --embedder {shlex.quote(embedder)}"
    return args


def get_section_json(*sections):
    """Config sections (and the resolved model registry) as JSON, for provenance manifests."""
    payload = {name: config[name] for name in sections}
    payload.update(scale=SCALE, seed=config["seed"], roles=config["roles"], models=config["models"])
    return json.dumps(payload, sort_keys=True)


def get_scale(wildcards):
    """The config's scale, for captions and manifests. A function, not the string itself: --lint takes
    the scale ("paper", "test") for a hardcoded prefix of an input under papers/ or tests/."""
    return SCALE


def get_stem(name):
    """The path stem of a multiext output group: table writers add .csv, .md and .tex themselves."""
    return lambda wildcards, output: os.path.splitext(output[name][0])[0]


def get_cli_args(settings):
    """A config section as command-line options: {"max_new_tokens": 48} -> "--max-new-tokens 48"."""
    return " ".join(f"--{key.replace('_', '-')} {value}" for key, value in settings.items())


# -- Papers: the declaration paper.smk's paper_rules takes ------------------------------------------
# One declared table or figure: the rule that makes it, the name of its output group there (a
# multiext of .csv/.md/.tex or .pdf/.png), its caption file under workflow/report/ and its report label.
PaperOutput = namedtuple("PaperOutput", "rule name caption kind label")


def table(rule, name, caption, label):
    """A table of `rule` (its output group `name`); the report shows its .csv."""
    return PaperOutput(rule, name, caption, "table", label)


def figure(rule, name, caption, label):
    """A figure of `rule` (its output group `name`); the report shows its .png."""
    return PaperOutput(rule, name, caption, "figure", label)


def get_report_file(output):
    """The file of a declared output the HTML report shows: the table's .csv or the figure's .png."""
    suffix = ".csv" if output.kind == "table" else ".png"
    (path,) = [p for p in output.rule.output[output.name] if p.endswith(suffix)]
    return path


def get_module_outputs(paper):
    """Every file a rule of the module (a rule named <paper>_*) writes -> that rule's name."""
    return {path: rule.name for rule in workflow.rules if rule.name.startswith(f"{paper}_")
            for path in rule.output}


def get_claim_tables(paper, claims_file):
    """The tables a paper's claims read, each once; a table no rule of the module writes is an error
    now, when the DAG is built, not when the claims are checked."""
    claims = load_claims(claims_file)["claims"]  # a malformed claims file names its row and field
    written = get_module_outputs(paper)
    for claim in claims:
        if claim["table"] not in written:
            raise ValueError(f"{claims_file}: claim {claim['id']!r} reads {claim['table']}, which no rule "
                             f"of {paper} writes (a rule named {paper}_* must have it as an output)")
    return list(dict.fromkeys(claim["table"] for claim in claims))


# -- The vision core (workflow/rules/vision.smk) ------------------------------------------------------
def get_meme_dataset(wildcards):
    return config["vision"]["memes"][wildcards.dataset]


def get_meme_inputs(wildcards):
    """A meme dataset's annotation files, and its real images folder or the pictograms it is drawn from."""
    dataset = get_meme_dataset(wildcards)
    return {**dataset["annotations"], "source": dataset.get("images", config["vision"]["pictograms"])}


def get_meme_args(wildcards, input):
    """The memes step's options: its annotations, and where its pictures come from (read or rendered)."""
    dataset = get_meme_dataset(wildcards)
    splits = " ".join(shlex.quote(f"{split}={input[split]}") for split in dataset["annotations"])
    source = (f"--images {shlex.quote(input.source)}" if "images" in dataset
              else f"--render {shlex.quote(input.source)} --seed {config['seed']}")
    unlabelled = " --skip-unlabelled" if dataset.get("skip_unlabelled", False) else ""
    return f"--format {dataset['format']} --annotations {splits} {source}{unlabelled}"


def is_clip_trained():
    """Whether the DAG trains a CLIP (mini scale: config vision.clip; paper scale uses a pretrained one)."""
    return "clip" in config["vision"]


def get_clip_dir():
    """The directory of the CLIP trained in the DAG: its registry entry's `model`."""
    return config["models"][config["vision"]["clip"]["model"]]["model"] if is_clip_trained() else "results/vision/models/none"


def is_lvlm_trained():
    """Whether the DAG trains a vision-language model (mini scale: config vision.lvlm)."""
    return "lvlm" in config["vision"]


def get_lvlm_dir():
    """The directory of the LVLM trained in the DAG: its registry entry's `model`."""
    return config["models"][config["vision"]["lvlm"]["model"]]["model"] if is_lvlm_trained() else "results/vision/models/none"


def get_lvlm_language_model():
    """The directory of the trained LVLM's frozen language model (its registry entry's `model`)."""
    return config["models"][config["vision"]["lvlm"]["language_model"]]["model"]


# -- Mis-Align Bench (workflow/rules/misalign_bench.smk) ---------------------------------------------
def get_lora_detectors():
    """Single-dimension LoRA detectors: detector name -> the dimension it is trained on."""
    return {f"{dim}-lora": dim for dim in config["misalign_bench"]["single_dimension"]["dimensions"]}


def get_detector_groups():
    """Detector name -> group, in table order: general, single-dimension, open-weight."""
    listed = config["misalign_bench"]["detectors"]
    groups = {name: group for name, group in listed.items() if group == "general"}
    groups.update({name: "single_dimension" for name in get_lora_detectors()})
    groups.update({name: group for name, group in listed.items() if group != "general"})
    return groups


def get_detector_model(wildcards):
    """The registry model a detector runs on (a LoRA detector runs on the configured base)."""
    if wildcards.detector in get_lora_detectors():
        return config["misalign_bench"]["single_dimension"]["base"]
    return wildcards.detector


def get_detector_runs():
    return list(range(config["misalign_bench"]["runs"]))


def get_detector_adapters(wildcards):
    """The adapters a LoRA detector applies, one per run, in run order (none for a zero-shot detector)."""
    dimension = get_lora_detectors().get(wildcards.detector)
    if dimension is None:
        return []
    return expand(rules.misalign_bench_train_detector.output.adapter, dimension=dimension, run=get_detector_runs())


def get_detector_models(wildcards):
    """The registry entry a detector uses in each run, as a JSON list in run order: a LoRA detector's
    adds that run's adapter."""
    (model,) = get_model_entries([get_detector_model], wildcards)
    adapters = get_detector_adapters(wildcards) or [None] * len(get_detector_runs())
    return json.dumps([{**model, **({"adapter": a} if a else {})} for a in adapters], sort_keys=True)


# Order, not data. Steps that ask the same model calls must not run side by side, or both would
# compute the calls neither finds in the cache yet: paper 2's items are mostly paper 1's pairs, so its
# evaluation of a detector waits for paper 1's. (One job evaluates every run of a detector, so a
# zero-shot detector's runs, which share test items, never run side by side.)
def get_paper1_predictions(wildcards):
    """Every run of paper 1's evaluation of this detector."""
    return expand(rules.misalign_bench_evaluate_detector.output.predictions, detector=wildcards.detector)


# -- MisAlign-Profile (workflow/rules/misalign_profile.smk) -------------------------------------------
def get_judge_model(wildcards):
    """The judge of one generator's responses."""
    return config["misalign_profile"]["generators"][wildcards.generator]


# -- Demo-SafetyBench (workflow/rules/demo_safetybench.smk) -------------------------------------------
def get_rater_mode(wildcards):
    return config["demo_safetybench"]["raters"][wildcards.rater]


# -- PersoDPO (workflow/rules/persodpo.smk) -----------------------------------------------------------
def get_candidate_models():
    """The registry models the candidate generators run on, each once, in config order."""
    return list(dict.fromkeys(g["model"] for g in config["persodpo"]["generators"].values()))


def get_candidate_generators(wildcards):
    """The generators that run on one model, as JSON: name -> its prompting variant (`system`)."""
    generators = config["persodpo"]["generators"]
    return json.dumps({name: {k: v for k, v in g.items() if k != "model"} for name, g in generators.items()
                       if g["model"] == wildcards.candidate_model}, sort_keys=True)


def get_policy_generators():
    """The test-time generators: the base model and each trained policy (its adapter by name)."""
    return json.dumps({"base": {}, **{name: {"adapter": name} for name in config["persodpo"]["policies"]}},
                      sort_keys=True)


def get_policy_entry(adapters):
    """The policy model's registry entry as JSON with every trained adapter under its policy's name."""
    (model,) = get_model_entries([config["persodpo"]["policy"]], None)
    return json.dumps({**model, "adapters": dict(zip(config["persodpo"]["policies"], adapters))}, sort_keys=True)

# -- Cross-cultural memes (workflow/rules/cross_cultural_memes.smk) -----------------------------------
def get_cc_memes_input(wildcards):
    """The mini memes' source, the vision core's meme table and images; Multi3Hate's folder at paper scale."""
    section = config["cross_cultural_memes"]
    if "multi3hate" in section:
        return {"multi3hate": section["multi3hate"]}
    dataset = section["vision_dataset"]
    return {"memes": expand(rules.vision_prepare_memes.output.memes, dataset=dataset)[0],
            "images": expand(rules.vision_prepare_memes.output.images, dataset=dataset)[0]}


def get_cc_source_args(wildcards, input):
    """The memes step's source options: Multi3Hate's folder, or the vision memes and the mini sample."""
    section = config["cross_cultural_memes"]
    if "multi3hate" in section:
        return f"--multi3hate {shlex.quote(input.multi3hate)}"
    return f"--vision-memes {shlex.quote(input.memes)} --sample {section['sample']} --max-words {section['max_words']}"


# -- CROSS-ALIGN+ (workflow/rules/cross_align.smk) -----------------------------------------------------
def get_ca_datasets():
    """The vision core's meme datasets the benchmarks read, each once, in config order."""
    return list(dict.fromkeys(b["dataset"] for b in config["cross_align"]["benchmarks"].values()))


def is_ca_trainable(name):
    """Whether Stage II trains adapters on an LVLM: a local model of the hf backend (peft); an API
    model (GPT-4o) answers +I+II and full without one."""
    return config["models"][name]["backend"] == "hf"


def get_ca_pairs(kind, written=False):
    """dataset=path options for the meme tables ("memes"), the retrieved facts ("knowledge", "described")
    or, `written`, the facts the description step writes ("facts"); empty for an empty input."""
    def pairs(wildcards, input, output):
        files = output[kind] if written else input[kind]
        return " ".join(shlex.quote(f"{d}={p}") for d, p in zip(get_ca_datasets(), files))
    return pairs


def ca_described_files(lvlm):
    """The facts linked from one LVLM's descriptions of the pictures, per dataset (the description
    rule's outputs, read when called: the rule is defined in cross_align.smk); none when the config
    does not describe (cross_align.describe_tokens 0)."""
    if not config["cross_align"]["describe_tokens"]:
        return []
    return expand(rules.cross_align_describe_pictures.output.facts, lvlm=lvlm)


def get_ca_described(wildcards):
    return ca_described_files(wildcards.lvlm)


CA_SOURCE_FILES = ("conceptnet_assertions", "conceptnet100k", "wikidata", "lexicon")


def get_ca_knowledge_files():
    """Stage I's source files by format (config cross_align.knowledge without its languages)."""
    return {key: config["cross_align"]["knowledge"][key] for key in CA_SOURCE_FILES}


def get_ca_knowledge_args(wildcards, input):
    """The enrichment step's sources, as enrich.py's options."""
    knowledge = config["cross_align"]["knowledge"]
    args = [f"--{key.replace('_', '-')} {' '.join(map(shlex.quote, input[key]))}" for key in CA_SOURCE_FILES
            if input[key]]
    return " ".join(args + [f"--languages {' '.join(knowledge['languages'])}"])


def get_ca_adapters(wildcards):
    """The LVLM's Stage II adapters, one per benchmark (none for an LVLM not trained here)."""
    if not is_ca_trainable(wildcards.lvlm):
        return []
    return expand(rules.cross_align_train_adapters.output.adapters, lvlm=wildcards.lvlm)
