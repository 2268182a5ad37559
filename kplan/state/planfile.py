"""Saved plans (`kplan plan -out FILE`, `kplan show FILE`): the plan's JSON document plus the kplan version.

A saved plan carries what apply needs to refuse a stale plan: the cluster id, the stack inputs' digest and a
fingerprint per changed resource (`kplan.plan.fingerprint`), with the document each was taken of (`fingerprinted`,
no secret), so that the refusal names what moved (`kplan.plan.stale`). It never holds a plaintext secret: the plan
itself holds none (values are masked or kept as unresolved `${...}` references, re-resolved at apply time).
"""

from __future__ import annotations

import json
import os

from kplan import __version__
from kplan.errors import KplanError
from kplan.model.plan import Plan
from kplan.plan.serialize import plan_from_dict, plan_to_dict
from kplan.secrets import scrub
from kplan.state.journal import write_atomically


def dumps_plan(plan: Plan, stack_path: str | None = None) -> str:
    """The saved-plan document; `stack_path` (as apply should find the stack from the plan file's folder) is
    recorded when given."""
    doc = plan_to_dict(plan)
    head = {"format_version": doc.pop("format_version"), "kplan_version": __version__}
    if stack_path is not None:
        head["stack_path"] = stack_path
    if plan.fingerprinted:
        doc["fingerprinted"] = dict(sorted(plan.fingerprinted.items()))
    for cluster, group in zip(doc.get("clusters") or (), plan.groups):
        if group.fingerprinted:
            cluster["fingerprinted"] = dict(sorted(group.fingerprinted.items()))
    return json.dumps({**head, **doc}, indent=2, ensure_ascii=False) + "\n"



def loads_plan(text: str, source: str = "plan") -> Plan:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise KplanError(f"{source} is not a kplan plan file: invalid JSON at line {e.lineno}: {e.msg}") from None
    try:
        return plan_from_dict(doc)
    except KplanError as e:
        raise KplanError(f"{source}: {e}") from None


def save_plan(plan: Plan, path: str, stack_path: str | None = None) -> None:
    """Write atomically (a reader never sees half a plan), readable by the owner only. `stack_path` (the stack
    the plan was made from) is stored relative to the plan file, so the two can move together."""
    directory = os.path.dirname(os.path.abspath(path))
    text = scrub(dumps_plan(plan, _relative(stack_path, directory) if stack_path else None))  # no known secret
    try:
        write_atomically(path, text.encode("utf-8"), ".kplan-plan-")
    except OSError as e:
        raise KplanError(f"cannot write the plan to {path}: {e.strerror or e}") from None


def load_plan(path: str) -> Plan:
    return loads_plan(_read(path), path)


def stack_path_of(path: str) -> str | None:
    """The stack a saved plan was made from, as a path usable from the current directory; None if not recorded."""
    try:
        recorded = json.loads(_read(path)).get("stack_path")
    except (ValueError, AttributeError):
        return None
    if not isinstance(recorded, str) or not recorded:
        return None
    if os.path.isabs(recorded):
        return recorded
    return os.path.relpath(os.path.join(os.path.dirname(os.path.abspath(path)), recorded))


def _read(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except OSError as e:
        raise KplanError(f"cannot read the plan {path}: {e.strerror or e}") from None
    except UnicodeDecodeError:
        raise KplanError(f"{path} is not a kplan plan file (not UTF-8 text)") from None


def _relative(stack_path: str, directory: str) -> str:
    try:
        return os.path.relpath(os.path.abspath(stack_path), directory)
    except ValueError:  # another drive (Windows)
        return os.path.abspath(stack_path)
