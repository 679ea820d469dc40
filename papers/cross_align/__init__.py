"""Paper 7, CROSS-ALIGN+ (arXiv 2602.03822): knowledge-enriched, LoRA-sharpened, explained meme
moderation. Step 1 (no model yet): Stage I's enrichment (enrich.py), the paper-scale benchmark
loaders (benchmarks.py) and the mini tasks (tasks.py). Not yet in papers.PAPERS; see README.md."""
