"""Paper 3, Demo-SafetyBench (papers/demo_safetybench/README.md): DICES conversations as a prompt pool,
reclassified into the 14 safety domains and expanded with the construction toolkit; every LLM rater
rates every item under every demographic framing; reliability, sensitivity, fairness, agreement with
the crowd, and the (delta, tau) sweep. Outputs under results/demo_safetybench/."""

DS = config["demo_safetybench"]
DS_OUT = "results/demo_safetybench"


wildcard_constraints:
    rater="|".join(map(re.escape, DS["raters"])),


rule demo_safetybench_pool:
    """DICES as a prompt pool (one prompt per conversation), with its human ratings kept beside it."""
    input:
        dices=DS["dices"],
    output:
        pool=f"{DS_OUT}/pool.csv",
        conversations=f"{DS_OUT}/conversations.parquet",
        human=f"{DS_OUT}/human_ratings.parquet",
    log:
        "results/logs/demo_safetybench/pool.log",
    benchmark:
        "results/benchmarks/demo_safetybench/pool.tsv"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../../envs/main.yaml"
    shell:
        "python -m papers.demo_safetybench.pool pool --dices {input.dices:q} --out-pool {output.pool}"
        " --out-conversations {output.conversations} --out-ratings {output.human} > {log} 2>&1"


rule demo_safetybench_taxonomy:
    """The 14 safety domains of the shared taxonomy: this paper classifies into safety only."""
    input:
        taxonomy=CONSTRUCT["taxonomy"],
    output:
        taxonomy=f"{DS_OUT}/taxonomy_safety.csv",
    log:
        "results/logs/demo_safetybench/taxonomy.log",
    benchmark:
        "results/benchmarks/demo_safetybench/taxonomy.tsv"
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    conda:
        "../../envs/main.yaml"
    shell:
        "python -m papers.core.taxonomy --taxonomy {input.taxonomy:q} --dimension safety --out {output.taxonomy} > {log} 2>&1"


use rule construct_classify_prompts as demo_safetybench_classify_prompts with:
    input:
        pool=rules.demo_safetybench_pool.output.pool,
        taxonomy=rules.demo_safetybench_taxonomy.output.taxonomy,
        model=get_model_input(*get_reclassify_models()),
    output:
        classified=f"{DS_OUT}/classified.parquet",
    log:
        "results/logs/demo_safetybench/classify_prompts.log",
    benchmark:
        "results/benchmarks/demo_safetybench/classify_prompts.tsv"


use rule construct_expand_domains as demo_safetybench_expand_domains with:
    input:
        pool=rules.demo_safetybench_pool.output.pool,
        taxonomy=rules.demo_safetybench_taxonomy.output.taxonomy,
        classified=rules.demo_safetybench_classify_prompts.output.classified,
        models=get_model_input("expansion", *get_reclassify_models()),
    output:
        attempts=f"{DS_OUT}/expansion_attempts.parquet",
        pool=f"{DS_OUT}/pool_expanded.parquet",
        classified=f"{DS_OUT}/classified_expanded.parquet",
    log:
        "results/logs/demo_safetybench/expand_domains.log",
    benchmark:
        "results/benchmarks/demo_safetybench/expand_domains.tsv"
    params:
        settings=get_cli_args({**CONSTRUCT["expansion"], "floor": DS["expansion_floor"]}),
        expansion=get_model_entry("expansion"),
        classifier=get_model_entry("classifier"),
        cache=config["cache"],
        delta=CONSTRUCT["delta"],
        reclassify=get_reclassify_args,
        seed=config["seed"],


rule demo_safetybench_items:
    """The items raters rate: every conversation and kept new prompt, with its top safety domain."""
    input:
        pool=rules.demo_safetybench_expand_domains.output.pool,
        classified=rules.demo_safetybench_expand_domains.output.classified,
        conversations=rules.demo_safetybench_pool.output.conversations,
    output:
        benchmark_items=f"{DS_OUT}/items.parquet",
    log:
        "results/logs/demo_safetybench/items.log",
    benchmark:
        "results/benchmarks/demo_safetybench/items.tsv"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        "../../envs/main.yaml"
    shell:
        "python -m papers.demo_safetybench.pool items --pool {input.pool:q} --classified {input.classified}"
        " --conversations {input.conversations} --out {output.benchmark_items} > {log} 2>&1"


rule demo_safetybench_rate:
    """One LLM rater's unsafe probability for every item under every demographic framing."""
    input:
        benchmark_items=rules.demo_safetybench_items.output.benchmark_items,
        model=get_model_input("{rater}"),
    output:
        ratings=f"{DS_OUT}/ratings/{{rater}}.parquet",
    log:
        "results/logs/demo_safetybench/rate_{rater}.log",
    benchmark:
        "results/benchmarks/demo_safetybench/rate_{rater}.tsv"
    params:
        model=get_model_entry("{rater}"),
        mode=get_rater_mode,
        axes=DS["axes"],
        threshold=DS["threshold"],
        seed=config["seed"],
        cache=config["cache"],
    threads: FANOUT_THREADS
    resources:
        mem_mb=get_model_mem_mb("{rater}"),
        runtime=get_model_runtime("{rater}"),
        gpu=get_model_gpus("{rater}"),
    conda:
        "../../envs/main.yaml"
    container:
        get_model_container("{rater}")
    shell:
        "python -m papers.demo_safetybench.rate --items {input.benchmark_items} --rater {wildcards.rater} --mode {params.mode}"
        " --axes {params.axes} --threshold {params.threshold} --seed {params.seed} --model {params.model:q}"
        " --cache {params.cache:q} --threads {threads} --out {output.ratings} > {log} 2>&1"


