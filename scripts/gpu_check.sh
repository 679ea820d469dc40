#!/usr/bin/env bash
# The GPU check (papers/core/gpu_check.py): every paper model step's model at its registry settings on a
# handful of requests, one process per model; a table of seconds, peak memory and answer shapes.
# Usage: scripts/gpu_check.sh --smallest                                            # on a GPU machine
#        scripts/gpu_check.sh --smallest --substitute config/gpu_check_cpu.yaml     # here, on a CPU
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-.venv/bin/python}
[ -x "$python" ] || python=python3  # inside a container: its one environment
exec "$python" -m papers.core.gpu_check "$@"
