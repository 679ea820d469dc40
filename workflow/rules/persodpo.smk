"""Paper 5, PersoDPO (papers/persodpo/README.md): FoCus turns, candidate replies from several
generators (one job per model), their signals and quality, preference pairs, DPO of four policies
(PersoDPO's weighted pairs, standard, simple, random), the base and the policies on held-out turns,
then the tables, figures and claims. Outputs under results/persodpo/."""

PD = config["persodpo"]
PD_OUT = "results/persodpo"
PD_TIMING = "results/benchmarks/persodpo"  # response times: timings, not results (README)


rule persodpo_prepare_turns:
    """The kept train and test turns of the FoCus file, with their prompts."""
    input:
        focus=PD["focus"],
    output:
        turns=f"{PD_OUT}/turns.parquet",
    log:
        "results/logs/persodpo/prepare_turns.log",
    benchmark:
        "results/benchmarks/persodpo/prepare_turns.tsv"
    params:
        seed=config["seed"],
        splits=PD["splits"],
        turns=PD["turns"],
        max_train=PD["max_train"],
        max_test=PD["max_test"],
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        "../../envs/main.yaml"
    shell:
        "python -m papers.persodpo.prepare --focus {input.focus:q} --seed {params.seed} --splits {params.splits}"
        " --turns {params.turns} --max-train {params.max_train} --max-test {params.max_test}"
        " --out {output.turns} > {log} 2>&1"


rule persodpo_generate_candidates:
    """Every generator of one model on every training turn, in one batch."""
    input:
        turns=rules.persodpo_prepare_turns.output.turns,
        model=get_model_input("{candidate_model}"),
    output:
        candidates=f"{PD_OUT}/candidates/{{candidate_model}}.parquet",
        timing=f"{PD_TIMING}/response_time_{{candidate_model}}.json",
    log:
        "results/logs/persodpo/generate_candidates_{candidate_model}.log",
    benchmark:
        "results/benchmarks/persodpo/generate_candidates_{candidate_model}.tsv"
    wildcard_constraints:
        candidate_model="|".join(map(re.escape, get_candidate_models())),
    params:
        model=get_model_entry("{candidate_model}"),
        generators=get_candidate_generators,
        max_new_tokens=PD["max_new_tokens"],
        cache=config["cache"],
    threads: FANOUT_THREADS
    resources:
        mem_mb=get_model_mem_mb("{candidate_model}"),
        runtime=get_model_runtime("{candidate_model}"),
        gpu=get_model_gpus("{candidate_model}"),
    conda:
        "../../envs/main.yaml"
    container:
        get_model_container("{candidate_model}")
    shell:
        "python -m papers.persodpo.generate --turns {input.turns} --split train --generators {params.generators:q}"
        " --max-new-tokens {params.max_new_tokens} --model {params.model:q} --cache {params.cache:q}"
        " --threads {threads} --out {output.candidates} --timing {output.timing} > {log} 2>&1"


rule persodpo_score_candidates:
    """The signals of every training candidate, and the NLI model on statements of known label."""
    input:
        turns=rules.persodpo_prepare_turns.output.turns,
        candidates=expand(rules.persodpo_generate_candidates.output.candidates, candidate_model=get_candidate_models()),
        focus=PD["nli_check"]["focus"],
        models=get_model_input(PD["nli"], PD["coherence"], PD["embedder"]),
    output:
        signals=f"{PD_OUT}/candidate_signals.parquet",
        nli_check=f"{PD_OUT}/nli_check.parquet",
    log:
        "results/logs/persodpo/score_candidates.log",
    benchmark:
        "results/benchmarks/persodpo/score_candidates.tsv"
    params:
        nli=get_model_entry(PD["nli"]),
        calibration=PD["nli_calibration"],
        coherence=get_model_entry(PD["coherence"]),
        embedder=get_model_entry(PD["embedder"]),
        per_label=PD["nli_check"]["per_label"],
        seed=config["seed"],
        cache=config["cache"],
    threads: CHAIN_THREADS
    resources:
        mem_mb=get_model_mem_mb(PD["nli"], PD["coherence"], PD["embedder"]),
        runtime=get_model_runtime(PD["nli"], PD["coherence"], PD["embedder"]),
        gpu=get_model_gpus(PD["nli"], PD["coherence"], PD["embedder"]),
    conda:
        "../../envs/main.yaml"
    container:
        get_model_container(PD["nli"], PD["coherence"], PD["embedder"])
    shell:
        "python -m papers.persodpo.score --turns {input.turns} --replies {input.candidates}"
        " --nli {params.nli:q} --nli-calibration {params.calibration} --coherence {params.coherence:q}"
        " --embedder {params.embedder:q}"
        " --nli-check-focus {input.focus:q} --nli-check-per-label {params.per_label} --seed {params.seed}"
        " --cache {params.cache:q} --threads {threads} --out {output.signals}"
        " --nli-check-out {output.nli_check} > {log} 2>&1"


