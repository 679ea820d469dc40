# pluralign: `make` runs the whole mini-scale DAG and its HTML report; `make test` runs every test.
# Both set up the pinned environment (.venv, from envs/*.lock.txt) first when it is missing.

VENV := .venv
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export HF_HUB_OFFLINE := 1
EMBEDDED := resources/models/smollm2-135m-instruct resources/models/gemma-3-270m resources/models/all-minilm-l6-v2

.PHONY: all setup models dag report test test-fast test-vllm lint bench clean

all: report

setup:
	bash scripts/setup.sh

models: setup
	snakemake $(EMBEDDED)

dag: setup
	snakemake
	python -m papers.core.report.readme_claims results/   # the READMEs' claims tables, from this run

report: dag
	snakemake --report results/report.html
	@echo "report: results/report.html"

test: test-fast test-vllm lint

test-fast: models
	python -m pytest

test-vllm: models
	bash scripts/test_vllm.sh

lint: setup
	snakemake --lint

bench: models
	python benchmarks/bench_llm.py
	python benchmarks/bench_dedup.py
	python benchmarks/bench_mini_budget.py
	python benchmarks/bench_classifier.py

clean:
	rm -rf results .snakemake
