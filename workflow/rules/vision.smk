"""The vision core shared by papers 7-9: the meme tables and images, the CLIP trained in the DAG
(mini scale) and its figure. Outputs under results/vision/; rules named vision_*, so the mini budget
counts the core once (benchmarks/bench_mini_budget.py)."""

VISION = config["vision"]
VISION_OUT = "results/vision"


rule vision_prepare_memes:
    """One meme dataset as a table and an images folder: real images checked and linked (paper scale), or
    rendered from the real text and the vendored pictograms (mini scale)."""
    input:
        unpack(get_meme_inputs),
    output:
        memes=f"{VISION_OUT}/memes/{{dataset}}/memes.parquet",
        images=directory(f"{VISION_OUT}/memes/{{dataset}}/images"),
    log:
        "results/logs/vision/prepare_memes_{dataset}.log",
    benchmark:
        "results/benchmarks/vision/prepare_memes_{dataset}.tsv"
    wildcard_constraints:
        dataset="|".join(VISION["memes"]),
    params:
        args=get_meme_args,
    threads: 1
    resources:
        mem_mb=1000,
        runtime=30,
    conda:
        "../../envs/main.yaml"
    shell:
        "python -m papers.core.vision.prepare --dataset {wildcards.dataset} {params.args}"
        " --out-table {output.memes} --out-images {output.images} > {log} 2>&1"


rule vision_all:
    """Every meme table of the config (and at mini scale the trained CLIP and its figure)."""
    input:
        expand(rules.vision_prepare_memes.output.memes, dataset=VISION["memes"]),
