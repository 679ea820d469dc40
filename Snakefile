"""pluralign: one DAG that regenerates every table and figure of the nine papers.

    snakemake --cores all                                  # mini scale (config/config.yaml)
    snakemake --cores all --configfile config/paper.yaml   # paper scale
    snakemake --report results/report.html                 # the HTML report
"""

configfile: "config/config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/models.smk"
include: "workflow/rules/construct.smk"
include: "workflow/rules/misalign_bench.smk"
include: "workflow/rules/misalign_profile.smk"
include: "workflow/rules/ledger.smk"


rule all:
    """Every embedded model, and every table, figure and manifest of every module."""
    input:
        get_embedded_models(),
        rules.construct_all.input,
        rules.misalign_bench_all.input,
        rules.misalign_profile_all.input,
        rules.claims.output,
    default_target: True
