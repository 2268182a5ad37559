"""The writer's systems stay apart: the schema registry's I/O (the subject kind's, `kplan.kinds.subject.io`) and
`kplan.cluster` do not import each other (their shared REST client is `kplan.transport.http`; their Kafka clients,
retries and deadlines are `kplan.transport`'s, and what uses both is composed above them, in `kplan.session.systems`),
and each system writer has its own module. Read from the source (AST), so nothing is imported."""

from __future__ import annotations

import ast
from pathlib import Path

KPLAN = Path(__file__).resolve().parents[2] / "kplan"



def _imports(path: Path) -> set[str]:
    out = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
    return out


def _uses(package: str, of: str) -> set[tuple[str, str]]:
    return {(p.name, name) for p in sorted((KPLAN / package).glob("*.py")) for name in _imports(p)
            if name == of or name.startswith(of + ".")}


def test_the_registry_does_not_import_the_cluster_package():
    assert not _uses("kinds/subject/io", "kplan.cluster")


def test_the_cluster_package_does_not_import_the_registry():
    assert not _uses("cluster", "kplan.kinds.subject")


def test_the_transport_knows_neither_cluster_nor_registry():
    assert not _uses("transport", "kplan.cluster") | _uses("transport", "kplan.kinds.subject") | _uses(
        "transport", "kplan.apply")
