"""Construction shared by papers 1-3: multi-label reclassification of the prompt pool (a),
low-resource expansion (b), SimHash dedup (c), responses with two-stage rejection sampling (d, e),
and the per-domain tables. Outputs under results/construct/."""

CONSTRUCT = config["construct"]
CONSTRUCT_OUT = "results/construct"


rule construct_classify_prompts:
    """Score every prompt against every domain of each dimension; keep labels with p >= delta."""
    input:
        pool=CONSTRUCT["prompt_pool"],
        taxonomy=CONSTRUCT["taxonomy"],
        model=get_model_input(*get_reclassify_models()),
    output:
        classified=f"{CONSTRUCT_OUT}/classified.parquet",
    log:
        "results/logs/construct/classify_prompts.log",
    benchmark:
        "results/benchmarks/construct/classify_prompts.tsv"
    params:
        classifier=get_model_entry("classifier"),
        cache=config["cache"],
        delta=CONSTRUCT["delta"],
        reclassify=get_reclassify_args,
    threads: CHAIN_THREADS
    resources:
        mem_mb=get_model_mem_mb(*get_reclassify_models()),
        runtime=get_model_runtime(*get_reclassify_models()),
        gpu=get_model_gpus("classifier"),
    conda:
        "../../envs/main.yaml"
    container:
        get_model_container("classifier")
    shell:
        "python -m papers.core.construct.reclassify --pool {input.pool:q} --taxonomy {input.taxonomy:q}"
        " --delta {params.delta} {params.reclassify} --classifier {params.classifier:q} --cache {params.cache:q}"
        " --threads {threads} --out {output.classified} > {log} 2>&1"


rule construct_count_domains:
    """Per-domain counts (released, gold, classified) as a table and a figure; classifier agreement."""
    input:
        pool=CONSTRUCT["prompt_pool"],
        taxonomy=CONSTRUCT["taxonomy"],
        classified=rules.construct_classify_prompts.output.classified,
        model=get_model_input("embedder"),
    output:
        table=multiext(f"{CONSTRUCT_OUT}/table_domain_counts", ".csv", ".md", ".tex"),
        agreement=multiext(f"{CONSTRUCT_OUT}/table_classifier_agreement", ".csv", ".md", ".tex"),
        figure=multiext(f"{CONSTRUCT_OUT}/figure_domain_counts", ".pdf", ".png"),
    log:
        "results/logs/construct/count_domains.log",
    benchmark:
        "results/benchmarks/construct/count_domains.tsv"
    params:
        delta=CONSTRUCT["delta"],
        scale=get_scale,
        table=get_stem("table"),
        agreement=get_stem("agreement"),
        figure=get_stem("figure"),
        embedder=get_model_entry("embedder"),
        cache=config["cache"],
    threads: 1
    resources:
        mem_mb=get_model_mem_mb("embedder"),
        runtime=get_model_runtime("embedder"),
    conda:
        "../../envs/main.yaml"
    shell:
        "python -m papers.core.construct.counts --pool {input.pool:q} --taxonomy {input.taxonomy:q}"
        " --classified {input.classified} --delta {params.delta} --scale {params.scale}"
        " --table {params.table} --agreement {params.agreement} --figure {params.figure}"
        " --embedder {params.embedder:q} --cache {params.cache:q} --threads {threads} > {log} 2>&1"


rule construct_expand_domains:
    """Write new prompts for domains under the floor; keep those reclassified into their domain."""
    input:
        pool=CONSTRUCT["prompt_pool"],
        taxonomy=CONSTRUCT["taxonomy"],
        classified=rules.construct_classify_prompts.output.classified,
        models=get_model_input("expansion", *get_reclassify_models()),
    output:
        attempts=f"{CONSTRUCT_OUT}/expansion_attempts.parquet",
        pool=f"{CONSTRUCT_OUT}/pool_expanded.parquet",
        classified=f"{CONSTRUCT_OUT}/classified_expanded.parquet",
    log:
        "results/logs/construct/expand_domains.log",
    benchmark:
        "results/benchmarks/construct/expand_domains.tsv"
    params:
        settings=get_cli_args(CONSTRUCT["expansion"]),
        expansion=get_model_entry("expansion"),
        classifier=get_model_entry("classifier"),
        cache=config["cache"],
        delta=CONSTRUCT["delta"],
        reclassify=get_reclassify_args,
        seed=config["seed"],
    threads: CHAIN_THREADS
    resources:
        mem_mb=get_model_mem_mb("expansion", *get_reclassify_models()),
        runtime=get_model_runtime("expansion", *get_reclassify_models()),
        gpu=get_model_gpus("expansion", "classifier"),
    conda:
        "../../envs/main.yaml"
    container:
        get_model_container("expansion", "classifier")
    shell:
        "python -m papers.core.construct.expand --pool {input.pool:q} --taxonomy {input.taxonomy:q}"
        " --classified {input.classified} --delta {params.delta} {params.reclassify}"
        " {params.settings} --seed {params.seed} --expansion {params.expansion:q}"
        " --classifier {params.classifier:q} --cache {params.cache:q} --threads {threads}"
        " --out-attempts {output.attempts} --out-pool {output.pool} --out-classified {output.classified}"
        " > {log} 2>&1"


