"""Paper 1, Mis-Align Bench (papers/misalign_bench/README.md): SAVACU from the shared construction
chain, single-dimension LoRA detectors, every detector on every run's test split, then the tables,
figures and claims. Outputs under results/misalign_bench/."""

MB = config["misalign_bench"]
MB_OUT = "results/misalign_bench"
MB_RUNS = list(range(MB["runs"]))


wildcard_constraints:
    detector="|".join(map(re.escape, get_detector_groups())),
    dimension="|".join(MB["single_dimension"]["dimensions"]),
    run=r"\d+",


rule misalign_bench_build_items:
    """SAVACU's items: each accepted response with its gold label, domains and per-run split."""
    input:
        responses=rules.construct_generate_responses.output.responses,
        prompts=rules.construct_dedup_prompts.output.kept,
        classified=rules.construct_expand_domains.output.classified,
        taxonomy=CONSTRUCT["taxonomy"],
    output:
        dataset=f"{MB_OUT}/items.parquet",
    log:
        "results/logs/misalign_bench/build_items.log",
    benchmark:
        "results/benchmarks/misalign_bench/build_items.tsv"
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
        "python -m papers.core.benchmark.items --responses {input.responses} --prompts {input.prompts}"
        " --classified {input.classified} --taxonomy {input.taxonomy:q} --delta {params.delta}"
        " --seed {params.seed} --runs {params.runs} --splits {params.splits} --out {output.dataset} > {log} 2>&1"


rule misalign_bench_train_detector:
    """A LoRA detector for one dimension, on that dimension's training items of one run."""
    input:
        dataset=get_training_input(rules.misalign_bench_build_items.output.dataset),
        model=get_training_input(get_model_input(MB["single_dimension"]["base"])),
    output:
        adapter=directory(f"{MB_OUT}/adapters/{{dimension}}/run{{run}}"),
    log:
        "results/logs/misalign_bench/train_detector_{dimension}_run{run}.log",
    benchmark:
        "results/benchmarks/misalign_bench/train_detector_{dimension}_run{run}.tsv"
    params:
        base=get_model_entry(MB["single_dimension"]["base"]),
        lora=json.dumps(MB["single_dimension"]["lora"], sort_keys=True),
        max_examples=MB["single_dimension"]["max_examples"],
        seed=config["seed"],
    threads: FANOUT_THREADS
    resources:
        mem_mb=get_model_mem_mb(MB["single_dimension"]["base"]),
        runtime=get_model_runtime(MB["single_dimension"]["base"]),
        gpu=get_model_gpus(MB["single_dimension"]["base"]),
    conda:
        "../../envs/main.yaml"
    container:
        get_model_container(MB["single_dimension"]["base"])
    shell:
        "python -m papers.core.benchmark.detectors --items {input.dataset} --dimension {wildcards.dimension}"
        " --run {wildcards.run} --seed {params.seed} --max-examples {params.max_examples}"
        " --base {params.base:q} --lora {params.lora:q} --threads {threads} --out {output.adapter} > {log} 2>&1"


rule misalign_bench_evaluate_detector:
    """One detector's zero-shot verdicts (option scoring) on every run's test split. One job for all
    runs: Python and the model start once, and a zero-shot detector's runs share test items."""
    input:
        dataset=rules.misalign_bench_build_items.output.dataset,
        model=get_model_input(get_detector_model),
        adapters=get_detector_adapters,
    output:
        predictions=expand(f"{MB_OUT}/predictions/{{{{detector}}}}/run{{run}}.parquet", run=MB_RUNS),
    log:
        "results/logs/misalign_bench/evaluate_detector_{detector}.log",
    benchmark:
        "results/benchmarks/misalign_bench/evaluate_detector_{detector}.tsv"
    params:
        models=get_detector_models,
        runs=" ".join(map(str, MB_RUNS)),
        threshold=MB["threshold"],
        cache=config["cache"],
    threads: FANOUT_THREADS
    resources:
        mem_mb=get_model_mem_mb(get_detector_model),
        runtime=get_model_runtime(get_detector_model),
        gpu=get_model_gpus(get_detector_model),
    conda:
        "../../envs/main.yaml"
    container:
        get_model_container(get_detector_model)
    shell:
        "python -m papers.core.benchmark.evaluate --items {input.dataset} --detector {wildcards.detector}"
        " --runs {params.runs} --threshold {params.threshold} --models {params.models:q}"
        " --cache {params.cache:q} --threads {threads} --out {output.predictions} > {log} 2>&1"


