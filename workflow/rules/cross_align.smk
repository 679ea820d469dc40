"""Paper 7, CROSS-ALIGN+ (papers/cross_align/README.md): Stage I's facts per
meme dataset, Stage II's LoRA adapters per LVLM (one per benchmark), every variant's answers and the
Stage III explanations per LVLM, then the tables, the gains figure and the claims. Outputs under
results/cross_align/; `cross_align_all` builds them."""

CA = config["cross_align"]
CA_OUT = "results/cross_align"
CA_LVLMS = CA.get("lvlms", config["vision"]["lvlms"])  # one job each; the vision core's list by default
CA_BENCHMARKS = json.dumps(CA["benchmarks"])  # in config order: the adapters' and the tables' order
CA_MEMES = expand(rules.vision_prepare_memes.output.memes, dataset=get_ca_datasets())
CA_IMAGES = expand(rules.vision_prepare_memes.output.images, dataset=get_ca_datasets())


wildcard_constraints:
    lvlm="|".join(map(re.escape, CA_LVLMS)),


rule cross_align_link_knowledge:
    """Stage I: each meme's facts linked from its text, every source, top k per source (enrich.py)."""
    input:
        memes=rules.vision_prepare_memes.output.memes,
        **get_ca_knowledge_files(),
    output:
        facts=f"{CA_OUT}/knowledge/{{dataset}}.jsonl",
    log:
        "results/logs/cross_align/link_knowledge_{dataset}.log",
    benchmark:
        "results/benchmarks/cross_align/link_knowledge_{dataset}.tsv"
    wildcard_constraints:
        dataset="|".join(get_ca_datasets()),
    params:
        sources=get_ca_knowledge_args,
        per_source=CA["per_source"],
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../../envs/main.yaml"
    shell:
        "python -m papers.cross_align.enrich --memes {input.memes} {params.sources}"
        " --per-source {params.per_source} --out {output.facts} > {log} 2>&1"


CA_KNOWLEDGE = expand(rules.cross_align_link_knowledge.output.facts, dataset=get_ca_datasets())  # Stage I, every dataset


rule cross_align_describe_pictures:
    """Stage I from the picture's side: one LVLM's description of each meme it is shown, linked like the text."""
    input:
        memes=CA_MEMES,
        images=CA_IMAGES,
        **get_ca_knowledge_files(),
        model=get_model_input("{lvlm}"),
    output:
        descriptions=f"{CA_OUT}/described/{{lvlm}}/descriptions.parquet",
        facts=[f"{CA_OUT}/described/{{lvlm}}/{dataset}.jsonl" for dataset in get_ca_datasets()],
    log:
        "results/logs/cross_align/describe_pictures_{lvlm}.log",
    benchmark:
        "results/benchmarks/cross_align/describe_pictures_{lvlm}.tsv"
    params:
        benchmarks=CA_BENCHMARKS,
        memes=get_ca_pairs("memes"),
        out=get_ca_pairs("facts", written=True),
        sources=get_ca_knowledge_args,
        per_source=CA["per_source"],
        lvlm=get_model_entry("{lvlm}"),
        sample=CA["sample"],
        train_examples=CA["train_examples"],
        seed=config["seed"],
        tokens=CA["describe_tokens"],
        cache=config["cache"],
    threads: CHAIN_THREADS
    resources:
        mem_mb=get_model_mem_mb("{lvlm}"),
        runtime=get_model_runtime("{lvlm}"),
        gpu=get_model_gpus("{lvlm}"),
    conda:
        "../../envs/main.yaml"
    container:
        get_model_container("{lvlm}")
    shell:
        "python -m papers.cross_align.describe --benchmarks {params.benchmarks:q} --memes {params.memes}"
        " --lvlm {params.lvlm:q} --name {wildcards.lvlm} --sample {params.sample}"
        " --train-examples {params.train_examples} --seed {params.seed} --tokens {params.tokens}"
        " {params.sources} --per-source {params.per_source} --cache {params.cache:q} --threads {threads}"
        " --out-descriptions {output.descriptions} --out {params.out} > {log} 2>&1"


rule cross_align_train_adapters:
    """Stage II: one LoRA adapter per benchmark on one LVLM, on the benchmark's training memes."""
    input:
        memes=get_training_input(CA_MEMES),
        images=get_training_input(CA_IMAGES),
        knowledge=get_training_input(CA_KNOWLEDGE),
        described=get_training_input(get_ca_described),
        model=get_training_input(get_model_input("{lvlm}")),
    output:
        adapters=[directory(f"{CA_OUT}/adapters/{{lvlm}}/{name}") for name in CA["benchmarks"]],
    log:
        "results/logs/cross_align/train_adapters_{lvlm}.log",
    benchmark:
        "results/benchmarks/cross_align/train_adapters_{lvlm}.tsv"
    params:
        benchmarks=CA_BENCHMARKS,
        memes=get_ca_pairs("memes"),
        knowledge=get_ca_pairs("knowledge"),
        described=get_ca_pairs("described"),
        base=get_model_entry("{lvlm}"),
        lora=json.dumps(CA["lora"], sort_keys=True),
        train_examples=CA["train_examples"],
        seed=config["seed"],
    threads: CHAIN_THREADS
    resources:
        mem_mb=get_model_mem_mb("{lvlm}"),
        runtime=get_model_runtime("{lvlm}"),
        gpu=get_model_gpus("{lvlm}"),
    conda:
        "../../envs/main.yaml"
    container:
        get_model_container("{lvlm}")
    shell:
        "python -m papers.cross_align.adapters --benchmarks {params.benchmarks:q} --memes {params.memes}"
        " --knowledge {params.knowledge} --described {params.described} --base {params.base:q} --lora {params.lora:q}"
        " --train-examples {params.train_examples} --seed {params.seed} --threads {threads}"
        " --out {output.adapters} > {log} 2>&1"


