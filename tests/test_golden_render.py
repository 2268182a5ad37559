"""Golden cases for stack expansion: stack in, rendered resources out. One runner over tests/golden/render/<case>/.

A case folder holds either `stack.yaml` or a `stack/` directory (run from the case folder), or a `case.json`
naming a stack of the repository (`{"stack": "stacks/cdc-postgres.yaml"}`, run from the repository root), plus
optionally in `case.json`: "environment", "environ" (the variables seen, instead of the process environment)
and "template_dirs". Expected output:

  expected.yaml         `kplan render` of the stack (absent when the stack is invalid)
  expected.diagnostics  every diagnostic line, errors and warnings (absent when there are none)

Regenerate after an intended change with `UPDATE_GOLDEN=1 pytest tests/test_golden_render.py` and review the diff.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from kplan.stackfile import validate_stack
from kplan.stackfile.export import dump, stack_data

ROOT = Path(__file__).resolve().parent.parent
CASES_DIR = ROOT / "tests" / "golden" / "render"
CASES = sorted(p for p in CASES_DIR.iterdir() if p.is_dir()) if CASES_DIR.is_dir() else []
UPDATE = os.environ.get("UPDATE_GOLDEN", "") not in ("", "0")


def run_case(case: Path) -> tuple[str | None, str]:
    spec = json.loads((case / "case.json").read_text()) if (case / "case.json").exists() else {}
    if "stack" in spec:
        cwd, stack_path = ROOT, spec["stack"]
    else:
        cwd, stack_path = case, "stack.yaml" if (case / "stack.yaml").exists() else "stack"
    old = os.getcwd()
    os.chdir(cwd)
    try:
        stack, diags = validate_stack(stack_path, spec.get("environment"), spec.get("environ", {}),
                                      spec.get("template_dirs", ()))
    finally:
        os.chdir(old)
    rendered = dump(stack_data(stack), "yaml") if stack is not None else None
    return rendered, "".join(d.located() + "\n" for d in diags)


def _compare(path: Path, actual: str | None) -> None:
    if UPDATE:
        if actual:
            path.write_text(actual)
        elif path.exists():
            path.unlink()
        return
    expected = path.read_text() if path.exists() else None
    assert actual == expected, f"{path.relative_to(ROOT)} differs (UPDATE_GOLDEN=1 regenerates it)"


def test_there_are_golden_cases():
    assert len(CASES) >= 5


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_golden_render(case: Path):
    rendered, diagnostics = run_case(case)
    _compare(case / "expected.yaml", rendered)
    _compare(case / "expected.diagnostics", diagnostics or None)
