"""Golden cases for every pure stage: one case format, one runner (tests/golden/README.md says more).

    tests/golden/<kind>/<case>/case.json   what to run (the same keys for every kind; absent keys default):
        "stack"          the stack file or directory, relative to where the case runs ("stack.yaml")
        "run_from"       "case": run from the case folder (default); "repo": from the repository root, for the
                         stacks of stacks/ (origins in the outputs are relative to it)
        "environment"    the environment overlay (null)
        "environ"        the variables the stack sees, instead of the process environment ({})
        "destroy"        plan a destroy (false)
        "template_dirs"  extra CDC template folders ([])
        "allow_unreadable"  the declared systems the run may go on without (`--allow-unreadable`, ["connect:NAME"])
        "rebalance"      `kplan plan --rebalance/--elect-leaders` (null): {"rebalance", "elect_leaders", "topics",
                         "throttle", "leaders": {topic: the leader of each partition}} (kplan.kinds.rebalancing)
    <case>/live.json   the live state (kplan.kinds.livejson format), for every kind but render and policy

Kinds and their expected outputs:
    render   expected.yaml (`kplan render`; absent when the stack is invalid), expected.diagnostics (every
             diagnostic line, errors and warnings; absent when there are none)
    plan     plan.json (validated against schemas/plan.schema.json), plan.txt, plan.md
    status   status.txt, status.json (the `kplan status` report)
    steps    steps.json (the ordered apply steps with their before-images, as journaled)
    policy   diagnostics.txt (`kplan validate` with the stack's policy: every line, then valid/invalid and counts)

Every output of every case is checked for the case's secrets (see `canaries`) and for ANSI escapes.
Regenerate after an intended change with `UPDATE_GOLDEN=1 pytest tests/test_golden.py` and review the diff.
"""

from __future__ import annotations

import difflib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import jsonschema
import pytest

from kplan.kinds.livejson import live_state_from_dict
from kplan.secrets import SECRET_REF, is_reference_only, is_sensitive_key
from kplan.stackfile import validate_stack

REPO = Path(__file__).resolve().parent.parent
GOLDEN = REPO / "tests" / "golden"
PLAN_SCHEMA = json.loads((REPO / "schemas" / "plan.schema.json").read_text())
UPDATE = os.environ.get("UPDATE_GOLDEN", "") not in ("", "0")

DEFAULTS: dict[str, Any] = {"stack": "stack.yaml", "run_from": "case", "environment": None, "environ": {},
                            "destroy": False, "template_dirs": [], "allow_unreadable": [], "rebalance": None}


@dataclass(frozen=True)
class Case:
    kind: str
    dir: Path
    spec: dict[str, Any]

    @classmethod
    def load(cls, kind: str, folder: Path) -> "Case":
        spec = json.loads((folder / "case.json").read_text()) if (folder / "case.json").is_file() else {}
        return cls(kind, folder, {**DEFAULTS, **spec})

    @property
    def id(self) -> str:
        return f"{self.kind}/{self.dir.name}"

    @property
    def cwd(self) -> Path:
        return REPO if self.spec["run_from"] == "repo" else self.dir

    @property
    def environ(self) -> dict[str, str]:
        return self.spec["environ"]

    def live_doc(self) -> dict | None:
        path = self.dir / "live.json"
        return json.loads(path.read_text()) if path.is_file() else None

    def validate_stack(self):
        """(Stack or None, diagnostics); run with the working directory at `cwd`."""
        return validate_stack(self.spec["stack"], self.spec["environment"], self.environ, self.spec["template_dirs"])

    def stack(self):
        stack, diagnostics = self.validate_stack()
        assert stack is not None, f"{self.id}: the stack is invalid:\n" + "\n".join(d.located() for d in diagnostics)
        return stack

    def live(self):
        """The live state; for a stack with several clusters (a plan case), `{"clusters": {name: state}}` in
        live.json gives {name: LiveState}."""
        doc = self.live_doc()
        assert doc is not None, f"{self.id}: a {self.kind} case needs live.json"
        if isinstance(doc.get("clusters"), dict):
            return {name: live_state_from_dict(state) for name, state in doc["clusters"].items()}
        return live_state_from_dict(doc)

    def stack_texts(self) -> list[str]:
        path = self.cwd / self.spec["stack"]
        files = sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml")) if path.is_dir() else [path]
        return [p.read_text() for p in files if p.is_file()]


# -- the stages: each returns {output file name: text, or None when the file must not exist} ----------------------


def run_render(case: Case) -> dict[str, str | None]:
    from kplan.stackfile.export import dump, stack_data

    stack, diagnostics = case.validate_stack()
    return {"expected.yaml": dump(stack_data(stack), "yaml") if stack is not None else None,
            "expected.diagnostics": "".join(d.located() + "\n" for d in diagnostics) or None}


