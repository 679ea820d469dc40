"""Paper 2, MisAlign-Profile (papers/misalign_profile/README.md): MISALIGNTRADE from the shared pool
and classification, this paper's expansion, dedup, two generators and semantic types; paper 1's
detectors on it; results by semantic type and the trade-off matrix. Outputs under
results/misalign_profile/."""

MP = config["misalign_profile"]
MP_OUT = "results/misalign_profile"


wildcard_constraints:
    generator="|".join(map(re.escape, MP["generators"])),


use rule construct_expand_domains as misalign_profile_expand_domains with:
    input:
        pool=CONSTRUCT["prompt_pool"],
        taxonomy=CONSTRUCT["taxonomy"],
        classified=rules.construct_classify_prompts.output.classified,
        models=get_model_input(MP["expansion"], *get_reclassify_models()),
    output:
        attempts=f"{MP_OUT}/expansion_attempts.parquet",
        pool=f"{MP_OUT}/pool_expanded.parquet",
        classified=f"{MP_OUT}/classified_expanded.parquet",
    log:
        "results/logs/misalign_profile/expand_domains.log",
    benchmark:
        "results/benchmarks/misalign_profile/expand_domains.tsv"
    params:
        settings=get_cli_args({**CONSTRUCT["expansion"], "floor": MP["expansion_floor"]}),
        expansion=get_model_entry(MP["expansion"]),
        classifier=get_model_entry("classifier"),
        cache=config["cache"],
        delta=CONSTRUCT["delta"],
        reclassify=get_reclassify_args,
        seed=config["seed"],
    resources:
        mem_mb=get_model_mem_mb(MP["expansion"], *get_reclassify_models()),
        runtime=get_model_runtime(MP["expansion"], *get_reclassify_models()),
        gpu=get_model_gpus(MP["expansion"], "classifier"),
    container:
        get_model_container(MP["expansion"], "classifier")


use rule construct_dedup_prompts as misalign_profile_dedup_prompts with:
    input:
        pool=rules.misalign_profile_expand_domains.output.pool,
    output:
        kept=f"{MP_OUT}/prompts_dedup.parquet",
        removed=f"{MP_OUT}/dedup_removed.parquet",
    log:
        "results/logs/misalign_profile/dedup_prompts.log",
    benchmark:
        "results/benchmarks/misalign_profile/dedup_prompts.tsv"


rule misalign_profile_type_prompts:
    """Each kept prompt's semantic type (object, attribute or relation) by option scoring."""
    input:
        prompts=rules.misalign_profile_dedup_prompts.output.kept,
        model=get_model_input(MP["semantic_classifier"]),
    output:
        types=f"{MP_OUT}/semantic_types.parquet",
    log:
        "results/logs/misalign_profile/type_prompts.log",
    benchmark:
        "results/benchmarks/misalign_profile/type_prompts.tsv"
    params:
        classifier=get_model_entry(MP["semantic_classifier"]),
        calibration=CONSTRUCT["calibration"],
        cache=config["cache"],
    threads: CHAIN_THREADS
    resources:
        mem_mb=get_model_mem_mb(MP["semantic_classifier"]),
        runtime=get_model_runtime(MP["semantic_classifier"]),
        gpu=get_model_gpus(MP["semantic_classifier"]),
    conda:
        "../../envs/main.yaml"
    container:
        get_model_container(MP["semantic_classifier"])
    shell:
        "python -m papers.misalign_profile.semantic_types --prompts {input.prompts} --calibration {params.calibration}"
        " --classifier {params.classifier:q} --cache {params.cache:q} --threads {threads} --out {output.types} > {log} 2>&1"


