"""Paper 8, cross-cultural hateful meme detection (papers/cross_cultural_memes/README.md): the memes
with per-country labels (Multi3Hate, or at mini scale the vision core's memes with seeded synthetic
labels), their captions in every language and back in English, every LVLM scored on every meme in
every setting, then the tables, figures and claims. Outputs under results/cross_cultural_memes/."""

CC = config["cross_cultural_memes"]
CC_OUT = "results/cross_cultural_memes"
# Every step's scope: the caption languages and the annotators' countries, as options.
CC_SCOPE = f"--languages {' '.join(CC['languages'])} --countries {' '.join(CC['countries'])}"
CC_LVLMS = config["vision"]["lvlms"]  # the LVLMs papers 7-8 ask (the vision core's list), one job each


wildcard_constraints:
    lvlm="|".join(map(re.escape, CC_LVLMS)),


rule cross_cultural_memes_prepare_memes:
    """The memes with their English caption, an image per language and every country's labels."""
    input:
        unpack(get_cc_memes_input),
    output:
        memes=f"{CC_OUT}/memes.parquet",
    log:
        "results/logs/cross_cultural_memes/prepare_memes.log",
    benchmark:
        "results/benchmarks/cross_cultural_memes/prepare_memes.tsv"
    params:
        scope=CC_SCOPE,
        source=get_cc_source_args,
        seed=config["seed"],
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    conda:
        "../../envs/main.yaml"
    shell:
        "python -m papers.cross_cultural_memes.data {params.scope}"
        " {params.source} --seed {params.seed} --out {output.memes} > {log} 2>&1"


rule cross_cultural_memes_translate_captions:
    """Every caption in every language (translated where the dataset has none) and back into English,
    with the back-translation's similarity to the original, through the call cache."""
    input:
        memes=rules.cross_cultural_memes_prepare_memes.output.memes,
        models=get_model_input(CC["translator"], CC["embedder"]),
    output:
        captions=f"{CC_OUT}/captions.parquet",
    log:
        "results/logs/cross_cultural_memes/translate_captions.log",
    benchmark:
        "results/benchmarks/cross_cultural_memes/translate_captions.tsv"
    params:
        scope=CC_SCOPE,
        translator=get_model_entry(CC["translator"]),
        embedder=get_model_entry(CC["embedder"]),
        cache=config["cache"],
        max_new_tokens=CC["max_new_tokens"],
    threads: CHAIN_THREADS
    resources:
        mem_mb=get_model_mem_mb(CC["translator"], CC["embedder"]),
        runtime=get_model_runtime(CC["translator"], CC["embedder"]),
        gpu=get_model_gpus(CC["translator"], CC["embedder"]),
    conda:
        "../../envs/main.yaml"
    container:
        get_model_container(CC["translator"], CC["embedder"])
    shell:
        "python -m papers.cross_cultural_memes.translate --memes {input.memes} {params.scope}"
        " --translator {params.translator:q} --embedder {params.embedder:q}"
        " --cache {params.cache:q} --threads {threads} --max-new-tokens {params.max_new_tokens}"
        " --out {output.captions} > {log} 2>&1"


rule cross_cultural_memes_evaluate_lvlm:
    """One LVLM's option scores on every meme, language and setting (one job per model)."""
    input:
        memes=rules.cross_cultural_memes_prepare_memes.output.memes,
        captions=rules.cross_cultural_memes_translate_captions.output.captions,
        models=get_model_input("{lvlm}"),
    output:
        scores=f"{CC_OUT}/scores/{{lvlm}}.parquet",
    log:
        "results/logs/cross_cultural_memes/evaluate_{lvlm}.log",
    benchmark:
        "results/benchmarks/cross_cultural_memes/evaluate_{lvlm}.tsv"
    params:
        scope=CC_SCOPE,
        lvlm=get_model_entry("{lvlm}"),
        cache=config["cache"],
        seed=config["seed"],
        threshold=CC["threshold"],
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
        "python -m papers.cross_cultural_memes.evaluate --memes {input.memes} --captions {input.captions}"
        " {params.scope} --lvlm {params.lvlm:q} --name {wildcards.lvlm}"
        " --cache {params.cache:q} --threads {threads} --seed {params.seed} --threshold {params.threshold}"
        " --out {output.scores} > {log} 2>&1"