def run_policy(case: Case) -> dict[str, str | None]:
    stack, diagnostics = validate_stack(case.spec["stack"], case.spec["environment"], case.environ,
                                        case.spec["template_dirs"], with_policy=True)
    errors = sum(d.is_error for d in diagnostics)
    summary = f"{'valid' if stack is not None else 'invalid'}: {errors} errors, {len(diagnostics) - errors} warnings"
    assert (stack is None) == (errors > 0), f"{case.id}: a stack with errors must not load (and one without must)"
    return {"diagnostics.txt": "".join(d.located() + "\n" for d in diagnostics) + summary + "\n"}


def run_plan(case: Case) -> dict[str, str | None]:
    from kplan.render import render_json
    from kplan.render.markdown import render_markdown
    from kplan.render.text import render_text

    plan = _plan(case, case.stack(), case.live())
    return {"plan.json": render_json(plan), "plan.txt": render_text(plan), "plan.md": render_markdown(plan)}


def run_status(case: Case) -> dict[str, str | None]:
    from kplan.render.status import render_status

    report = status_report(case.stack(), case.live(), case.environ, frozenset(case.spec["allow_unreadable"]))
    return {"status.txt": render_status(report, "text"), "status.json": render_status(report, "json")}


def run_steps(case: Case) -> dict[str, str | None]:
    stack, live = case.stack(), case.live()
    plan = _plan(case, stack, live)
    assert not plan.has_errors, f"{case.id}: apply refuses a plan with errors: {[d.message for d in plan.errors]}"
    steps = journaled_steps(plan, stack, live, case.spec["destroy"])
    return {"steps.json": json.dumps(steps, indent=2, sort_keys=True, ensure_ascii=False) + "\n"}


def _plan(case: Case, stack, live):
    from kplan.plan.clusters import combine
    from kplan.plan.planner import make_plan
    from kplan.stackfile.references import resolve_stack_secrets

    if stack.multi_cluster:  # one plan per cluster, combined as `kplan plan` combines them
        assert isinstance(live, dict), f"{case.id}: a stack with several clusters needs live.json's `clusters`"
        return combine([(m.cluster_name, _plan(case, m, live[m.cluster_name])) for m in stack.members])

    plan = make_plan(stack, live, destroy=case.spec["destroy"], secrets=resolve_stack_secrets(stack, case.environ),
                     allow_unreadable=frozenset(case.spec["allow_unreadable"]))
    asked = case.spec["rebalance"]
    if asked is None:
        return plan
    from kplan.kinds import rebalancing
    from kplan.model.rebalance import RebalanceRequest

    request = RebalanceRequest(rebalance=asked.get("rebalance", False), elect_leaders=asked.get("elect_leaders", False),
                               topics=tuple(asked.get("topics", ())), throttle=asked.get("throttle"))
    leaders = asked.get("leaders")
    return rebalancing().planned(plan, stack, live, request,
                                 {t: tuple(ls) for t, ls in leaders.items()} if leaders else None)


# -- adapters: the only places the runner builds the status report and touches the apply steps -----------------


def status_report(stack, live, environ, allow_unreadable: frozenset[str] = frozenset()):
    """The report `kplan status` shows: the stack's secret references resolved once, the plan against the live
    state (`allow_unreadable`: --allow-unreadable), traces scrubbed of the resolved values (as the command does)."""
    from kplan.plan.planner import make_plan
    from kplan.plan.status import build_status
    from kplan.stackfile.references import resolve_stack_secrets

    secrets = resolve_stack_secrets(stack, environ)
    plan = make_plan(stack, live, secrets=secrets, allow_unreadable=allow_unreadable)
    return build_status(stack, live, plan, secrets=secrets.plaintexts())


def journaled_steps(plan, stack, live, destroy: bool) -> list[dict]:
    """The apply steps as the journal holds them, in order: kind, args, before-image, irreversible (the ownership
    record step included). The one place this runner knows the step objects' shape."""
    from kplan.apply.steps import build

    assert plan.destroy == destroy
    return [step.to_json() for step in build(plan, stack, live).steps]


KINDS: dict[str, tuple[Callable[[Case], dict[str, str | None]], tuple[str, ...]]] = {
    # kind: (stage, every output it writes)
    "render": (run_render, ("expected.yaml", "expected.diagnostics")),
    "plan": (run_plan, ("plan.json", "plan.txt", "plan.md")),
    "status": (run_status, ("status.txt", "status.json")),
    "steps": (run_steps, ("steps.json",)),
    "policy": (run_policy, ("diagnostics.txt",)),
}
MIN_CASES = {"render": 5, "plan": 10, "status": 6, "steps": 4, "policy": 12}
NO_LIVE_STATE = ("render", "policy")
ALL_OUTPUTS = {name for _, outputs in KINDS.values() for name in outputs}
LEGACY_INPUTS = ("env.json", "args.json")  # folded into case.json

