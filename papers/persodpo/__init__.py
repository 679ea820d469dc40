"""PersoDPO (paper 5, arXiv 2602.04493): preference pairs built from automatic signals on
persona-grounded dialogue (FoCus), and DPO whose per-pair loss is weighted by the pairs' quality gap.

The module's steps, tables and figures: README.md; its rules: workflow/rules/persodpo.smk.
"""
