"""The shape of the package, checked: the pure rooms (but for each kind's io) import no I/O library and no I/O room,
and do no I/O; the I/O rooms are the ones docs/architecture.md names. Read from the source (AST), so nothing is
imported."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

KPLAN = Path(__file__).resolve().parents[2] / "kplan"

PURE = ("model", "rules", "kinds", "plan", "render", "importer", "policy")
PURE_MODULES = ("secrets.py", "errors.py", "words.py", "ci/comment.py", "ci/context.py", "kinds/subject/attach.py",
                "operator/decide.py")
# the I/O rooms: the systems' packages (cluster, state) over their shared transport, and those above them
IO_PACKAGES = ("kplan.cluster", "kplan.state", "kplan.transport", "kplan.commands", "kplan.session", "kplan.apply",
               "kplan.stackfile", "kplan.operator")
IO_LIBRARIES = ("confluent_kafka", "requests", "socket", "subprocess", "tempfile", "shutil", "os", "urllib", "http")
IO_CALLS = ("open",)


def _is_kinds_io(path: Path) -> bool:
    """A kind's io (`kinds/<kind>/io.py` or `io/`): of a kind's modules, the one that does I/O (.importlinter)."""
    parts = path.relative_to(KPLAN).parts
    return parts[0] == "kinds" and len(parts) > 2 and (parts[2] == "io.py" or parts[2] == "io")


def _pure_files() -> list[Path]:
    files = [p for room in PURE for p in sorted((KPLAN / room).rglob("*.py")) if not _is_kinds_io(p)]
    return files + [KPLAN / m for m in PURE_MODULES]


def _type_checking_blocks(tree: ast.AST) -> set[int]:
    """ids of the nodes under `if TYPE_CHECKING:` (annotations only: the import contract does not count them)."""
    out: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            out.update(id(n) for stmt in node.body for n in ast.walk(stmt))
    return out


def _imports(tree: ast.AST) -> list[str]:
    out = []
    annotations_only = _type_checking_blocks(tree)
    for node in ast.walk(tree):
        if id(node) in annotations_only:
            continue
        if isinstance(node, ast.Import):
            out += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.append(node.module)
    return out


@pytest.mark.parametrize("path", _pure_files(), ids=lambda p: str(p.relative_to(KPLAN)))
def test_pure_rooms_do_no_io(path):
    tree = ast.parse(path.read_text(), str(path))
    for name in _imports(tree):
        assert name.split(".")[0] not in IO_LIBRARIES, f"{path.name} imports {name}"
        assert not name.startswith(IO_PACKAGES), f"{path.name} imports the I/O package {name}"
    calls = [n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)]
    assert not set(calls) & set(IO_CALLS), f"{path.name} calls {set(calls) & set(IO_CALLS)}"


def test_the_top_level_shows_the_pipeline():
    rooms = sorted(p.name for p in KPLAN.iterdir() if p.is_dir() and (p / "__init__.py").exists())
    assert rooms == ["apply", "ci", "cluster", "commands", "importer", "kinds", "model", "operator", "plan",
                     "policy", "render", "rules", "session", "stackfile", "state", "transport"]
    modules = sorted(p.name for p in KPLAN.glob("*.py"))
    assert modules == ["__init__.py", "__main__.py", "cli.py", "errors.py", "exiting.py", "secrets.py", "start.py",
                       "words.py"]

