#!/usr/bin/env bash
# Create the GPU vLLM environment (.venv-vllm-gpu) from envs/vllm-gpu.lock.txt when it is missing or the lock
# changed: the install step of containers/vllm-gpu/ (PLURALIGN_VLLM_GPU_VENV=/opt/venv there), and a way to run
# paper-scale vllm steps on a GPU machine without containers. About 10 GB (CUDA wheels).
# Every version comes from the lock (pip --no-deps): nothing is resolved at install time.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${PLURALIGN_VLLM_GPU_VENV:-.venv-vllm-gpu}
want=$(sha256sum < envs/vllm-gpu.lock.txt | cut -d' ' -f1)
if [ -f "$venv/.pluralign-lock" ] && [ "$(cat "$venv/.pluralign-lock")" = "$want" ]; then
  exit 0
fi
echo "setup: creating $venv from envs/vllm-gpu.lock.txt (a few minutes, about 10 GB)" >&2
rm -rf "$venv"
python3.11 -m venv "$venv"
"$venv/bin/pip" install -q --no-deps -r envs/vllm-gpu.lock.txt 2>&1 | { grep -v "is ignored: it is neither" >&2 || true; }
# The repository itself goes on the path (an editable install without a build step).
"$venv/bin/python" -c "import site, sys; open(site.getsitepackages()[0] + '/pluralign.pth', 'w').write(sys.argv[1] + '\\n')" "$PWD"
# Fails loudly on a broken set; importing vllm needs no GPU (its platform is chosen when an engine starts).
"$venv/bin/python" -c "import torch, transformers, vllm"
echo "$want" > "$venv/.pluralign-lock"
echo "setup: $venv ready" >&2
