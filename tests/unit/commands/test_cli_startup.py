"""`kplan --help` and `--version` must stay fast: they may not import the heavy libraries."""

import subprocess
import sys

import pytest

HEAVY = ("confluent_kafka", "jinja2")


def _imported_modules(*args: str) -> set[str]:
    code = (
        "import sys\n"
        "from kplan.cli import main\n"
        "try:\n"
        f"    main({list(args)!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('\\n'.join(sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return set(out.split())


@pytest.mark.parametrize("args", [("--help",), ("plan", "--help"), ("show", "--help")], ids=" ".join)
def test_help_imports_no_heavy_library(args):
    mods = _imported_modules(*args)
    assert not [m for m in mods if m.split(".")[0] in HEAVY]


def test_version_imports_no_heavy_library():
    mods = _imported_modules("--version")
    assert not [m for m in mods if m.split(".")[0] in HEAVY]


def test_version_prints_the_package_version():
    from kplan import __version__

    out = subprocess.run([sys.executable, "-m", "kplan.cli", "--version"], capture_output=True, text=True)
    assert out.returncode == 0
    assert __version__ in out.stdout
