"""No function of kplan's is over 80 lines (issue 68): a longer one is split into steps that each say what they do.
Read from the sources (AST); nothing is run."""

from __future__ import annotations

import ast
from pathlib import Path

KPLAN = Path(__file__).resolve().parents[2] / "kplan"
MAX_LINES = 80


def long_functions(source: str, limit: int = MAX_LINES) -> list[tuple[str, int]]:
    """(name, lines) of each function (nested ones too) whose definition, decorators aside, spans more lines."""
    return [(n.name, n.end_lineno - n.lineno + 1) for n in ast.walk(ast.parse(source))
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.end_lineno - n.lineno + 1 > limit]


def test_no_function_in_kplan_is_over_80_lines():
    found = [f"{p.relative_to(KPLAN.parent)}: {name} ({lines} lines)" for p in sorted(KPLAN.rglob("*.py"))
             for name, lines in long_functions(p.read_text(encoding="utf-8"))]
    assert found == [], "split these functions (at most 80 lines each):\n" + "\n".join(found)


def test_the_check_counts_a_functions_lines():
    def method(lines: int) -> str:
        return "class C:\n    def g(self):\n" + "".join(f"        x{i} = {i}\n" for i in range(lines - 1))

    assert long_functions(method(80)) == []
    assert long_functions(method(81)) == [("g", 81)]
