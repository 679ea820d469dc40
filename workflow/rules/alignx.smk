"""Paper 4, AlignX (papers/alignx/README.md): the axis table, the harmless training targets, every
LoRA adapter per backbone in one job, the routers with their calibration table and figures, every
method's answers per backbone in one job, the judges' verdicts in one job, the main and ablation
tables, and the efficiency timings. Outputs under results/alignx/; the timings (AlignX against the
top-k MoE: latency and peak memory, their table and the two efficiency claims) under
results/benchmarks/alignx/, as they differ from run to run (README)."""

from papers.alignx.experts import ADAPTERS

AX = config["alignx"]
AX_OUT = "results/alignx"
AX_TIMING = "results/benchmarks/alignx"  # timings, not results: they differ run to run (README)
AX_TARGET_SETTINGS = {k: v for k, v in AX["targets"].items() if k not in ("generator", "judge")}


wildcard_constraints:
    backbone="|".join(map(re.escape, AX["backbones"])),


rule alignx_prepare_axes:
    """The three axes' prompts with seeded splits, and the train prompts each expert learns from."""
    input:
        **AX["data"],
    output:
        axes=f"{AX_OUT}/axes.parquet",
    log:
        "results/logs/alignx/prepare_axes.log",
    benchmark:
        "results/benchmarks/alignx/prepare_axes.tsv"
    params:
        seed=config["seed"],
        sizes=get_cli_args({k: AX[k] for k in ("n_test", "n_validation", "train_examples", "answered_prompts")}),
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        "../../envs/main.yaml"
    shell:
        "python -m papers.alignx.targets prepare --alpaca-eval {input.alpaca_eval:q}"
        " --beavertails {input.beavertails:q} --truthfulqa {input.truthfulqa:q} --seed {params.seed}"
        " {params.sizes} --out {output.axes} > {log} 2>&1"


rule alignx_generate_targets:
    """Each expert's training set: references, and harmless targets by the toolkit's rejection sampling."""
    input:
        axes=rules.alignx_prepare_axes.output.axes,
        taxonomy=AX["taxonomy"],
        models=get_model_input(AX["targets"]["generator"], AX["targets"]["judge"]),
    output:
        candidates=f"{AX_OUT}/targets/harmless_candidates.parquet",
        training=f"{AX_OUT}/targets/training.parquet",
    log:
        "results/logs/alignx/generate_targets.log",
    benchmark:
        "results/benchmarks/alignx/generate_targets.tsv"
    params:
        settings=json.dumps({**AX_TARGET_SETTINGS, "seed": config["seed"]}, sort_keys=True),
        generator=get_model_entry(AX["targets"]["generator"]),
        judge=get_model_entry(AX["targets"]["judge"]),
        cache=config["cache"],
    threads: CHAIN_THREADS
    resources:
        mem_mb=get_model_mem_mb(AX["targets"]["generator"], AX["targets"]["judge"]),
        runtime=get_model_runtime(AX["targets"]["generator"], AX["targets"]["judge"]),
        gpu=get_model_gpus(AX["targets"]["generator"], AX["targets"]["judge"]),
    conda:
        "../../envs/main.yaml"
    container:
        get_model_container(AX["targets"]["generator"], AX["targets"]["judge"])
    shell:
        "python -m papers.alignx.targets generate --axes {input.axes} --taxonomy {input.taxonomy:q}"
        " --settings {params.settings:q} --generator {params.generator:q} --judge {params.judge:q}"
        " --cache {params.cache:q} --threads {threads} --out-candidates {output.candidates}"
        " --out-training {output.training} > {log} 2>&1"


rule alignx_train_adapters:
    """Every LoRA adapter of one backbone: the experts, the experts without injection, the mixed SFT."""
    input:
        training=get_training_input(rules.alignx_generate_targets.output.training),
        model=get_training_input(get_model_input("{backbone}")),
    output:
        adapters=[directory(f"{AX_OUT}/adapters/{{backbone}}/{name}") for name in ADAPTERS],
    log:
        "results/logs/alignx/train_adapters_{backbone}.log",
    benchmark:
        "results/benchmarks/alignx/train_adapters_{backbone}.tsv"
    params:
        base=get_model_entry("{backbone}"),
        lora=json.dumps(AX["lora"], sort_keys=True),
        template=AX["template"],
        seed=config["seed"],
    threads: FANOUT_THREADS
    resources:
        mem_mb=get_model_mem_mb("{backbone}"),
        runtime=get_model_runtime("{backbone}"),
        gpu=get_model_gpus("{backbone}"),
    conda:
        "../../envs/main.yaml"
    container:
        get_model_container("{backbone}")
    shell:
        "python -m papers.alignx.experts --training {input.training} --template {params.template}"
        " --base {params.base:q} --lora {params.lora:q} --seed {params.seed} --threads {threads}"
        " --out {output.adapters} > {log} 2>&1"


