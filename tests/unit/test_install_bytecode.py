"""Every way of installing kplan leaves all bytecode compiled (issue 67.7): with PYTHONDONTWRITEBYTECODE set, as on CI
machines and this project's, a module without a current .pyc is compiled again by every kplan process (a fresh
clone's `make venv` installed the dependencies without theirs: `kplan --help` took 1.8 times the CPU).

Each install path makes a fresh virtualenv as it does: `make venv` (VENV pointed at a temporary directory), and the
wheel as the Dockerfile's own RUN lines build and install it, which is the `pip install`
docs/install-and-containers.md shows (no Docker engine here: its build stage's and final stage's commands run in a
fresh virtualenv, under the final stage's ENV, the only change being pip's cache, which the image build leaves out).
Then `kplan --help` and `kplan validate` run with PYTHONDONTWRITEBYTECODE=1 and PYTHONVERBOSE=1: Python says where
each module's code comes from, a current .pyc or the source; a module of the virtualenv or of kplan compiled from
its source was compiled at import. The dependencies come from uv's and pip's caches (or the package index), as `make
venv` and test_packaging.py take them."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from test_dockerfile import stages

pytestmark = pytest.mark.tools  # installs into fresh virtualenvs (a few minutes on 2 busy cores)

ROOT = Path(__file__).resolve().parents[2]
STACK = ROOT / "stacks" / "kafka-init.yaml"
CODE_FROM = re.compile(r"^# code object from '?(.+?)'?$", re.M)  # PYTHONVERBOSE's line for each module's code


def _env(**more: str) -> dict:
    drop = ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME", "PYTHONVERBOSE", "MAKEFLAGS", "MAKELEVEL", "MFLAGS")
    return {**{k: v for k, v in os.environ.items() if k not in drop}, "PYTHONDONTWRITEBYTECODE": "1",
            "NO_COLOR": "1", **more}


def _ok(cmd, **kw) -> subprocess.CompletedProcess:
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=900, stdin=subprocess.DEVNULL, **kw)
    assert done.returncode == 0, f"{cmd}: exit {done.returncode}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


def compiled_at_import(kplan: Path, roots: list[Path], cwd: Path) -> list[str]:
    """The modules under `roots` whose code `kplan --help` and `kplan validate STACK` compiled from source."""
    found: set[str] = set()
    for args in (["--help"], ["validate", str(STACK)]):
        done = _ok([str(kplan), *args], cwd=cwd, env=_env(PYTHONVERBOSE="1"))
        loaded = CODE_FROM.findall(done.stderr)
        assert len(loaded) > 50 and any(p.endswith(".pyc") for p in loaded), done.stderr[-2000:]  # it can see
        found |= {p for p in loaded if p.endswith(".py") and any(Path(p).is_relative_to(r) for r in roots)}
    return sorted(found)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel, built by the Dockerfile's build stage (its RUN line, in a copy of what it copies: the docs'
    `pip wheel --no-deps -w dist .` is the same build) with this interpreter's pip."""
    base = tmp_path_factory.mktemp("wheel")
    src, dist = base / "src", base / "dist"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    shutil.copytree(ROOT / "kplan", src / "kplan", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    build, _ = stages((ROOT / "Dockerfile").read_text())
    [run] = [args for word, args in build if word == "RUN"]
    assert run.startswith("pip wheel ") and run.endswith(" --wheel-dir /dist ."), run
    _ok([sys.executable, "-m", *run.replace("/dist", str(dist)).split()], cwd=src, env=_env())
    [built] = dist.glob("kplan-*.whl")
    return built


def test_make_venv_compiles_every_module_kplan_imports(tmp_path):
    venv = tmp_path / "venv"
    _ok(["make", "-s", "venv", f"VENV={venv}"], cwd=ROOT, env=_env())
    assert compiled_at_import(venv / "bin" / "kplan", [venv, ROOT / "kplan"], tmp_path) == []


def test_the_wheel_installed_as_the_docs_and_the_dockerfile_do_compiles_every_module_kplan_imports(tmp_path, wheel):
    """The Dockerfile's final stage, run in a fresh virtualenv under its ENV: its `pip install` of the wheel is the
    one docs/install-and-containers.md shows (with two flags that change nothing here), then the dataclasses' code
    compiled ahead. Then a module made stale shows that the check sees one compiled at import."""
    _, final = stages((ROOT / "Dockerfile").read_text())
    env = _env()
    for word, args in final:
        if word == "ENV":
            env.update(dict(re.findall(r"(\w+)=(\S+)", args)))
    assert env["PYTHONDONTWRITEBYTECODE"] == "1"
    [run] = [args for word, args in final if word == "RUN" and "pip install" in args]
    commands = [c.strip() for c in run.split("&&")]
    commands = [c for c in commands if c.startswith(("pip ", "python "))]  # not the clean-up, not useradd
    assert len(commands) == 2 and commands[0].startswith("pip install "), run
    documented = commands[0].replace(" --no-cache-dir --disable-pip-version-check", "").replace("/tmp/dist/", "dist/")
    assert documented == "pip install dist/kplan-*.whl"
    assert f"\n{documented} " in (ROOT / "docs" / "install-and-containers.md").read_text()
    venv = tmp_path / "venv"
    _ok([sys.executable, "-m", "venv", venv], env=env)
    for command in commands:  # pip's cache serves the dependencies: the image build keeps none
        line = command.replace("/tmp/dist/", f"{wheel.parent}/").replace(" --no-cache-dir", "")
        _ok(["sh", "-c", f"{venv}/bin/{line}"], cwd=tmp_path, env=env)
    kplan = venv / "bin" / "kplan"
    assert compiled_at_import(kplan, [venv], tmp_path) == []
    core = next(venv.glob("lib/python*/site-packages/click/core.py"))  # its source newer than its .pyc
    os.utime(core, (core.stat().st_atime, core.stat().st_mtime + 10))
    assert compiled_at_import(kplan, [venv], tmp_path) == [str(core)]
