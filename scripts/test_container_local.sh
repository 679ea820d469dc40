#!/usr/bin/env bash
# Build the main image for real on a machine that reaches only Debian's and PyPI's servers, and run the
# tiny test DAG inside it: its results must be byte-identical to the same DAG run outside.
#   sudo scripts/test_container_local.sh          (root: installs podman, runc and debootstrap with apt)
# 1. debootstrap a bookworm root file system with python3.11 and venv, import it into podman as the base
#    image (no registry image can be pulled here; the Dockerfile takes BASE_IMAGE). debootstrap does not
#    resolve the dependencies of --include fully: python3-pip brings python3.11-venv's distutils and wheels;
# 2. build pluralign-main from containers/main/Dockerfile, unchanged;
# 3. run the tiny DAG twice in scratch folders, inside the image and outside it, and compare every
#    result file (tests/dag.py: what two correct runs must agree on).
# Podman runs rootful with the vfs driver, runc and explicit ulimits: inside this kind of sandbox crun
# cannot set the default limits or drive hybrid cgroups. Takes 20-30 minutes (a 4 GB download of
# locked wheels, two tiny DAG runs); not part of `make test` (containers/README.md has the last result).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
state=${PLURALIGN_CONTAINER_STATE:-/var/tmp/pluralign-containers}
mkdir -p "$state"
export CONTAINERS_CONF="$state/containers.conf"
cat > "$CONTAINERS_CONF" <<'EOF'
[containers]
default_ulimits = []
netns = "host"
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
runtime = "runc"
EOF
podman=(podman --storage-driver vfs --root "$state/storage")
limits=(--ulimit nofile=20000:20000 --ulimit nproc=32768:32768)

if ! command -v podman >/dev/null || ! command -v debootstrap >/dev/null || ! command -v runc >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q podman runc debootstrap >/dev/null
fi

base=localhost/pluralign-base:bookworm-python3.11
if ! "${podman[@]}" image exists "$base"; then
  echo "container: debootstrap bookworm (python3.11, venv) -> $base" >&2
  rootfs=$(mktemp -d "$state/rootfs.XXXX")
  debootstrap --variant=minbase --include=python3.11,python3.11-venv,python3-pip,ca-certificates \
    bookworm "$rootfs" http://deb.debian.org/debian >"$state/debootstrap.log"
  # A machine whose HTTPS goes through an inspecting proxy trusts extra CAs: the local base trusts them
  # too, and pip (whose own bundle ignores the system's) is pointed at the system bundle. Only the base
  # image changes; the Dockerfile is built as it is.
  if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
    cp /usr/local/share/ca-certificates/*.crt "$rootfs/usr/local/share/ca-certificates/"
    chroot "$rootfs" update-ca-certificates >/dev/null
    printf '[global]\ncert = /etc/ssl/certs/ca-certificates.crt\n' > "$rootfs/etc/pip.conf"
  fi
  tar -C "$rootfs" -c . | "${podman[@]}" import - "$base" >/dev/null
  rm -rf "$rootfs"
fi

image=localhost/pluralign-main:local
echo "container: building $image from containers/main/Dockerfile" >&2
start=$(date +%s)
"${podman[@]}" build -q --network host "${limits[@]}" --build-arg BASE_IMAGE="$base" \
  -t "$image" -f containers/main/Dockerfile . >/dev/null
echo "container: built in $(( $(date +%s) - start )) s" >&2

# The tiny DAG needs the embedded models the main environment materialises (make models).
[ -f resources/models/smollm2-135m-instruct/config.json ] || make models
work=$(mktemp -d "$state/dag.XXXX")
.venv/bin/python - "$work" "$root" "$image" "${podman[*]}" "${limits[*]}" <<'PY'
import json, shlex, subprocess, sys, time
from pathlib import Path

from tests.dag import CONFIGS, differences, link_work, result_digests, snakemake

work, root, image, podman, limits = Path(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
inside, outside = link_work(work / "inside"), link_work(work / "outside")
start = time.time()
# The checkout and the scratch folder at their own paths, so the scratch folder's links resolve inside.
subprocess.run([*shlex.split(podman), "run", "--rm", *shlex.split(limits), "-v", f"{root}:{root}:ro",
                "-v", f"{work}:{work}", "-w", str(inside), "-e", "HF_HUB_OFFLINE=1", image,
                "snakemake", "--configfile", *CONFIGS, "--cores", "2"], check=True,
               stdout=subprocess.DEVNULL)
print(f"container: tiny DAG inside the image: {time.time() - start:.0f} s", file=sys.stderr)
start = time.time()
snakemake(outside)
print(f"container: tiny DAG outside: {time.time() - start:.0f} s", file=sys.stderr)
expected, got = result_digests(outside), result_digests(inside)


def version(*command):
    return subprocess.run(command, capture_output=True, text=True).stdout.split("\n")[0].strip()


# Two differences are the environments', not the code's, and are allowed when they are all there is:
# each manifest records the Python version (the image has Debian's), and PersoPilot's screenshots are
# drawn by chromium, which follows bookworm's updates (unpinned, containers/README.md).
browsers = (version("chromium", "--version"),
            version(*shlex.split(podman), "run", "--rm", image, "chromium", "--version"))
SCREENSHOT = "figure_screenshot"


def without_environment(path: Path):
    def walk(node):
        if isinstance(node, dict):
            return {k: walk(v) for k, v in node.items() if k != "python" and SCREENSHOT not in k}
        return [walk(v) for v in node] if isinstance(node, list) else node
    return walk(json.loads(path.read_text()))


unexplained, explained = [], []
for rel in sorted(k for k in expected.keys() & got.keys() if expected[k] != got[k]):
    if rel.endswith("manifest.json") and without_environment(outside / "results" / rel) == \
            without_environment(inside / "results" / rel):
        explained.append(f"{rel} (Python version, screenshot hashes)")
    elif SCREENSHOT in rel and browsers[0] != browsers[1]:
        explained.append(f"{rel} ({browsers[1]} inside, {browsers[0]} outside)")
    else:
        unexplained.append(rel)
absent = [line for line in differences(expected, got) if not line.endswith("different bytes")]
assert not absent, "files missing or extra inside the image:\n" + "\n".join(absent)
assert not unexplained, f"{len(unexplained)} file(s) differ inside the image: " + ", ".join(unexplained)
print(f"container: {len(got) - len(explained)} of {len(got)} result files byte-identical inside and outside "
      f"the image; {len(explained)} differ by the environment alone:\n  " + "\n  ".join(explained))
PY
rm -rf "$work"
