"""What kplan reads at run time ships in the wheel: every file under kplan/ that is not Python source is package
data (pyproject.toml's [tool.setuptools.package-data]), and the JSON schemas exist once, in kplan/schemas/ (the
top-level schemas/ is a symlink to it). tests/integration/test_packaging.py installs the wheel and runs it; this
catches a forgotten glob fast."""

from __future__ import annotations

import tomllib
from fnmatch import fnmatch
from pathlib import Path

import kplan

ROOT = Path(__file__).resolve().parents[2]


def test_every_data_file_under_kplan_is_package_data():
    globs = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["kplan"]
    data = [p.relative_to(ROOT / "kplan").as_posix() for p in (ROOT / "kplan").rglob("*")
            if p.is_file() and p.suffix not in (".py", ".pyc") and "__pycache__" not in p.parts]
    assert data, "no data files found"
    missing = [f for f in data if not any(fnmatch(f, g) for g in globs)]
    assert not missing, f"not package data (add a glob to pyproject.toml): {missing}"


def test_the_schemas_exist_once_in_the_package():
    # the top-level schemas/ (editors' `$schema=../schemas/...`, the docs' links) is the packaged directory itself,
    # not a copy that could drift
    top = ROOT / "schemas"
    assert top.is_symlink() and top.readlink() == Path("kplan/schemas"), top
    for name in ("stack", "plan", "policy"):
        assert (top / f"{name}.schema.json").is_file(), name


def test_the_version_is_written_once():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "version" not in project["project"] and "version" in project["project"]["dynamic"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "kplan.__version__"}
    assert kplan.__version__.count(".") == 2


def test_python_dash_m_kplan_is_the_command():
    """`python -m kplan` and the console script start at the same place (kplan.start: Ctrl-C guarded first)."""
    assert (ROOT / "kplan" / "__main__.py").read_text().count("from kplan.start import main") == 1
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert project["project"]["scripts"]["kplan"] == "kplan.start:main"