rule misalign_bench_score_detectors:
    """Coverage, FFR and AS per detector, run and dimension; the main table and both figures."""
    input:
        dataset=rules.misalign_bench_build_items.output.dataset,
        taxonomy=CONSTRUCT["taxonomy"],
        predictions=expand(rules.misalign_bench_evaluate_detector.output.predictions,
                           detector=get_detector_groups()),
    output:
        metrics=f"{MB_OUT}/metrics_per_run.parquet",
        main=multiext(f"{MB_OUT}/table_main_results", ".csv", ".md", ".tex"),
        formatted=multiext(f"{MB_OUT}/table_main_results_formatted", ".csv", ".md", ".tex"),
        domains=multiext(f"{MB_OUT}/table_domain_alignment", ".csv", ".md", ".tex"),
        scatter=multiext(f"{MB_OUT}/figure_coverage_vs_ffr", ".pdf", ".png"),
        heatmap=multiext(f"{MB_OUT}/figure_domain_alignment", ".pdf", ".png"),
    log:
        "results/logs/misalign_bench/score_detectors.log",
    benchmark:
        "results/benchmarks/misalign_bench/score_detectors.tsv"
    params:
        groups=json.dumps(get_detector_groups()),
        scale=get_scale,
        main=get_stem("main"),
        formatted=get_stem("formatted"),
        domains=get_stem("domains"),
        scatter=get_stem("scatter"),
        heatmap=get_stem("heatmap"),
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../../envs/main.yaml"
    shell:
        "python -m papers.misalign_bench.results --items {input.dataset} --predictions {input.predictions}"
        " --groups {params.groups:q} --taxonomy {input.taxonomy:q} --scale {params.scale}"
        " --out-metrics {output.metrics} --main-table {params.main} --formatted-table {params.formatted}"
        " --domain-table {params.domains} --scatter {params.scatter} --heatmap {params.heatmap} > {log} 2>&1"


rule misalign_bench_dataset_tables:
    """Per-domain construction counts in the paper's columns; SAVACU's coverage of the dimensions."""
    input:
        dataset=rules.misalign_bench_build_items.output.dataset,
        construction=rules.construct_count_construction.output.table[0],
        taxonomy=CONSTRUCT["taxonomy"],
    output:
        counts=multiext(f"{MB_OUT}/table_domain_counts", ".csv", ".md", ".tex"),
        coverage=multiext(f"{MB_OUT}/table_benchmark_coverage", ".csv", ".md", ".tex"),
    log:
        "results/logs/misalign_bench/dataset_tables.log",
    benchmark:
        "results/benchmarks/misalign_bench/dataset_tables.tsv"
    params:
        scale=get_scale,
        counts=get_stem("counts"),
        coverage=get_stem("coverage"),
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        "../../envs/main.yaml"
    shell:
        "python -m papers.misalign_bench.tables --items {input.dataset} --construction {input.construction}"
        " --taxonomy {input.taxonomy:q} --scale {params.scale} --counts {params.counts}"
        " --coverage {params.coverage} > {log} 2>&1"


paper_rules(
    "misalign_bench",
    category="1 Mis-Align Bench",
    sections=["construct", "misalign_bench"],
    inputs=[CONSTRUCT["prompt_pool"], CONSTRUCT["taxonomy"], "papers/misalign_bench/claims.yaml",
            "papers/misalign_bench/related_benchmarks.csv"],
    manifest=[rules.misalign_bench_build_items.output, rules.misalign_bench_score_detectors.output,
              rules.misalign_bench_dataset_tables.output],
    outputs=[
        table(rules.misalign_bench_dataset_tables, "counts", "misalign_bench_domain_counts.rst", "per-domain counts"),
        table(rules.misalign_bench_dataset_tables, "coverage", "misalign_bench_benchmark_coverage.rst",
              "dimension coverage vs benchmarks"),
        table(rules.misalign_bench_score_detectors, "formatted", "misalign_bench_main_results.rst", "main results"),
        table(rules.misalign_bench_score_detectors, "domains", "misalign_bench_domain_alignment.rst",
              "per-domain Alignment Score"),
        figure(rules.misalign_bench_score_detectors, "scatter", "misalign_bench_coverage_vs_ffr.rst",
               "Coverage vs FFR"),
        figure(rules.misalign_bench_score_detectors, "heatmap", "misalign_bench_domain_heatmap.rst",
               "per-domain AS heatmap"),
    ],
)
