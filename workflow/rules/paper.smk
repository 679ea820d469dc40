"""A paper as a template: a module declares its tables and figures once, at the end of its rule file,

    paper_rules("misalign_bench", category="1 Mis-Align Bench",
                sections=["construct", "misalign_bench"],          # config sections in the manifest
                inputs=[CONSTRUCT["taxonomy"], ...],               # raw inputs the manifest hashes
                manifest=[rules.misalign_bench_build_items.output, ...],  # outputs it records, in order
                outputs=[table(rules.misalign_bench_dataset_tables, "counts",
                               "misalign_bench_domain_counts.rst", "per-domain counts"), ...])

and these rules follow from the declaration (each with log, benchmark, threads, resources, conda):

    <paper>_check_claims  papers/<paper>/claims.yaml next to the tables its claims read
                          -> results/<paper>/table_claims.{csv,md,tex}
    <paper>_report        every declared table (its .csv) and figure (its .png), and the claims table,
                          in the HTML report -> results/<paper>/manifest.json (provenance)
    <paper>_all           the manifest, the claims table and every output of the rules that make
                          the declared tables and figures

A claim's table (claims.yaml, `table:`) must be a file that a rule of the module (a rule named
<paper>_*) writes; otherwise building the DAG stops, naming the claims file, the claim and the table.
The claims ledger (ledger.smk) reads every paper's claims table through papers.PAPERS. The
declaration's helpers (table, figure, get_claim_tables) are in common.smk. Each table or figure is made
by the function named after its file (table_<stem>, figure_<stem>) in the module its rule runs, or in
one that module imports it from (tests/test_two_hops.py).
"""

def paper_rules(paper, category, sections, inputs, manifest, outputs, claims=True):
    """Define <paper>_check_claims (if `claims`), <paper>_report and <paper>_all from the declaration."""
    out = f"results/{paper}"
    claims_file = f"papers/{paper}/claims.yaml"
    registered = [report(get_report_file(o), caption=f"../report/{o.caption}", category=category,
                         labels={o.kind: o.label}) for o in outputs]
    claims_output = []

    if claims:

        rule:
            """The paper's claims next to the cells of this run's tables that measure them."""
            name:
                f"{paper}_check_claims"
            input:
                claims=claims_file,
                tables=get_claim_tables(paper, claims_file),
            output:
                claims=multiext(f"{out}/table_claims", ".csv", ".md", ".tex"),
            log:
                f"results/logs/{paper}/check_claims.log",
            benchmark:
                f"results/benchmarks/{paper}/check_claims.tsv"
            params:
                scale=get_scale,
                stem=get_stem("claims"),
            threads: 1
            resources:
                mem_mb=500,
                runtime=5,
            conda:
                "../../envs/main.yaml"
            shell:
                "python -m papers.core.claims --claims {input.claims} --scale {params.scale} --out {params.stem} > {log} 2>&1"

        check_claims = getattr(rules, f"{paper}_check_claims")
        claims_output = list(check_claims.output)
        registered.append(report(check_claims.output.claims[0], caption=f"../report/{paper}_claims.rst",
                                 category=category, labels={"table": "claims"}))

    rule:
        """Register the module's tables and figures in the HTML report; write its provenance manifest."""
        name:
            f"{paper}_report"
        input:
            registered,
            # What the manifest hashes, which it must wait for: in a replay no training rule reads some of it.
            [path for group in manifest for path in group],
        output:
            manifest=f"{out}/manifest.json",
        log:
            f"results/logs/{paper}/report.log",
        benchmark:
            f"results/benchmarks/{paper}/report.tsv"
        params:
            section=get_section_json(*sections),
            inputs=inputs,
            outputs=[*(path for group in manifest for path in group), *claims_output],
            seed=config["seed"],
            paper=paper,
        threads: 1
        resources:
            mem_mb=500,
            runtime=5,
        conda:
            "../../envs/main.yaml"
        shell:
            "python -m papers.core.report.manifest --paper {params.paper} --config {params.section:q}"
            " --seed {params.seed} --inputs {params.inputs:q} --outputs {params.outputs}"
            " --out {output.manifest} > {log} 2>&1"

    rule:
        """Every table, figure and manifest of the module."""
        name:
            f"{paper}_all"
        input:
            getattr(rules, f"{paper}_report").output,
            claims_output,
            *{o.rule.rule.name: o.rule.output for o in outputs}.values(),