use rule construct_generate_responses as misalign_profile_generate_responses with:
    input:
        prompts=rules.misalign_profile_dedup_prompts.output.kept,
        classified=rules.misalign_profile_expand_domains.output.classified,
        taxonomy=CONSTRUCT["taxonomy"],
        models=get_model_input("{generator}", get_judge_model),
        # Not read: an order. A generator of the construction asks many of the same sampled requests;
        # in bf16 an answer depends on its batchmates, so they must be answered in the construction's
        # batches, before this job looks in the cache, whatever order the scheduler picks.
        after=rules.construct_generate_responses.output.responses,
    output:
        candidates=f"{MP_OUT}/responses/{{generator}}/response_candidates.parquet",
        responses=f"{MP_OUT}/responses/{{generator}}/responses.parquet",
    log:
        "results/logs/misalign_profile/generate_responses_{generator}.log",
    benchmark:
        "results/benchmarks/misalign_profile/generate_responses_{generator}.tsv"
    params:
        settings=get_cli_args({**CONSTRUCT["responses"], "max_prompts": MP["max_prompts"]}),
        generator=get_model_entry("{generator}"),
        judge=get_model_entry(get_judge_model),
        cache=config["cache"],
        delta=CONSTRUCT["delta"],
        seed=config["seed"],
    threads: FANOUT_THREADS  # one job per generator
    resources:
        mem_mb=get_model_mem_mb("{generator}", get_judge_model),
        runtime=get_model_runtime("{generator}", get_judge_model),
        gpu=get_model_gpus("{generator}", get_judge_model),
    container:
        get_model_container("{generator}", get_judge_model)


rule misalign_profile_stack_responses:
    """One table of candidates and one of accepted responses over both generators."""
    input:
        candidates=expand(rules.misalign_profile_generate_responses.output.candidates, generator=MP["generators"]),
        responses=expand(rules.misalign_profile_generate_responses.output.responses, generator=MP["generators"]),
    output:
        candidates=f"{MP_OUT}/response_candidates.parquet",
        responses=f"{MP_OUT}/responses.parquet",
    log:
        "results/logs/misalign_profile/stack_responses.log",
    benchmark:
        "results/benchmarks/misalign_profile/stack_responses.tsv"
    params:
        candidates=lambda wildcards, input: [f"{g}={p}" for g, p in zip(MP["generators"], input.candidates)],
        responses=lambda wildcards, input: [f"{g}={p}" for g, p in zip(MP["generators"], input.responses)],
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        "../../envs/main.yaml"
    shell:
        "python -m papers.core.construct.generators --candidates {params.candidates} --responses {params.responses}"
        " --out-candidates {output.candidates} --out-responses {output.responses} > {log} 2>&1"


use rule construct_count_construction as misalign_profile_count_construction with:
    input:
        taxonomy=CONSTRUCT["taxonomy"],
        pool=rules.misalign_profile_expand_domains.output.pool,
        classified=rules.misalign_profile_expand_domains.output.classified,
        attempts=rules.misalign_profile_expand_domains.output.attempts,
        removed=rules.misalign_profile_dedup_prompts.output.removed,
        candidates=rules.misalign_profile_stack_responses.output.candidates,
    output:
        table=multiext(f"{MP_OUT}/table_construction", ".csv", ".md", ".tex"),
        reasons=multiext(f"{MP_OUT}/table_candidate_outcomes", ".csv", ".md", ".tex"),
    log:
        "results/logs/misalign_profile/count_construction.log",
    benchmark:
        "results/benchmarks/misalign_profile/count_construction.tsv"


rule misalign_profile_build_items:
    """MISALIGNTRADE's items: four per prompt (two generators), with semantic type and splits."""
    input:
        responses=rules.misalign_profile_stack_responses.output.responses,
        prompts=rules.misalign_profile_dedup_prompts.output.kept,
        classified=rules.misalign_profile_expand_domains.output.classified,
        types=rules.misalign_profile_type_prompts.output.types,
        taxonomy=CONSTRUCT["taxonomy"],
    output:
        dataset=f"{MP_OUT}/items.parquet",
    log:
        "results/logs/misalign_profile/build_items.log",
    benchmark:
        "results/benchmarks/misalign_profile/build_items.tsv"
    params:
        delta=CONSTRUCT["delta"],
        seed=config["seed"],
        runs=MB["runs"],
        splits=MB["splits"],
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../../envs/main.yaml"
    shell:
        "python -m papers.misalign_profile.items --responses {input.responses} --prompts {input.prompts}"
        " --classified {input.classified} --types {input.types} --taxonomy {input.taxonomy:q} --delta {params.delta}"
        " --seed {params.seed} --runs {params.runs} --splits {params.splits} --out {output.dataset} > {log} 2>&1"