rule construct_dedup_prompts:
    """Remove SimHash near-duplicates (Hamming distance <= tau), keeping the first of each cluster."""
    input:
        pool=rules.construct_expand_domains.output.pool,
    output:
        kept=f"{CONSTRUCT_OUT}/prompts_dedup.parquet",
        removed=f"{CONSTRUCT_OUT}/dedup_removed.parquet",
    log:
        "results/logs/construct/dedup_prompts.log",
    benchmark:
        "results/benchmarks/construct/dedup_prompts.tsv"
    params:
        tau=CONSTRUCT["dedup"]["tau"],
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    conda:
        "../../envs/main.yaml"
    shell:
        "python -m papers.core.dedup --in {input.pool:q} --text-col prompt --id-col prompt_id --tau {params.tau}"
        " --out-kept {output.kept} --out-removed {output.removed} > {log} 2>&1"


rule construct_generate_responses:
    """Aligned and misaligned candidates per prompt, judged, resampled with critiques (<= rounds)."""
    input:
        prompts=rules.construct_dedup_prompts.output.kept,
        classified=rules.construct_expand_domains.output.classified,
        taxonomy=CONSTRUCT["taxonomy"],
        models=get_model_input("generator", "judge"),
    output:
        candidates=f"{CONSTRUCT_OUT}/response_candidates.parquet",
        responses=f"{CONSTRUCT_OUT}/responses.parquet",
    log:
        "results/logs/construct/generate_responses.log",
    benchmark:
        "results/benchmarks/construct/generate_responses.tsv"
    params:
        settings=get_cli_args(CONSTRUCT["responses"]),
        generator=get_model_entry("generator"),
        judge=get_model_entry("judge"),
        cache=config["cache"],
        delta=CONSTRUCT["delta"],
        seed=config["seed"],
    threads: CHAIN_THREADS
    resources:
        mem_mb=get_model_mem_mb("generator", "judge"),
        runtime=get_model_runtime("generator", "judge"),
        gpu=get_model_gpus("generator", "judge"),
    conda:
        "../../envs/main.yaml"
    container:
        get_model_container("generator", "judge")
    shell:
        "python -m papers.core.construct.respond --prompts {input.prompts} --classified {input.classified}"
        " --taxonomy {input.taxonomy:q} --delta {params.delta} {params.settings} --seed {params.seed}"
        " --generator {params.generator:q} --judge {params.judge:q} --cache {params.cache:q}"
        " --threads {threads} --out-candidates {output.candidates} --out-responses {output.responses}"
        " > {log} 2>&1"


rule construct_count_construction:
    """The per-domain construction table and the candidates' outcomes by round."""
    input:
        taxonomy=CONSTRUCT["taxonomy"],
        pool=rules.construct_expand_domains.output.pool,
        classified=rules.construct_expand_domains.output.classified,
        attempts=rules.construct_expand_domains.output.attempts,
        removed=rules.construct_dedup_prompts.output.removed,
        candidates=rules.construct_generate_responses.output.candidates,
    output:
        table=multiext(f"{CONSTRUCT_OUT}/table_construction", ".csv", ".md", ".tex"),
        reasons=multiext(f"{CONSTRUCT_OUT}/table_candidate_outcomes", ".csv", ".md", ".tex"),
    log:
        "results/logs/construct/count_construction.log",
    benchmark:
        "results/benchmarks/construct/count_construction.tsv"
    params:
        delta=CONSTRUCT["delta"],
        scale=get_scale,
        table=get_stem("table"),
        reasons=get_stem("reasons"),
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        "../../envs/main.yaml"
    shell:
        "python -m papers.core.construct.table --taxonomy {input.taxonomy:q} --pool {input.pool:q}"
        " --classified {input.classified} --attempts {input.attempts} --removed {input.removed}"
        " --candidates {input.candidates} --delta {params.delta} --scale {params.scale}"
        " --table {params.table} --reasons {params.reasons} > {log} 2>&1"


paper_rules(
    "construct",
    category="Shared construction",
    sections=["construct"],
    inputs=[CONSTRUCT["prompt_pool"], CONSTRUCT["taxonomy"]],
    manifest=[rules.construct_count_domains.output, rules.construct_classify_prompts.output,
              rules.construct_expand_domains.output, rules.construct_dedup_prompts.output,
              rules.construct_generate_responses.output, rules.construct_count_construction.output],
    outputs=[
        table(rules.construct_count_domains, "table", "construct_domain_counts.rst", "per-domain counts"),
        table(rules.construct_count_domains, "agreement", "construct_classifier_agreement.rst",
              "classifier agreement"),
        figure(rules.construct_count_domains, "figure", "construct_domain_counts_figure.rst", "per-domain counts"),
        table(rules.construct_count_construction, "table", "construct_construction.rst", "construction counts"),
        table(rules.construct_count_construction, "reasons", "construct_candidate_outcomes.rst",
              "candidate outcomes"),
    ],
    claims=False,
)