rule persodpo_build_pairs:
    """Each candidate's quality, and the preference pairs of every policy."""
    input:
        signals=rules.persodpo_score_candidates.output.signals,
    output:
        candidates=f"{PD_OUT}/candidate_quality.parquet",
        pairs=f"{PD_OUT}/pairs.parquet",
    log:
        "results/logs/persodpo/build_pairs.log",
    benchmark:
        "results/benchmarks/persodpo/build_pairs.tsv"
    params:
        seed=config["seed"],
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        "../../envs/main.yaml"
    shell:
        "python -m papers.persodpo.pairs --signals {input.signals} --seed {params.seed}"
        " --quality-out {output.candidates} --out {output.pairs} > {log} 2>&1"


rule persodpo_train_policies:
    """DPO of the policy model on each policy's pairs (WeightedDPOTrainer), one adapter each."""
    input:
        turns=get_training_input(rules.persodpo_prepare_turns.output.turns),
        candidates=get_training_input(rules.persodpo_build_pairs.output.candidates),
        pairs=get_training_input(rules.persodpo_build_pairs.output.pairs),
        model=get_training_input(get_model_input(PD["policy"])),
    output:
        adapters=directory(expand(f"{PD_OUT}/adapters/{{policy}}", policy=PD["policies"])),
    log:
        "results/logs/persodpo/train_policies.log",
    benchmark:
        "results/benchmarks/persodpo/train_policies.tsv"
    params:
        policy=get_model_entry(PD["policy"]),
        dpo=json.dumps(PD["dpo"], sort_keys=True),
        policies=PD["policies"],
        seed=config["seed"],
    threads: CHAIN_THREADS
    resources:
        mem_mb=get_model_mem_mb(PD["policy"]),
        runtime=get_model_runtime(PD["policy"]),
        gpu=get_model_gpus(PD["policy"]),
    conda:
        "../../envs/main.yaml"
    container:
        get_model_container(PD["policy"])
    shell:
        "python -m papers.persodpo.train --turns {input.turns} --candidates {input.candidates} --pairs {input.pairs}"
        " --policy {params.policy:q} --dpo {params.dpo:q} --seed {params.seed} --threads {threads}"
        " --policies {params.policies} --out {output.adapters} > {log} 2>&1"


rule persodpo_evaluate_policies:
    """The base model and every policy (its adapter) on the test turns, in one batch; the signals of
    their replies and of the gold reply, and the judge's win rate against the base. One job: Python
    and the models start once."""
    input:
        turns=rules.persodpo_prepare_turns.output.turns,
        adapters=rules.persodpo_train_policies.output.adapters,
        models=get_model_input(PD["policy"], PD["nli"], PD["coherence"], PD["judge"], PD["embedder"]),
    output:
        replies=f"{PD_OUT}/test_replies.parquet",
        signals=f"{PD_OUT}/test_signals.parquet",
        wins=f"{PD_OUT}/test_wins.parquet",
        timing=f"{PD_TIMING}/response_time_policies.json",
    log:
        "results/logs/persodpo/evaluate_policies.log",
    benchmark:
        "results/benchmarks/persodpo/evaluate_policies.tsv"
    params:
        policy=lambda wildcards, input: get_policy_entry(input.adapters),
        generators=get_policy_generators(),
        max_new_tokens=PD["max_new_tokens"],
        nli=get_model_entry(PD["nli"]),
        calibration=PD["nli_calibration"],
        coherence=get_model_entry(PD["coherence"]),
        judge=get_model_entry(PD["judge"]),
        embedder=get_model_entry(PD["embedder"]),
        seed=config["seed"],
        cache=config["cache"],
    threads: CHAIN_THREADS
    resources:
        mem_mb=get_model_mem_mb(PD["policy"], PD["nli"], PD["coherence"], PD["judge"], PD["embedder"]),
        runtime=get_model_runtime(PD["policy"], PD["nli"], PD["coherence"], PD["judge"], PD["embedder"]),
        gpu=get_model_gpus(PD["policy"], PD["nli"], PD["coherence"], PD["judge"], PD["embedder"]),
    conda:
        "../../envs/main.yaml"
    container:
        get_model_container(PD["policy"], PD["nli"], PD["coherence"], PD["judge"], PD["embedder"])
    shell:
        "python -m papers.persodpo.evaluate --turns {input.turns} --policy {params.policy:q}"
        " --generators {params.generators:q} --max-new-tokens {params.max_new_tokens} --nli {params.nli:q}"
        " --nli-calibration {params.calibration} --coherence {params.coherence:q} --judge {params.judge:q}"
        " --embedder {params.embedder:q}"
        " --seed {params.seed} --cache {params.cache:q} --threads {threads} --replies-out {output.replies}"
        " --out {output.signals} --wins {output.wins} --timing {output.timing} > {log} 2>&1"


