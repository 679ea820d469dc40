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


rule vision_train_clip:
    """Train the mini CLIP on the rendered memes' pictures and captions (every dataset's train split)."""
    input:
        memes=get_training_input(expand(rules.vision_prepare_memes.output.memes, dataset=VISION["memes"])),
        images=get_training_input(expand(rules.vision_prepare_memes.output.images, dataset=VISION["memes"])),
    output:
        model=directory(get_clip_dir()),
    log:
        "results/logs/vision/train_clip.log",
    benchmark:
        "results/benchmarks/vision/train_clip.tsv"
    params:
        settings=json.dumps({k: v for k, v in VISION.get("clip", {}).items() if k != "model"}, sort_keys=True),
        seed=config["seed"],
    threads: VISION.get("clip", {}).get("threads", 1)
    resources:
        mem_mb=3000,
        runtime=30,
    conda:
        "../../envs/main.yaml"
    shell:
        "python -m papers.core.vision.clip_train --memes {input.memes} --settings {params.settings:q}"
        " --seed {params.seed} --out {output.model} > {log} 2>&1"


rule vision_plot_clip:
    """The mini CLIP's training loss and held-out retrieval accuracy against chance."""
    input:
        model=rules.vision_train_clip.output.model,
    output:
        figure=multiext(f"{VISION_OUT}/figure_clip_training", ".pdf", ".png"),
    log:
        "results/logs/vision/plot_clip.log",
    benchmark:
        "results/benchmarks/vision/plot_clip.tsv"
    params:
        scale=get_scale,
        figure=get_stem("figure"),
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    conda:
        "../../envs/main.yaml"
    shell:
        "python -m papers.core.vision.figures --training {input.model}/training.json --scale {params.scale}"
        " --figure {params.figure} > {log} 2>&1"


rule vision_train_lvlm:
    """Train the mini LVLM's projector (mini CLIP image tower -> frozen SmolLM2) on the rendered memes'
    captions and yes/no questions about their pictograms; its held-out quality goes in training.json."""
    input:
        memes=get_training_input(expand(rules.vision_prepare_memes.output.memes, dataset=VISION["memes"])),
        images=get_training_input(expand(rules.vision_prepare_memes.output.images, dataset=VISION["memes"])),
        clip=get_training_input(rules.vision_train_clip.output.model),
        language_model=get_training_input(get_lvlm_language_model() if is_lvlm_trained() else []),
    output:
        model=directory(get_lvlm_dir()),
    log:
        "results/logs/vision/train_lvlm.log",
    benchmark:
        "results/benchmarks/vision/train_lvlm.tsv"
    params:
        settings=json.dumps({k: v for k, v in VISION.get("lvlm", {}).items() if k not in ("model", "language_model")},
                            sort_keys=True),
        seed=config["seed"],
    threads: VISION.get("lvlm", {}).get("threads", 1)
    resources:
        mem_mb=3000,
        runtime=30,
    conda:
        "../../envs/main.yaml"
    shell:
        "python -m papers.core.vision.lvlm_train --memes {input.memes} --clip {input.clip}"
        " --language-model {input.language_model} --settings {params.settings:q} --seed {params.seed}"
        " --out {output.model} > {log} 2>&1"


rule vision_plot_lvlm:
    """The mini LVLM's training loss and held-out quality (caption likelihood, yes/no accuracy) against
    its no-image, other-image and chance baselines."""
    input:
        model=rules.vision_train_lvlm.output.model,
    output:
        figure=multiext(f"{VISION_OUT}/figure_lvlm_training", ".pdf", ".png"),
        table=multiext(f"{VISION_OUT}/table_lvlm_quality", ".csv", ".md", ".tex"),
    log:
        "results/logs/vision/plot_lvlm.log",
    benchmark:
        "results/benchmarks/vision/plot_lvlm.tsv"
    params:
        scale=get_scale,
        figure=get_stem("figure"),
        table=get_stem("table"),
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    conda:
        "../../envs/main.yaml"
    shell:
        "python -m papers.core.vision.figures --lvlm-training {input.model}/training.json --scale {params.scale}"
        " --figure {params.figure} --table {params.table} > {log} 2>&1"


rule vision_all:
    """Every meme table of the config, and where the DAG trains a CLIP (mini scale) the model and its figure."""
    input:
        expand(rules.vision_prepare_memes.output.memes, dataset=VISION["memes"]),
        rules.vision_plot_clip.output if is_clip_trained() else [],
        rules.vision_plot_lvlm.output if is_lvlm_trained() else [],