CASES = [Case.load(kind, folder) for kind in KINDS if (GOLDEN / kind).is_dir()
         for folder in sorted(p for p in (GOLDEN / kind).iterdir() if p.is_dir())]


# -- checks on every output ----------------------------------------------------------------------------------------


def canaries(case: Case) -> set[str]:
    """Every plaintext secret the case holds: the variables of `environ` that look sensitive or that the stack
    uses as `${secret:env:NAME}`, and the plaintext values of sensitive keys written in the stack or in the live
    connector configs (a value that is only a reference holds no secret)."""
    env = case.environ
    texts = case.stack_texts()
    names = {k for k in env if is_sensitive_key(k)}
    names |= {m["target"] for text in texts for m in SECRET_REF.finditer(text) if m["kind"] == "env"}
    values = [env[n] for n in names if n in env]
    for text in texts:
        values += _sensitive_values(_yaml(text))
    for connector in ((case.live_doc() or {}).get("connectors") or {}).values():
        values += _sensitive_values(connector.get("config") or {})
    return {v for v in values if len(v) >= 4}


def _sensitive_values(node: Any) -> list[str]:
    """The plaintext values of sensitive keys anywhere in a parsed document."""
    if isinstance(node, list):
        return [v for item in node for v in _sensitive_values(item)]
    if not isinstance(node, dict):
        return []
    out = []
    for k, v in node.items():
        if isinstance(v, str) and isinstance(k, str) and is_sensitive_key(k) and not is_reference_only(v):
            out.append(v)
        out += _sensitive_values(v)
    return out


def _yaml(text: str) -> Any:
    import yaml

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:  # an invalid stack (a render case of errors): nothing to find
        return None


def check_output(case: Case, name: str, text: str) -> None:
    for secret in sorted(canaries(case)):
        assert secret not in text, f"{case.id}/{name} shows the secret {secret!r}"
    assert "\x1b[" not in text, f"{case.id}/{name} has ANSI escapes"
    if name == "plan.json":
        jsonschema.Draft202012Validator(PLAN_SCHEMA).validate(json.loads(text))
    elif name.endswith(".json"):
        json.loads(text)


def compare(case: Case, outputs: dict[str, str | None]) -> list[str]:
    """Write the outputs (UPDATE_GOLDEN) or diff them with the stored ones; returns the differences."""
    mismatched = []
    for name, text in outputs.items():
        path = case.dir / name
        if UPDATE:
            if text is not None:
                path.write_text(text)
            elif path.exists():
                path.unlink()
            continue
        old = path.read_text() if path.is_file() else None
        if old == text:
            continue
        if text is None:
            mismatched.append(f"{name} should not exist")
        elif old is None:
            mismatched.append(f"{name} is missing")
        else:
            diff = difflib.unified_diff(old.splitlines(keepends=True), text.splitlines(keepends=True),
                                        f"{name} (golden)", f"{name} (now)")
            mismatched.append("".join(diff))
    return mismatched


# -- the tests -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_golden(case: Case, monkeypatch):
    stage, expected_names = KINDS[case.kind]
    monkeypatch.chdir(case.cwd)
    outputs = stage(case)
    assert set(outputs) == set(expected_names)
    for name, text in outputs.items():
        if text is not None:
            check_output(case, name, text)
    mismatched = compare(case, outputs)
    assert not mismatched, f"{case.id}: outputs differ (UPDATE_GOLDEN=1 regenerates):\n" + "\n".join(mismatched)


def test_every_kind_has_cases_and_every_folder_is_a_kind():
    assert sorted(p.name for p in GOLDEN.iterdir() if p.is_dir()) == sorted(KINDS)
    for kind, least in MIN_CASES.items():
        assert sum(c.kind == kind for c in CASES) >= least, f"too few {kind} cases"


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case_folder_is_well_formed(case: Case):
    assert (case.dir / "case.json").is_file(), f"{case.id}: no case.json"
    spec = json.loads((case.dir / "case.json").read_text())
    assert set(spec) <= set(DEFAULTS), f"{case.id}/case.json: unknown keys {sorted(set(spec) - set(DEFAULTS))}"
    assert spec.get("run_from", "case") in ("case", "repo")
    assert not (case.spec["destroy"] and case.kind in ("render", "status", "policy")), \
        f"{case.id}: {case.kind} has no destroy"
    assert (case.cwd / case.spec["stack"]).exists(), f"{case.id}: no stack {case.spec['stack']}"
    assert (case.dir / "live.json").is_file() == (case.kind not in NO_LIVE_STATE), \
        f"{case.id}: live.json is for every kind but {' and '.join(NO_LIVE_STATE)}"
    stray = [p.name for p in case.dir.iterdir()
             if p.name in LEGACY_INPUTS or (p.name in ALL_OUTPUTS and p.name not in KINDS[case.kind][1])]
    assert not stray, f"{case.id}: files this kind neither reads nor writes: {stray}"
