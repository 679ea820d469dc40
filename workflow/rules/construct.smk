"""Construction shared by papers 1-3: the taxonomy's prompt pool, multi-label reclassification, and
its per-domain counts. Outputs under results/construct/."""

CONSTRUCT = config["construct"]
CONSTRUCT_OUT = "results/construct"


rule construct_classify_prompts:
    """Score every prompt against every domain of each dimension; keep labels with p >= delta."""
    input:
        pool=CONSTRUCT["prompt_pool"],
        taxonomy=CONSTRUCT["taxonomy"],
        model=get_model_input("classifier"),
    output:
        classified=f"{CONSTRUCT_OUT}/classified.parquet",
    log:
        "results/logs/construct/classify_prompts.log",
    benchmark:
        "results/benchmarks/construct/classify_prompts.tsv"
    params:
        classifier=get_model_json("classifier"),
        cache=config["cache"],
        delta=CONSTRUCT["delta"],
        calibration=CONSTRUCT["calibration"],
    threads: 2
    resources:
        mem_mb=4000,
        runtime=60,
    conda:
        "../../envs/main.yaml"
    shell:
        "python -m papers.core.construct.reclassify --pool {input.pool} --taxonomy {input.taxonomy}"
        " --delta {params.delta} --calibration {params.calibration} --classifier {params.classifier:q} --cache {params.cache}"
        " --threads {threads} --out {output.classified} > {log} 2>&1"


rule construct_count_domains:
    """Per-domain counts (released, gold, classified) as a table and a figure; classifier agreement."""
    input:
        pool=CONSTRUCT["prompt_pool"],
        taxonomy=CONSTRUCT["taxonomy"],
        classified=rules.construct_classify_prompts.output.classified,
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
        scale=SCALE,
        table=get_stem("table"),
        agreement=get_stem("agreement"),
        figure=get_stem("figure"),
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        "../../envs/main.yaml"
    shell:
        "python -m papers.core.construct.counts --pool {input.pool} --taxonomy {input.taxonomy}"
        " --classified {input.classified} --delta {params.delta} --scale {params.scale}"
        " --table {params.table} --agreement {params.agreement} --figure {params.figure} > {log} 2>&1"


rule construct_report:
    """Register the construction tables and figure in the HTML report."""
    input:
        table=report(f"{CONSTRUCT_OUT}/table_domain_counts.csv",
                     caption="../report/construct_domain_counts.rst", category="Shared construction",
                     labels={"table": "per-domain counts"}),
        agreement=report(f"{CONSTRUCT_OUT}/table_classifier_agreement.csv",
                         caption="../report/construct_classifier_agreement.rst",
                         category="Shared construction", labels={"table": "classifier agreement"}),
        figure=report(f"{CONSTRUCT_OUT}/figure_domain_counts.png",
                      caption="../report/construct_domain_counts_figure.rst",
                      category="Shared construction", labels={"figure": "per-domain counts"}),
    output:
        manifest=f"{CONSTRUCT_OUT}/manifest.json",
    log:
        "results/logs/construct/report.log",
    benchmark:
        "results/benchmarks/construct/report.tsv"
    params:
        section=get_section_json("construct"),
        inputs=[CONSTRUCT["prompt_pool"], CONSTRUCT["taxonomy"]],
        outputs=[*rules.construct_count_domains.output, *rules.construct_classify_prompts.output],
        seed=config["seed"],
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    conda:
        "../../envs/main.yaml"
    shell:
        "python -m papers.core.report.manifest --paper construct --config {params.section:q}"
        " --seed {params.seed} --inputs {params.inputs} --outputs {params.outputs}"
        " --out {output.manifest} > {log} 2>&1"


rule construct_all:
    """Everything the shared construction chain produces."""
    input:
        rules.construct_report.output,
        rules.construct_count_domains.output,
