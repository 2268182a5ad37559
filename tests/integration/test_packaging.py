"""kplan works outside this repository (issue 14, packaging): the wheel, installed into a clean virtualenv outside
the checkout, runs from another directory with nothing of the checkout on its path — `kplan --version`,
`python -m kplan --version`, `kplan validate` and `kplan render` of a CDC stack (the Jinja templates are package
data), and both JSON schemas load from the installed package.

It builds the wheel from a copy of what the wheel is made of (pyproject.toml, README.md, kplan/), so a file kplan
reads at run time that is not package data fails here, and the checkout gets no build/ directory. The dependencies
come from the package index (or pip's cache); the test prints how long the install took. Marked `integration` (it
takes a minute), so `make unit` leaves it out and `make test` runs it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

import kplan

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.integration


def _run(cmd: list, cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess:
    # nothing of the checkout on the path: no PYTHONPATH, a cwd outside it, no virtualenv of ours
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    env["NO_COLOR"] = "1"
    return subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)


def _ok(proc: subprocess.CompletedProcess) -> str:
    assert proc.returncode == 0, f"{proc.args}: exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> dict:
    base = tmp_path_factory.mktemp("packaging")
    assert ROOT not in base.parents
    src = base / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    shutil.copytree(ROOT / "kplan", src / "kplan", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    started = time.monotonic()
    _ok(_run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", base / "dist", src], cwd=base))
    built = time.monotonic()
    wheels = sorted((base / "dist").glob("kplan-*.whl"))
    assert len(wheels) == 1, wheels
    venv = base / "venv"
    _ok(_run([sys.executable, "-m", "venv", venv], cwd=base))
    py = venv / "bin" / "python"
    made = time.monotonic()
    _ok(_run([py, "-m", "pip", "install", "-q", "--disable-pip-version-check", wheels[0]], cwd=base))
    done = time.monotonic()
    print(f"\nwheel built in {built - started:.1f}s, virtualenv made in {made - built:.1f}s, "
          f"wheel installed with its dependencies in {done - made:.1f}s")
    work = base / "work"
    work.mkdir()
    return {"venv": venv, "py": py, "kplan": venv / "bin" / "kplan", "work": work, "wheel": wheels[0]}


def test_the_installed_kplan_is_the_wheels_not_the_checkouts(installed):
    where = _ok(_run([installed["py"], "-c", "import kplan, sys; print(kplan.__file__); print(sys.path)"],
                     cwd=installed["work"]))
    module, path = where.splitlines()
    assert Path(module).is_relative_to(installed["venv"]), module
    assert str(ROOT) not in path


def test_version_from_one_place(installed):
    assert installed["wheel"].name.startswith(f"kplan-{kplan.__version__}-")
    expected = f"kplan, version {kplan.__version__}"
    assert _ok(_run([installed["kplan"], "--version"], cwd=installed["work"])).strip() == expected
    assert _ok(_run([installed["py"], "-m", "kplan", "--version"], cwd=installed["work"])).strip() == expected
    meta = _ok(_run([installed["py"], "-c", "from importlib.metadata import version; print(version('kplan'))"],
                    cwd=installed["work"]))
    assert meta.strip() == kplan.__version__


def test_validate_and_render_a_cdc_stack_from_another_directory(installed):
    work = installed["work"]
    shutil.copy2(ROOT / "stacks" / "cdc-postgres.yaml", work / "cdc.yaml")
    out = _ok(_run([installed["kplan"], "validate", "cdc.yaml"], cwd=work))
    assert "valid" in out.lower(), out
    rendered = json.loads(_ok(_run([installed["py"], "-m", "kplan", "render", "cdc.yaml", "--format", "json"],
                                   cwd=work)))
    text = json.dumps(rendered)
    assert "io.debezium.connector.postgresql.PostgresConnector" in text  # the postgres.j2 template ran
    assert "demo.public.orders" in text


def test_the_schemas_load_from_the_installed_package(installed):
    script = ("import json, importlib.resources as r\n"
              "from kplan.stackfile.schema import load_schema\n"
              "assert load_schema()['$schema']\n"
              "for name in ('stack', 'plan', 'policy'):\n"
              "    t = r.files('kplan').joinpath(f'schemas/{name}.schema.json').read_text(encoding='utf-8')\n"
              "    json.loads(t)\n"
              "    print(name, len(t.encode()))\n")
    out = _ok(_run([installed["py"], "-c", script], cwd=installed["work"]))
    sizes = dict(line.split() for line in out.splitlines())
    for name in ("stack", "plan", "policy"):
        assert int(sizes[name]) == len((ROOT / "schemas" / f"{name}.schema.json").read_bytes())
