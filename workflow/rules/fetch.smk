"""Public paper-scale inputs the DAG downloads itself (config/downloads.yaml): pinned, checksummed."""


# On the submitting host: cluster nodes often have no way out to the internet.
localrules:
    fetch_public_input,


rule fetch_public_input:
    """Download one public input at its pinned commit; keep it only if its sha256 is the pinned one
    (papers/core/fetch.py: a mismatch or a failed download leaves nothing behind)."""
    output:
        "{download}",
    log:
        "results/logs/fetch/{download}.log",
    wildcard_constraints:
        download=DOWNLOAD_PATTERN,
    params:
        url=lambda wildcards: DOWNLOADS[wildcards.download]["url"],
        sha256=lambda wildcards: DOWNLOADS[wildcards.download]["sha256"],
    threads: 1
    resources:
        mem_mb=500,
        runtime=30,
    conda:
        "../../envs/main.yaml"
    shell:
        "python -m papers.core.fetch --url {params.url:q} --sha256 {params.sha256} --out {output:q} > {log} 2>&1"