use rule misalign_bench_evaluate_detector as misalign_profile_evaluate_detector with:
    input:
        dataset=rules.misalign_profile_build_items.output.dataset,
        model=get_model_input(get_detector_model),
        adapters=get_detector_adapters,
        after=get_paper1_predictions,  # an order, not read (common.smk)
    output:
        predictions=expand(f"{MP_OUT}/predictions/{{{{detector}}}}/run{{run}}.parquet", run=MB_RUNS),
    log:
        "results/logs/misalign_profile/evaluate_detector_{detector}.log",
    benchmark:
        "results/benchmarks/misalign_profile/evaluate_detector_{detector}.tsv"


rule misalign_profile_score_detectors:
    """Results by semantic type, the trade-off matrix, the trade-off heatmaps and AS by type."""
    input:
        dataset=rules.misalign_profile_build_items.output.dataset,
        predictions=expand(rules.misalign_profile_evaluate_detector.output.predictions,
                           detector=get_detector_groups()),
    output:
        metrics=f"{MP_OUT}/metrics_per_run.parquet",
        types=multiext(f"{MP_OUT}/table_results_by_type", ".csv", ".md", ".tex"),
        tradeoffs=multiext(f"{MP_OUT}/table_tradeoffs", ".csv", ".md", ".tex"),
        heatmap=multiext(f"{MP_OUT}/figure_tradeoffs", ".pdf", ".png"),
        bars=multiext(f"{MP_OUT}/figure_as_by_type", ".pdf", ".png"),
    log:
        "results/logs/misalign_profile/score_detectors.log",
    benchmark:
        "results/benchmarks/misalign_profile/score_detectors.tsv"
    params:
        groups=json.dumps(get_detector_groups()),
        baseline=MP["tradeoff_baseline"],
        min_joint=MP["tradeoff_min_joint"],
        scale=get_scale,
        types=get_stem("types"),
        tradeoffs=get_stem("tradeoffs"),
        heatmap=get_stem("heatmap"),
        bars=get_stem("bars"),
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../../envs/main.yaml"
    shell:
        "python -m papers.misalign_profile.results --items {input.dataset} --predictions {input.predictions}"
        " --groups {params.groups:q} --baseline {params.baseline} --min-joint {params.min_joint} --scale {params.scale}"
        " --out-metrics {output.metrics} --type-table {params.types} --tradeoff-table {params.tradeoffs}"
        " --tradeoff-figure {params.heatmap} --type-figure {params.bars} > {log} 2>&1"


rule misalign_profile_type_table:
    """Prompts per dimension and semantic type."""
    input:
        dataset=rules.misalign_profile_build_items.output.dataset,
    output:
        table=multiext(f"{MP_OUT}/table_semantic_types", ".csv", ".md", ".tex"),
    log:
        "results/logs/misalign_profile/type_table.log",
    benchmark:
        "results/benchmarks/misalign_profile/type_table.tsv"
    params:
        scale=get_scale,
        stem=get_stem("table"),
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        "../../envs/main.yaml"
    shell:
        "python -m papers.misalign_profile.tables --items {input.dataset} --scale {params.scale} --out {params.stem} > {log} 2>&1"


paper_rules(
    "misalign_profile",
    category="2 MisAlign-Profile",
    sections=["construct", "misalign_bench", "misalign_profile"],
    inputs=[CONSTRUCT["prompt_pool"], CONSTRUCT["taxonomy"], "papers/misalign_profile/claims.yaml"],
    manifest=[rules.misalign_profile_expand_domains.output, rules.misalign_profile_dedup_prompts.output,
              rules.misalign_profile_type_prompts.output, rules.misalign_profile_stack_responses.output,
              rules.misalign_profile_count_construction.output, rules.misalign_profile_build_items.output,
              rules.misalign_profile_score_detectors.output, rules.misalign_profile_type_table.output],
    outputs=[
        table(rules.misalign_profile_count_construction, "table", "misalign_profile_construction.rst",
              "construction counts"),
        table(rules.misalign_profile_type_table, "table", "misalign_profile_semantic_types.rst",
              "semantic-type distribution"),
        table(rules.misalign_profile_score_detectors, "types", "misalign_profile_results.rst",
              "model x dimension x type"),
        table(rules.misalign_profile_score_detectors, "tradeoffs", "misalign_profile_tradeoffs.rst",
              "trade-off matrix"),
        figure(rules.misalign_profile_score_detectors, "heatmap", "misalign_profile_tradeoff_figure.rst",
               "trade-off heatmaps"),
        figure(rules.misalign_profile_score_detectors, "bars", "misalign_profile_as_by_type.rst",
               "AS by semantic type"),
    ],
)
