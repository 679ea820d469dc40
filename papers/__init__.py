"""pluralign: the reproducible artifact of nine papers on pluralistic alignment and multimodal safety.

`papers.core` is the shared library; each other subpackage reproduces one paper and imports core,
never the other way round.
"""

# The paper modules, in the order the DAG includes them: each has workflow/rules/<paper>.smk, this
# package's <paper>/ (with claims.yaml and, where it checks its config, config.py with problems(config)),
# a config section and its schema fragment workflow/schemas/<paper>.schema.yaml. Adding a paper adds
# its name here; nothing else outside the paper's own files changes.
PAPERS = ("misalign_bench", "misalign_profile", "demo_safetybench", "alignx", "persodpo", "persopilot",
          "cross_align", "cross_cultural_memes", "missing_modality")
# Modules being built, not yet in the DAG's `all`: their config section is validated and their rule
# file is included (its steps run as narrow targets, <draft>_all). A draft may already declare its
# tables and claims (paper_rules), but stays out of `all`, the report and the claims
# ledger. A module moves from here to PAPERS when it runs end to end.
DRAFTS: tuple[str, ...] = ()
