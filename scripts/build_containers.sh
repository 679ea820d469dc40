#!/usr/bin/env bash
# Build the images of containers/<env>/ from the lock files: with Apptainer (the .def, into
# build/containers/pluralign-<env>.sif, where config `containers` points by default) or with Docker
# (the Dockerfile, tagged pluralign-<env>:<version> and pluralign-<env>:lock-<hash>).
#   scripts/build_containers.sh [--apptainer|--docker] [--dry-run] [main|vllm-gpu ...]
# The tool defaults to apptainer when it is installed, else docker; the environments default to all.
# <hash> is the sha256 of the recipes and of every file the Dockerfile copies (the locks and the install
# script), so an image is rebuilt exactly when what it installs changes. The base image's digest is read
# from containers/base-images.txt; when it is still unknown it is resolved here (docker pull or skopeo)
# and recorded there. --dry-run prints the commands and builds nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

tool='' dry_run='' envs=()
for arg in "$@"; do
  case "$arg" in
    --apptainer) tool=apptainer ;;
    --docker) tool=docker ;;
    --dry-run) dry_run=1 ;;
    -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "build_containers: unknown option $arg (see --help)" >&2; exit 2 ;;
    *) [ -d "containers/$arg" ] || { echo "build_containers: no recipe containers/$arg/" >&2; exit 2; }
       envs+=("$arg") ;;
  esac
done
[ ${#envs[@]} -gt 0 ] || envs=(main vllm-gpu)
if [ -z "$tool" ]; then
  if command -v apptainer >/dev/null; then tool=apptainer
  elif command -v docker >/dev/null; then tool=docker
  elif [ -n "$dry_run" ]; then tool=apptainer
  else echo "build_containers: neither apptainer nor docker is installed" >&2; exit 1
  fi
fi

run() { echo "+ $*" >&2; [ -n "$dry_run" ] || "$@"; }

# The files an image is made from: its two recipes and the sources of the Dockerfile's COPY lines.
inputs() {
  echo "containers/$1/Dockerfile"
  echo "containers/$1/Apptainer.def"
  awk '$1 == "COPY" { for (i = 2; i < NF; i++) print $i }' "containers/$1/Dockerfile"
}

lock_hash() {
  local file
  inputs "$1" | while read -r file; do
    [ -f "$file" ] || { echo "build_containers: $file (copied by containers/$1/Dockerfile) is missing" >&2; exit 1; }
    printf '%s\n' "$file"
    sha256sum < "$file"
  done | sha256sum | cut -d' ' -f1
}

# base-images.txt: "<tag> <digest or ->" on its one line that is not a comment.
read -r base_tag base_digest < <(grep -v '^#' containers/base-images.txt | grep -v '^[[:space:]]*$' | head -1)
base_digest=${base_digest:--}
if [ "$base_digest" = - ] && [ -z "$dry_run" ]; then
  if command -v docker >/dev/null && docker info >/dev/null 2>&1; then
    docker pull -q "$base_tag" >/dev/null
    base_digest=$(docker image inspect --format '{{index .RepoDigests 0}}' "$base_tag" | sed 's/.*@//')
  elif command -v skopeo >/dev/null; then
    base_digest=$(skopeo inspect --format '{{.Digest}}' "docker://$base_tag")
  fi
  if [[ "$base_digest" =~ ^sha256:[0-9a-f]{64}$ ]]; then
    awk -v tag="$base_tag" -v digest="$base_digest" '$1 == tag && $2 == "-" { sub(/-$/, digest) } { print }' \
      containers/base-images.txt > containers/base-images.txt.new
    mv containers/base-images.txt.new containers/base-images.txt
    echo "build_containers: recorded $base_tag@$base_digest in containers/base-images.txt: commit it" >&2
  else
    base_digest=-
    echo "build_containers: WARNING: could not resolve the digest of $base_tag (needs a docker engine or" \
         "skopeo); building from the tag alone, which can move" >&2
  fi
fi
# A reference with both a tag and a digest is refused by Apptainer: name@digest pins the same image.
base="$base_tag"
[ "$base_digest" = - ] || base="${base_tag%%:*}@$base_digest"

version=$(sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml)
for env in "${envs[@]}"; do
  hash=$(lock_hash "$env")
  args=(--build-arg "BASE_IMAGE=$base" --build-arg "VERSION=$version" --build-arg "LOCK_SHA256=$hash")
  if [ "$tool" = docker ]; then
    run docker build -f "containers/$env/Dockerfile" "${args[@]}" \
      -t "pluralign-$env:$version" -t "pluralign-$env:lock-${hash:0:12}" .
  else
    sif="build/containers/pluralign-$env.sif"
    # Rebuilt only when its inputs changed (the stamp holds the hash it was built from).
    if [ -f "$sif" ] && [ "$(cat "$sif.lock-sha256" 2>/dev/null)" = "$hash" ]; then
      echo "build_containers: $sif is up to date (lock-${hash:0:12})" >&2
      continue
    fi
    run mkdir -p build/containers
    fakeroot=()
    [ "$(id -u)" = 0 ] || fakeroot=(--fakeroot)
    run apptainer build "${fakeroot[@]}" --force "${args[@]}" "$sif" "containers/$env/Apptainer.def"
    [ -n "$dry_run" ] || echo "$hash" > "$sif.lock-sha256"
  fi
  echo "build_containers: $env: lock-${hash:0:12}, base $base" >&2
done
