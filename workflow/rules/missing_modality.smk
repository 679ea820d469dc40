"""Paper 9, harmful memes with missing modalities (papers/missing_modality/README.md): image and text
vectors of every meme of the vision core's meme tables, five classifiers trained per seed and scored
as the test memes lose their text, then the tables, figure and claims. Outputs under
results/missing_modality/."""

MM = config["missing_modality"]
MM_OUT = "results/missing_modality"
MM_SEEDS = [config["seed"] + i for i in range(MM["seeds"])]
# The vision core's meme table of a dataset (mini: rendered in the DAG; paper: read from user-placed files).
MM_MEMES = rules.vision_prepare_memes.output.memes


wildcard_constraints:
    dataset="|".join(map(re.escape, MM["datasets"])),


rule missing_modality_embed_memes:
    """Unit-length image and text vectors of every meme of one dataset, through the call cache."""
    input:
        memes=MM_MEMES,
        models=get_model_input(MM["image_encoder"], MM["text_encoder"]),
    output:
        features=f"{MM_OUT}/features/{{dataset}}.parquet",
    log:
        "results/logs/missing_modality/embed_memes_{dataset}.log",
    benchmark:
        "results/benchmarks/missing_modality/embed_memes_{dataset}.tsv"
    params:
        image_encoder=get_model_entry(MM["image_encoder"]),
        text_encoder=get_model_entry(MM["text_encoder"]),
        cache=config["cache"],
    threads: FANOUT_THREADS
    resources:
        mem_mb=get_model_mem_mb(MM["image_encoder"], MM["text_encoder"]),
        runtime=get_model_runtime(MM["image_encoder"], MM["text_encoder"]),
        gpu=get_model_gpus(MM["image_encoder"], MM["text_encoder"]),
    conda:
        "../../envs/main.yaml"
    container:
        get_model_container(MM["image_encoder"], MM["text_encoder"])
    shell:
        "python -m papers.missing_modality.features --memes {input.memes:q} --image-encoder {params.image_encoder:q}"
        " --text-encoder {params.text_encoder:q} --cache {params.cache:q} --threads {threads}"
        " --out {output.features} > {log} 2>&1"


rule missing_modality_evaluate:
    """Every method trained per seed on one dataset, scored at every missing-text rate."""
    input:
        memes=MM_MEMES,
        features=rules.missing_modality_embed_memes.output.features,
    output:
        scores=f"{MM_OUT}/scores/{{dataset}}.parquet",
    log:
        "results/logs/missing_modality/evaluate_{dataset}.log",
    benchmark:
        "results/benchmarks/missing_modality/evaluate_{dataset}.tsv"
    params:
        seeds=MM_SEEDS,
        rates=MM["missing_rates"],
        settings=get_cli_args({**MM["train"], **MM["shared_space"]}),
    threads: 1
    resources:
        mem_mb=2000,
        runtime=30,
    conda:
        "../../envs/main.yaml"
    shell:
        "python -m papers.missing_modality.evaluate --memes {input.memes:q} --features {input.features}"
        " --seeds {params.seeds} --rates {params.rates} {params.settings} --threads {threads}"
        " --out {output.scores} > {log} 2>&1"


rule missing_modality_results:
    """Method x dataset results complete and text-missing, the missing-rate table and figure."""
    input:
        scores=expand(rules.missing_modality_evaluate.output.scores, dataset=MM["datasets"]),
        memes=expand(MM_MEMES, dataset=MM["datasets"]),
    output:
        main=multiext(f"{MM_OUT}/table_main_results", ".csv", ".md", ".tex"),
        rates=multiext(f"{MM_OUT}/table_missing_rates", ".csv", ".md", ".tex"),
        rates_figure=multiext(f"{MM_OUT}/figure_missing_rates", ".pdf", ".png"),
    log:
        "results/logs/missing_modality/results.log",
    benchmark:
        "results/benchmarks/missing_modality/results.tsv"
    params:
        scale=get_scale,
        main=get_stem("main"),
        rates=get_stem("rates"),
        rates_figure=get_stem("rates_figure"),
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        "../../envs/main.yaml"
    shell:
        "python -m papers.missing_modality.results --scores {input.scores} --memes {input.memes:q}"
        " --scale {params.scale} --main-table {params.main} --rates-table {params.rates}"
        " --rates-figure {params.rates_figure} > {log} 2>&1"


paper_rules(
    "missing_modality",
    category="9 Memes with missing modalities",
    sections=["missing_modality"],
    inputs=[*expand(MM_MEMES, dataset=MM["datasets"]), "papers/missing_modality/claims.yaml"],
    manifest=[expand(rules.missing_modality_embed_memes.output.features, dataset=MM["datasets"]),
              expand(rules.missing_modality_evaluate.output.scores, dataset=MM["datasets"]),
              rules.missing_modality_results.output],
    outputs=[
        table(rules.missing_modality_results, "main", "missing_modality_main_results.rst",
              "results complete and text missing"),
        table(rules.missing_modality_results, "rates", "missing_modality_missing_rates.rst",
              "results per missing-text rate"),
        figure(rules.missing_modality_results, "rates_figure", "missing_modality_missing_rates_figure.rst",
               "macro-F1 vs missing-text rate"),
    ],
)