rule alignx_fit_routers:
    """MoCaE and its baseline and ablation routers on the prompts' features; calibration table and figures."""
    input:
        axes=rules.alignx_prepare_axes.output.axes,
        models=get_model_input(AX["router"]["embedder"]),
    output:
        gates=f"{AX_OUT}/router_gates.parquet",
        calibration=multiext(f"{AX_OUT}/table_router_calibration", ".csv", ".md", ".tex"),
        reliability=multiext(f"{AX_OUT}/figure_router_reliability", ".pdf", ".png"),
        overlap=multiext(f"{AX_OUT}/figure_feature_overlap", ".pdf", ".png"),
    log:
        "results/logs/alignx/fit_routers.log",
    benchmark:
        "results/benchmarks/alignx/fit_routers.tsv"
    params:
        embedder=get_model_entry(AX["router"]["embedder"]),
        settings=json.dumps({**{k: v for k, v in AX["router"].items() if k != "embedder"},
                             "seed": config["seed"]}, sort_keys=True),
        cache=config["cache"],
        scale=get_scale,
        calibration=get_stem("calibration"),
        reliability=get_stem("reliability"),
        overlap=get_stem("overlap"),
    threads: 1
    resources:
        mem_mb=get_model_mem_mb(AX["router"]["embedder"]),
        runtime=get_model_runtime(AX["router"]["embedder"]),
        gpu=get_model_gpus(AX["router"]["embedder"]),
    conda:
        "../../envs/main.yaml"
    container:
        get_model_container(AX["router"]["embedder"])
    shell:
        "python -m papers.alignx.routing --axes {input.axes} --embedder {params.embedder:q}"
        " --cache {params.cache:q} --threads {threads} --settings {params.settings:q} --scale {params.scale}"
        " --out-gates {output.gates} --calibration-table {params.calibration}"
        " --reliability-figure {params.reliability} --overlap-figure {params.overlap} > {log} 2>&1"


rule alignx_generate_answers:
    """Every method's test answers on one backbone, every adapter loaded once; AlignX and the MoE timed."""
    input:
        axes=rules.alignx_prepare_axes.output.axes,
        gates=rules.alignx_fit_routers.output.gates,
        adapters=rules.alignx_train_adapters.output.adapters,
        model=get_model_input("{backbone}"),
    output:
        answers=f"{AX_OUT}/answers/{{backbone}}.parquet",
        efficiency=f"{AX_TIMING}/efficiency_{{backbone}}.parquet",
    log:
        "results/logs/alignx/generate_answers_{backbone}.log",
    benchmark:
        "results/benchmarks/alignx/generate_answers_{backbone}.tsv"
    params:
        base=get_model_entry("{backbone}"),
        template=AX["template"],
        max_new_tokens=AX["answer_tokens"],
        top_k=AX["moe_top_k"],
        efficiency_prompts=AX["efficiency_prompts"],
        cache=config["cache"],
    threads: FANOUT_THREADS
    resources:
        mem_mb=get_model_mem_mb("{backbone}"),
        runtime=get_model_runtime("{backbone}"),
        gpu=get_model_gpus("{backbone}"),
    conda:
        "../../envs/main.yaml"
    container:
        get_model_container("{backbone}")
    shell:
        "python -m papers.alignx.answers --axes {input.axes} --gates {input.gates} --backbone {wildcards.backbone}"
        " --base {params.base:q} --adapters {input.adapters} --template {params.template}"
        " --max-new-tokens {params.max_new_tokens} --top-k {params.top_k}"
        " --efficiency-prompts {params.efficiency_prompts} --cache {params.cache:q} --threads {threads}"
        " --out {output.answers} --out-efficiency {output.efficiency} > {log} 2>&1"


AX_JUDGES = list(dict.fromkeys(AX["judges"].values()))


