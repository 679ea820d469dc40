"""pluralign: one DAG that regenerates every table and figure of the nine papers.

    snakemake --cores all                                  # mini scale (config/config.yaml)
    snakemake --cores all --configfile config/paper.yaml   # paper scale
    snakemake --report results/report.html                 # the HTML report
"""

# The mini config is the default. A config given with --configfile replaces it rather than being merged
# into it: merged, the mini registry's models would stay in paper.yaml's dicts (detectors, generators)
# and run at paper scale too. An overlay such as the tests' names both: --configfile config/config.yaml
# tests/config/test.yaml.
if not workflow.overwrite_configfiles:
    # Snakemake's own message for a YAML syntax error names neither the file nor the line
    from papers.core.config import load_config_file

    load_config_file("config/config.yaml")

    configfile: "config/config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/paper.smk"
include: "workflow/rules/models.smk"
include: "workflow/rules/fetch.smk"
include: "workflow/rules/construct.smk"
include: "workflow/rules/vision.smk"


# One module per paper of papers.PAPERS (common.smk imports it), in that order.
for paper in PAPERS:

    include: f"workflow/rules/{paper}.smk"


# Modules being built (papers.DRAFTS): their steps are narrow targets, not part of `all`.
for draft in DRAFTS:

    include: f"workflow/rules/{draft}.smk"


include: "workflow/rules/ledger.smk"


rule all:
    """Every embedded model, and every table, figure and manifest of every module."""
    input:
        get_embedded_models(),
        rules.construct_all.input,
        rules.vision_all.input,
        [getattr(rules, f"{paper}_all").input for paper in PAPERS],
        rules.claims.output,
    default_target: True