rule persodpo_results:
    """The candidate, policy, training and NLI-check tables; the failure, training and reward figures."""
    input:
        candidates=rules.persodpo_build_pairs.output.candidates,
        pairs=rules.persodpo_build_pairs.output.pairs,
        adapters=rules.persodpo_train_policies.output.adapters,
        signals=rules.persodpo_evaluate_policies.output.signals,
        wins=rules.persodpo_evaluate_policies.output.wins,
        nli_check=rules.persodpo_score_candidates.output.nli_check,
    output:
        candidate_table=multiext(f"{PD_OUT}/table_candidate_signals", ".csv", ".md", ".tex"),
        policy_table=multiext(f"{PD_OUT}/table_policies", ".csv", ".md", ".tex"),
        training_table=multiext(f"{PD_OUT}/table_training", ".csv", ".md", ".tex"),
        nli_table=multiext(f"{PD_OUT}/table_nli_check", ".csv", ".md", ".tex"),
        failures_figure=multiext(f"{PD_OUT}/figure_failures_and_length", ".pdf", ".png"),
        training_figure=multiext(f"{PD_OUT}/figure_training", ".pdf", ".png"),
        rewards_figure=multiext(f"{PD_OUT}/figure_rewards", ".pdf", ".png"),
    log:
        "results/logs/persodpo/results.log",
    benchmark:
        "results/benchmarks/persodpo/results.tsv"
    params:
        scale=get_scale,
        candidate_table=get_stem("candidate_table"),
        policy_table=get_stem("policy_table"),
        training_table=get_stem("training_table"),
        nli_table=get_stem("nli_table"),
        failures_figure=get_stem("failures_figure"),
        training_figure=get_stem("training_figure"),
        rewards_figure=get_stem("rewards_figure"),
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        "../../envs/main.yaml"
    shell:
        "python -m papers.persodpo.results --candidates {input.candidates} --pairs {input.pairs}"
        " --adapters {input.adapters} --signals {input.signals} --wins {input.wins} --nli-check {input.nli_check}"
        " --scale {params.scale} --candidate-table {params.candidate_table} --policy-table {params.policy_table}"
        " --training-table {params.training_table} --nli-table {params.nli_table}"
        " --failures-figure {params.failures_figure} --training-figure {params.training_figure}"
        " --rewards-figure {params.rewards_figure} > {log} 2>&1"


paper_rules(
    "persodpo",
    category="5 PersoDPO",
    sections=["persodpo"],
    inputs=list(dict.fromkeys([PD["focus"], PD["nli_check"]["focus"], "papers/persodpo/claims.yaml"])),
    manifest=[rules.persodpo_prepare_turns.output, rules.persodpo_score_candidates.output,
              rules.persodpo_build_pairs.output,
              [rules.persodpo_evaluate_policies.output.replies, rules.persodpo_evaluate_policies.output.signals,
               rules.persodpo_evaluate_policies.output.wins],  # not its response times: they differ run to run
              rules.persodpo_results.output],
    outputs=[
        table(rules.persodpo_results, "candidate_table", "persodpo_candidate_signals.rst", "candidate signals"),
        table(rules.persodpo_results, "policy_table", "persodpo_policies.rst", "policies vs baselines"),
        table(rules.persodpo_results, "training_table", "persodpo_training.rst", "DPO training"),
        table(rules.persodpo_results, "nli_table", "persodpo_nli_check.rst", "NLI check on known labels"),
        figure(rules.persodpo_results, "failures_figure", "persodpo_failures_and_length.rst",
               "failure ratio and reply length"),
        figure(rules.persodpo_results, "training_figure", "persodpo_training_figure.rst", "loss and gradient norm"),
        figure(rules.persodpo_results, "rewards_figure", "persodpo_rewards_figure.rst", "reward margin and accuracy"),
    ],
)