rule cross_align_answer_memes:
    """Every benchmark's test memes in every variant (base, +I, +I+II, full, the source ablation) on one LVLM."""
    input:
        memes=CA_MEMES,
        images=CA_IMAGES,
        knowledge=CA_KNOWLEDGE,
        described=get_ca_described,
        adapters=get_ca_adapters,
        model=get_model_input("{lvlm}"),
    output:
        answers=f"{CA_OUT}/answers/{{lvlm}}.parquet",
        explanations=f"{CA_OUT}/explanations/{{lvlm}}.parquet",
    log:
        "results/logs/cross_align/answer_memes_{lvlm}.log",
    benchmark:
        "results/benchmarks/cross_align/answer_memes_{lvlm}.tsv"
    params:
        benchmarks=CA_BENCHMARKS,
        memes=get_ca_pairs("memes"),
        knowledge=get_ca_pairs("knowledge"),
        described=get_ca_pairs("described"),
        lvlm=get_model_entry("{lvlm}"),
        sample=CA["sample"],
        seed=config["seed"],
        tokens=CA["explanation_tokens"],
        cache=config["cache"],
    threads: CHAIN_THREADS
    resources:
        mem_mb=get_model_mem_mb("{lvlm}"),
        runtime=get_model_runtime("{lvlm}"),
        gpu=get_model_gpus("{lvlm}"),
    conda:
        "../../envs/main.yaml"
    container:
        get_model_container("{lvlm}")
    shell:
        "python -m papers.cross_align.answers --benchmarks {params.benchmarks:q} --memes {params.memes}"
        " --knowledge {params.knowledge} --described {params.described} --lvlm {params.lvlm:q} --name {wildcards.lvlm}"
        " --adapters {input.adapters} --sample {params.sample} --seed {params.seed}"
        " --explanation-tokens {params.tokens} --cache {params.cache:q} --threads {threads}"
        " --out {output.answers} --out-explanations {output.explanations} > {log} 2>&1"


rule cross_align_results:
    """The variants table (with the trivial baselines), the source ablation, the explanations sample, the gains figure."""
    input:
        answers=expand(rules.cross_align_answer_memes.output.answers, lvlm=CA_LVLMS),
        explanations=expand(rules.cross_align_answer_memes.output.explanations, lvlm=CA_LVLMS),
    output:
        variants=multiext(f"{CA_OUT}/table_variants", ".csv", ".md", ".tex"),
        ablation=multiext(f"{CA_OUT}/table_ablation", ".csv", ".md", ".tex"),
        explanations=multiext(f"{CA_OUT}/table_explanations", ".csv", ".md", ".tex"),
        gains=multiext(f"{CA_OUT}/figure_gains", ".pdf", ".png"),
    log:
        "results/logs/cross_align/results.log",
    benchmark:
        "results/benchmarks/cross_align/results.tsv"
    params:
        seed=config["seed"],
        scale=get_scale,
        shown=CA["explanations_shown"],
        variants=get_stem("variants"),
        ablation=get_stem("ablation"),
        explanations=get_stem("explanations"),
        gains=get_stem("gains"),
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        "../../envs/main.yaml"
    shell:
        "python -m papers.cross_align.results --answers {input.answers} --explanations {input.explanations}"
        " --seed {params.seed} --scale {params.scale} --per-benchmark {params.shown}"
        " --variants {params.variants} --ablation {params.ablation} --explanations-table {params.explanations}"
        " --gains-figure {params.gains} > {log} 2>&1"


paper_rules(
    "cross_align",
    category="7 CROSS-ALIGN+",
    sections=["vision", "cross_align"],
    inputs=[*(path for paths in get_ca_knowledge_files().values() for path in paths), "papers/cross_align/claims.yaml"],
    manifest=[CA_KNOWLEDGE,
              [path for lvlm in CA_LVLMS for path in ca_described_files(lvlm)],
              expand(rules.cross_align_answer_memes.output, lvlm=CA_LVLMS), rules.cross_align_results.output],
    outputs=[
        table(rules.cross_align_results, "variants", "cross_align_variants.rst", "macro-F1 per variant"),
        table(rules.cross_align_results, "ablation", "cross_align_ablation.rst", "knowledge-source ablation"),
        table(rules.cross_align_results, "explanations", "cross_align_explanations.rst", "sample explanations"),
        figure(rules.cross_align_results, "gains", "cross_align_gains.rst", "relative gains"),
    ],
)
