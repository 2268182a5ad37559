"""Golden plans: each folder under tests/golden/plan/ holds a stack and a live state; the plan rendered three
ways must match the stored outputs byte for byte.

    <case>/stack.yaml   the stack (origins in the outputs are relative to the case folder)
    <case>/live.json    the live state (kplan.model.livejson format)
    <case>/env.json     optional: the environment (variables and ${secret:env:...} values)
    <case>/args.json    optional: {"environment": "prod", "destroy": true}
    -> plan.json (validated against schemas/plan.schema.json), plan.txt, plan.md

Regenerate after an intended change with `UPDATE_GOLDEN=1 pytest tests/test_golden_plan.py` and review the diff.
"""

from __future__ import annotations

import difflib
import json
import os
from pathlib import Path

import jsonschema
import pytest

from kplan.model.livejson import live_state_from_dict
from kplan.plan.planner import make_plan
from kplan.stackfile.references import resolve_stack_secrets
from kplan.render.json import render_json
from kplan.render.markdown import render_markdown
from kplan.render.text import render_text
from kplan.secrets import is_reference_only, is_sensitive_key
from kplan.stackfile import load_stack

ROOT = Path(__file__).resolve().parent
CASES = sorted(p for p in (ROOT / "golden" / "plan").iterdir() if (p / "stack.yaml").is_file())
SCHEMA = json.loads((ROOT.parent / "schemas" / "plan.schema.json").read_text())
UPDATE = os.environ.get("UPDATE_GOLDEN", "") not in ("", "0")


def _json(path: Path, default):
    return json.loads(path.read_text()) if path.is_file() else default


def _secrets(env: dict, live: dict) -> list[str]:
    """Every plaintext secret a case holds: sensitive-looking variables and live connector values."""
    values = [v for k, v in env.items() if is_sensitive_key(k)]
    for c in (live.get("connectors") or {}).values():
        values += [v for k, v in (c.get("config") or {}).items() if is_sensitive_key(k) and not is_reference_only(v)]
    return [v for v in values if len(v) >= 4]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_golden_plan(case: Path, monkeypatch):
    monkeypatch.chdir(case)
    env, args, live_doc = _json(case / "env.json", {}), _json(case / "args.json", {}), _json(case / "live.json", None)
    stack = load_stack("stack.yaml", environment=args.get("environment"), environ=env)
    plan = make_plan(stack, live_state_from_dict(live_doc), destroy=bool(args.get("destroy")),
                     secrets=resolve_stack_secrets(stack, env))
    outputs = {"plan.json": render_json(plan), "plan.txt": render_text(plan), "plan.md": render_markdown(plan)}

    jsonschema.Draft202012Validator(SCHEMA).validate(json.loads(outputs["plan.json"]))
    for name, text in outputs.items():
        for secret in _secrets(env, live_doc):
            assert secret not in text, f"{case.name}/{name} shows a secret"
        assert "\x1b[" not in text

    mismatched = []
    for name, text in outputs.items():
        path = case / name
        if UPDATE:
            path.write_text(text)
        elif not path.is_file() or path.read_text() != text:
            old = path.read_text().splitlines(keepends=True) if path.is_file() else []
            diff = "".join(difflib.unified_diff(old, text.splitlines(keepends=True), f"{name} (golden)", f"{name} (now)"))
            mismatched.append(diff or f"{name} is missing")
    assert not mismatched, f"{case.name}: outputs differ (UPDATE_GOLDEN=1 regenerates):\n" + "\n".join(mismatched)
