#!/usr/bin/env bash
# The vllm and openai backends, for real, in their own environment (.venv-vllm); CI calls this.
# Usage: scripts/test_vllm.sh [extra pytest args]
set -euo pipefail
cd "$(dirname "$0")/.."
export HF_HUB_OFFLINE=1
model=resources/models/smollm2-135m-instruct
if [ ! -f "$model/config.json" ]; then
  # The main DAG makes it; by hand it needs the main environment (scripts/setup.sh).
  bash scripts/setup.sh
  .venv/bin/python -m papers.core.models smollm2-135m-instruct "$model"
fi
bash scripts/setup_vllm.sh
# A LoRA adapter and the hf backend's scores through it, made where peft is (the main environment).
adapter=$(mktemp -d)
trap 'rm -rf "$adapter"' EXIT
.venv/bin/python tests/vllm/make_adapter.py "$adapter"
PLURALIGN_TEST_ADAPTER="$adapter" .venv-vllm/bin/python -m pytest tests/vllm -m vllm -q "$@"
