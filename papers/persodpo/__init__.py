"""PersoDPO (paper 5, arXiv 2602.04493): preference pairs built from automatic signals on
persona-grounded dialogue (FoCus), and DPO whose per-pair loss is weighted by the pairs' quality gap.

Step 1 of issue 19: the data, the candidate requests and parser, the signals and quality score, the
pairing and a weighted DPO trainer. Not in the DAG yet (see README.md).
"""