rule demo_safetybench_results:
    """Reliability, fairness, agreement, unsafe rates, the per-domain counts and the threshold sweep."""
    input:
        benchmark_items=rules.demo_safetybench_items.output.benchmark_items,
        classified=rules.demo_safetybench_expand_domains.output.classified,
        taxonomy=rules.demo_safetybench_taxonomy.output.taxonomy,
        human=rules.demo_safetybench_pool.output.human,
        ratings=expand(rules.demo_safetybench_rate.output.ratings, rater=DS["raters"]),
    output:
        ratings=f"{DS_OUT}/benchmark_ratings.parquet",
        counts=multiext(f"{DS_OUT}/table_domain_counts", ".csv", ".md", ".tex"),
        reliability=multiext(f"{DS_OUT}/table_reliability", ".csv", ".md", ".tex"),
        fairness=multiext(f"{DS_OUT}/table_fairness_by_axis", ".csv", ".md", ".tex"),
        agreement=multiext(f"{DS_OUT}/table_group_agreement", ".csv", ".md", ".tex"),
        rates=multiext(f"{DS_OUT}/table_unsafe_rates", ".csv", ".md", ".tex"),
        sweep=multiext(f"{DS_OUT}/table_threshold_sweep", ".csv", ".md", ".tex"),
        sweep_figure=multiext(f"{DS_OUT}/figure_threshold_sweep", ".pdf", ".png"),
        rates_figure=multiext(f"{DS_OUT}/figure_unsafe_rates", ".pdf", ".png"),
    log:
        "results/logs/demo_safetybench/results.log",
    benchmark:
        "results/benchmarks/demo_safetybench/results.tsv"
    params:
        axes=DS["axes"],
        delta=CONSTRUCT["delta"],
        tau=CONSTRUCT["dedup"]["tau"],
        threshold=DS["threshold"],
        headline=DS["headline_rater"],
        sweep_delta=DS["sweep"]["delta"],
        sweep_tau=DS["sweep"]["tau"],
        scale=get_scale,
        counts=get_stem("counts"),
        reliability=get_stem("reliability"),
        fairness=get_stem("fairness"),
        agreement=get_stem("agreement"),
        rates=get_stem("rates"),
        sweep=get_stem("sweep"),
        sweep_figure=get_stem("sweep_figure"),
        rates_figure=get_stem("rates_figure"),
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../../envs/main.yaml"
    shell:
        "python -m papers.demo_safetybench.results --items {input.benchmark_items} --classified {input.classified}"
        " --taxonomy {input.taxonomy:q} --human {input.human} --ratings {input.ratings} --axes {params.axes}"
        " --delta {params.delta} --tau {params.tau} --threshold {params.threshold} --headline {params.headline}"
        " --sweep-delta {params.sweep_delta} --sweep-tau {params.sweep_tau} --scale {params.scale}"
        " --out-ratings {output.ratings} --counts-table {params.counts} --reliability-table {params.reliability}"
        " --fairness-table {params.fairness} --agreement-table {params.agreement} --rates-table {params.rates}"
        " --sweep-table {params.sweep} --sweep-figure {params.sweep_figure} --rates-figure {params.rates_figure}"
        " > {log} 2>&1"


paper_rules(
    "demo_safetybench",
    category="3 Demo-SafetyBench",
    sections=["construct", "demo_safetybench"],
    inputs=[DS["dices"], CONSTRUCT["taxonomy"], "papers/demo_safetybench/claims.yaml"],
    manifest=[rules.demo_safetybench_pool.output, rules.demo_safetybench_taxonomy.output,
              rules.demo_safetybench_classify_prompts.output, rules.demo_safetybench_expand_domains.output,
              rules.demo_safetybench_items.output,
              expand(rules.demo_safetybench_rate.output.ratings, rater=DS["raters"]),
              rules.demo_safetybench_results.output],
    outputs=[
        table(rules.demo_safetybench_results, "counts", "demo_safetybench_domain_counts.rst", "per-domain counts"),
        table(rules.demo_safetybench_results, "reliability", "demo_safetybench_reliability.rst", "rater reliability"),
        table(rules.demo_safetybench_results, "fairness", "demo_safetybench_fairness.rst", "fairness per axis"),
        table(rules.demo_safetybench_results, "agreement", "demo_safetybench_agreement.rst",
              "agreement with human groups"),
        table(rules.demo_safetybench_results, "rates", "demo_safetybench_unsafe_rates.rst", "unsafe rate per group"),
        table(rules.demo_safetybench_results, "sweep", "demo_safetybench_sweep.rst", "threshold sweep"),
        figure(rules.demo_safetybench_results, "sweep_figure", "demo_safetybench_sweep_figure.rst",
               "ICC and DS heatmaps"),
        figure(rules.demo_safetybench_results, "rates_figure", "demo_safetybench_unsafe_rates_figure.rst",
               "unsafe rate per group"),
    ],
)
