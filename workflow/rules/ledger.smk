"""The claims ledger: the claims table of every paper of papers.PAPERS in one (`snakemake claims`)."""


rule claims:
    """Every claim of every module next to what this run measured, with its verdict."""
    input:
        tables=[getattr(rules, f"{paper}_check_claims").output.claims[0] for paper in PAPERS],
    output:
        csv=report("results/claims.csv", caption="../report/claims_ledger.rst", category="0 Claims ledger",
                   labels={"table": "all claims"}),
        md="results/claims.md",
    log:
        "results/logs/claims.log",
    benchmark:
        "results/benchmarks/claims.tsv"
    params:
        stem=lambda wildcards, output: output.csv.removesuffix(".csv"),
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    conda:
        "../../envs/main.yaml"
    shell:
        "python -m papers.core.report.ledger --tables {input.tables} --out {params.stem} > {log} 2>&1"