rule cross_cultural_memes_results:
    """The F1, setting-delta, axis-effect, agreement and translation tables and the two figures."""
    input:
        scores=expand(rules.cross_cultural_memes_evaluate_lvlm.output.scores, lvlm=CC_LVLMS),
        memes=rules.cross_cultural_memes_prepare_memes.output.memes,
        captions=rules.cross_cultural_memes_translate_captions.output.captions,
    output:
        f1=multiext(f"{CC_OUT}/table_f1_settings", ".csv", ".md", ".tex"),
        deltas=multiext(f"{CC_OUT}/table_setting_deltas", ".csv", ".md", ".tex"),
        effects=multiext(f"{CC_OUT}/table_axis_effects", ".csv", ".md", ".tex"),
        agreement=multiext(f"{CC_OUT}/table_agreement", ".csv", ".md", ".tex"),
        translation=multiext(f"{CC_OUT}/table_translation", ".csv", ".md", ".tex"),
        deltas_figure=multiext(f"{CC_OUT}/figure_setting_deltas", ".pdf", ".png"),
        agreement_figure=multiext(f"{CC_OUT}/figure_agreement", ".pdf", ".png"),
    log:
        "results/logs/cross_cultural_memes/results.log",
    benchmark:
        "results/benchmarks/cross_cultural_memes/results.tsv"
    params:
        scope=CC_SCOPE,
        scale=get_scale,
        seed=config["seed"],
        f1=get_stem("f1"),
        deltas=get_stem("deltas"),
        effects=get_stem("effects"),
        agreement=get_stem("agreement"),
        translation=get_stem("translation"),
        deltas_figure=get_stem("deltas_figure"),
        agreement_figure=get_stem("agreement_figure"),
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        "../../envs/main.yaml"
    shell:
        "python -m papers.cross_cultural_memes.results --scores {input.scores} --memes {input.memes}"
        " --captions {input.captions} {params.scope} --seed {params.seed}"
        " --scale {params.scale} --f1 {params.f1} --deltas {params.deltas} --effects {params.effects}"
        " --agreement {params.agreement} --translation {params.translation}"
        " --deltas-figure {params.deltas_figure} --agreement-figure {params.agreement_figure} > {log} 2>&1"


paper_rules(
    "cross_cultural_memes",
    category="8 Cross-cultural hateful memes",
    sections=["cross_cultural_memes"],
    inputs=[*get_cc_memes_input(None).values(), "papers/cross_cultural_memes/claims.yaml"],
    manifest=[rules.cross_cultural_memes_prepare_memes.output, rules.cross_cultural_memes_translate_captions.output,
              expand(rules.cross_cultural_memes_evaluate_lvlm.output.scores, lvlm=CC_LVLMS),
              rules.cross_cultural_memes_results.output],
    outputs=[
        table(rules.cross_cultural_memes_results, "f1", "cross_cultural_memes_f1_settings.rst",
              "macro-F1 per model, language and setting"),
        table(rules.cross_cultural_memes_results, "deltas", "cross_cultural_memes_setting_deltas.rst",
              "change of each setting vs the zero-shot English baseline"),
        table(rules.cross_cultural_memes_results, "effects", "cross_cultural_memes_axis_effects.rst",
              "mean effect of each axis"),
        table(rules.cross_cultural_memes_results, "agreement", "cross_cultural_memes_agreement.rst",
              "agreement with each country's annotators"),
        table(rules.cross_cultural_memes_results, "translation", "cross_cultural_memes_translation.rst",
              "translation quality"),
        figure(rules.cross_cultural_memes_results, "deltas_figure", "cross_cultural_memes_deltas_figure.rst",
               "setting-delta heatmap"),
        figure(rules.cross_cultural_memes_results, "agreement_figure", "cross_cultural_memes_agreement_figure.rst",
               "agreement per country"),
    ],
)
