"""Paper 6, PersoPilot (papers/persopilot/README.md): a web application, whose measurable parts the DAG
regenerates: the triplet extractor against a labelled set (beside a rule-based baseline), the
active-learning curves against random sampling, screenshots of both roles from the running
application in headless Chromium, and the claims. Outputs under results/persopilot/;
`persopilot_all` builds them."""

PP = config["persopilot"]
PP_OUT = "results/persopilot"


rule persopilot_extract_triplets:
    """The model and the rule-based extractor on every labelled message."""
    input:
        messages=PP["messages"],
        model=get_model_input(PP["extractor"]),
    output:
        extractions=f"{PP_OUT}/extractions.parquet",
    log:
        "results/logs/persopilot/extract_triplets.log",
    benchmark:
        "results/benchmarks/persopilot/extract_triplets.tsv"
    params:
        model=get_model_entry(PP["extractor"]),
        format=PP["messages_format"],
        max_new_tokens=PP["max_new_tokens"],
        cache=config["cache"],
    threads: CHAIN_THREADS
    resources:
        mem_mb=get_model_mem_mb(PP["extractor"]),
        runtime=get_model_runtime(PP["extractor"]),
        gpu=get_model_gpus(PP["extractor"]),
    conda:
        "../../envs/main.yaml"
    container:
        get_model_container(PP["extractor"])
    shell:
        "python -m papers.persopilot.extract --messages {input.messages:q} --format {params.format}"
        " --model {params.model:q}"
        " --cache {params.cache:q} --threads {threads} --max-new-tokens {params.max_new_tokens}"
        " --out {output.extractions} > {log} 2>&1"


rule persopilot_simulate_active_learning:
    """Learning curves of uncertainty and random sampling, the analyst simulated from gold classes."""
    input:
        users=PP["users"],
    output:
        curve=f"{PP_OUT}/learning_curve.parquet",
    log:
        "results/logs/persopilot/simulate_active_learning.log",
    benchmark:
        "results/benchmarks/persopilot/simulate_active_learning.tsv"
    params:
        classes=" ".join(PP["classes"]),
        settings=get_cli_args(PP["active_learning"]),
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    conda:
        "../../envs/main.yaml"
    shell:
        "python -m papers.persopilot.active --users {input.users:q} --classes {params.classes}"
        " {params.settings} --out {output.curve} > {log} 2>&1"


rule persopilot_results:
    """The extractor table, the active-learning table and figure."""
    input:
        extractions=rules.persopilot_extract_triplets.output.extractions,
        curve=rules.persopilot_simulate_active_learning.output.curve,
    output:
        extractor_table=multiext(f"{PP_OUT}/table_extractor", ".csv", ".md", ".tex"),
        active_table=multiext(f"{PP_OUT}/table_active_learning", ".csv", ".md", ".tex"),
        active_figure=multiext(f"{PP_OUT}/figure_active_learning", ".pdf", ".png"),
    log:
        "results/logs/persopilot/results.log",
    benchmark:
        "results/benchmarks/persopilot/results.tsv"
    params:
        scale=get_scale,
        extractor_table=get_stem("extractor_table"),
        active_table=get_stem("active_table"),
        active_figure=get_stem("active_figure"),
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        "../../envs/main.yaml"
    shell:
        "python -m papers.persopilot.results --extractions {input.extractions} --curve {input.curve}"
        " --scale {params.scale} --extractor-table {params.extractor_table} --active-table {params.active_table}"
        " --active-figure {params.active_figure} > {log} 2>&1"


rule persopilot_take_screenshots:
    """Both roles' pages from the running application in headless Chromium, after a fixed script."""
    input:
        users=PP["users"],
        catalogue=PP["catalogue"],
        model=get_model_input(PP["assistant"]),
    output:
        chat_figure=multiext(f"{PP_OUT}/figure_screenshot_chat", ".pdf", ".png"),
        analyst_figure=multiext(f"{PP_OUT}/figure_screenshot_analyst", ".pdf", ".png"),
    log:
        "results/logs/persopilot/take_screenshots.log",
    benchmark:
        "results/benchmarks/persopilot/take_screenshots.tsv"
    params:
        model=get_model_entry(PP["assistant"]),
        classes=" ".join(PP["classes"]),
        labels=PP["screenshots"]["labels"],
        cache=config["cache"],
        scale=get_scale,
        chat_figure=get_stem("chat_figure"),
        analyst_figure=get_stem("analyst_figure"),
    threads: CHAIN_THREADS
    resources:
        mem_mb=get_model_mem_mb(PP["assistant"]),
        runtime=get_model_runtime(PP["assistant"]),
        gpu=get_model_gpus(PP["assistant"]),
    conda:
        "../../envs/main.yaml"
    container:
        get_model_container(PP["assistant"])
    shell:
        "python -m papers.persopilot.screenshots --model {params.model:q} --cache {params.cache:q}"
        " --threads {threads} --users {input.users:q} --catalogue {input.catalogue:q} --classes {params.classes}"
        " --labels {params.labels} --scale {params.scale} --chat-figure {params.chat_figure}"
        " --analyst-figure {params.analyst_figure} > {log} 2>&1"


paper_rules(
    "persopilot",
    category="6 PersoPilot",
    sections=["persopilot"],
    inputs=[PP["messages"], PP["users"], PP["catalogue"], "papers/persopilot/claims.yaml"],
    manifest=[rules.persopilot_extract_triplets.output, rules.persopilot_simulate_active_learning.output,
              rules.persopilot_results.output, rules.persopilot_take_screenshots.output],
    outputs=[
        table(rules.persopilot_results, "extractor_table", "persopilot_extractor.rst", "triplet extractor"),
        table(rules.persopilot_results, "active_table", "persopilot_active_learning.rst",
              "active learning vs random"),
        figure(rules.persopilot_results, "active_figure", "persopilot_active_learning_figure.rst",
               "learning curves"),
        figure(rules.persopilot_take_screenshots, "chat_figure", "persopilot_screenshot_chat.rst",
               "end user's chat"),
        figure(rules.persopilot_take_screenshots, "analyst_figure", "persopilot_screenshot_analyst.rst",
               "analyst's page"),
    ],
)