rule alignx_judge_answers:
    """Win rate, safety and truthfulness verdicts on every backbone's answers, each judge model loaded once."""
    input:
        axes=rules.alignx_prepare_axes.output.axes,
        truthfulqa=AX["data"]["truthfulqa"],
        answers=expand(rules.alignx_generate_answers.output.answers, backbone=AX["backbones"]),
        models=get_model_input(*AX_JUDGES),
    output:
        judgments=f"{AX_OUT}/judgments.parquet",
    log:
        "results/logs/alignx/judge_answers.log",
    benchmark:
        "results/benchmarks/alignx/judge_answers.tsv"
    params:
        judges=json.dumps({role: config["models"][name] for role, name in AX["judges"].items()}, sort_keys=True),
        seed=config["seed"],
        cache=config["cache"],
    threads: CHAIN_THREADS
    resources:
        mem_mb=get_model_mem_mb(*AX_JUDGES),
        runtime=get_model_runtime(*AX_JUDGES),
        gpu=get_model_gpus(*AX_JUDGES),
    conda:
        "../../envs/main.yaml"
    container:
        get_model_container(*AX_JUDGES)
    shell:
        "python -m papers.alignx.judge --axes {input.axes} --truthfulqa {input.truthfulqa:q}"
        " --answers {input.answers} --judges {params.judges:q} --seed {params.seed} --cache {params.cache:q}"
        " --threads {threads} --out {output.judgments} > {log} 2>&1"


rule alignx_results:
    """The main table (backbone x method), the ablation table and the efficiency table (a timing)."""
    input:
        judgments=rules.alignx_judge_answers.output.judgments,
        efficiency=expand(rules.alignx_generate_answers.output.efficiency, backbone=AX["backbones"]),
    output:
        main=multiext(f"{AX_OUT}/table_main_results", ".csv", ".md", ".tex"),
        ablations=multiext(f"{AX_OUT}/table_ablations", ".csv", ".md", ".tex"),
        efficiency=multiext(f"{AX_TIMING}/table_efficiency", ".csv", ".md", ".tex"),
    log:
        "results/logs/alignx/results.log",
    benchmark:
        "results/benchmarks/alignx/results.tsv"
    params:
        threshold=0.5,
        scale=get_scale,
        main=get_stem("main"),
        ablations=get_stem("ablations"),
        efficiency=get_stem("efficiency"),
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        "../../envs/main.yaml"
    shell:
        "python -m papers.alignx.results --judgments {input.judgments} --threshold {params.threshold}"
        " --efficiency {input.efficiency} --scale {params.scale} --main-table {params.main}"
        " --ablation-table {params.ablations} --efficiency-table {params.efficiency} > {log} 2>&1"


rule alignx_check_efficiency_claims:
    """The two efficiency claims next to this run's timings (a claims table of their own, with the timings:
    not in results/alignx/ or the claims ledger, which two runs must write alike)."""
    input:
        claims="papers/alignx/claims_efficiency.yaml",
        tables=get_claim_tables("alignx", "papers/alignx/claims_efficiency.yaml"),
    output:
        claims=multiext(f"{AX_TIMING}/table_claims_efficiency", ".csv", ".md", ".tex"),
    log:
        "results/logs/alignx/check_efficiency_claims.log",
    benchmark:
        "results/benchmarks/alignx/check_efficiency_claims.tsv"
    params:
        scale=get_scale,
        stem=get_stem("claims"),
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    conda:
        "../../envs/main.yaml"
    shell:
        "python -m papers.core.claims --claims {input.claims} --scale {params.scale} --out {params.stem} > {log} 2>&1"


paper_rules(
    "alignx",
    category="4 AlignX",
    sections=["alignx"],
    inputs=[*AX["data"].values(), AX["taxonomy"], "papers/alignx/claims.yaml", "papers/alignx/claims_efficiency.yaml"],
    manifest=[rules.alignx_prepare_axes.output, rules.alignx_generate_targets.output,
              [rules.alignx_fit_routers.output.gates, *rules.alignx_fit_routers.output.calibration],
              expand(rules.alignx_generate_answers.output.answers, backbone=AX["backbones"]),
              rules.alignx_judge_answers.output,
              [*rules.alignx_results.output.main, *rules.alignx_results.output.ablations]],  # not the timings
    outputs=[
        table(rules.alignx_results, "main", "alignx_main_results.rst", "main results"),
        table(rules.alignx_results, "ablations", "alignx_ablations.rst", "ablations"),
        table(rules.alignx_fit_routers, "calibration", "alignx_router_calibration.rst", "router calibration"),
        figure(rules.alignx_fit_routers, "reliability", "alignx_router_reliability.rst", "router reliability"),
        figure(rules.alignx_fit_routers, "overlap", "alignx_feature_overlap.rst", "axis feature overlap"),
        table(rules.alignx_results, "efficiency", "alignx_efficiency.rst", "latency and peak memory"),
        table(rules.alignx_check_efficiency_claims, "claims", "alignx_efficiency_claims.rst", "efficiency claims"),
    ],
)
