"""AlignX (paper 4, arXiv 2602.07381): helpful, harmless and honest alignment by prompt-injected
LoRA experts (stage 1) and a mixture of calibrated experts, MoCaE (stage 2). Step 1 of its issue:
data, prompt injection, evaluation bookkeeping and router math; not yet in the DAG (README.md)."""
