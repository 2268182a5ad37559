"""What the operator does with a KafkaStack, decided from the resource and its plan alone (pure).

The review flow, as a GitOps repository states it in the resource's annotations (annotations, not `spec`: the spec
is exactly a stack file's content, and an annotation changes nothing kplan plans):
- `kplan.dev/approve: <fingerprint>` applies the plan whose fingerprint the status shows, and no other: a changed
  spec or a cluster that moved makes another plan, with another fingerprint, which the old approval does not name;
- `kplan.dev/auto-apply: "true"` applies every plan without review;
- `kplan.dev/secrets: name[,name...]`: Kubernetes Secrets (same namespace) whose keys are the environment the
  stack's `${secret:env:KEY}` references and `${VAR}` interpolations read;
- `kplan.dev/environment: NAME`: the stack's environment overlay (`-e NAME`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any, Mapping

PREFIX = "kplan.dev/"
APPROVE, AUTO_APPLY, SECRETS, ENVIRONMENT = (PREFIX + k for k in ("approve", "auto-apply", "secrets", "environment"))
FINALIZER = "kplan.dev/destroy"


@dataclass(frozen=True)
class Wishes:
    """What the resource asks of the operator (its annotations), as read."""

    approve: str
    auto_apply: bool
    secrets: tuple[str, ...]
    environment: str | None

    @classmethod
    def of(cls, resource: Mapping[str, Any]) -> "Wishes":
        notes = resource.get("metadata", {}).get("annotations") or {}
        return cls(approve=notes.get(APPROVE, "").strip(),
                   auto_apply=notes.get(AUTO_APPLY, "").strip().lower() == "true",
                   secrets=tuple(s.strip() for s in notes.get(SECRETS, "").split(",") if s.strip()),
                   environment=notes.get(ENVIRONMENT, "").strip() or None)


def key_of(resource: Mapping[str, Any]) -> tuple:
    """What a reconcile depends on: a watch event that changes none of it (the operator's own status write) needs
    none."""
    meta = resource.get("metadata", {})
    return meta.get("generation"), Wishes.of(resource), bool(meta.get("deletionTimestamp"))


def _stripped(value: Any) -> Any:
    """A plan document without where its lines were read from (the operator's own copy of the spec)."""
    if isinstance(value, dict):
        return {k: _stripped(v) for k, v in value.items() if k != "origin"}
    if isinstance(value, list):
        return [_stripped(v) for v in value]
    return value


def plan_fingerprint(doc: Mapping[str, Any]) -> str:
    """The fingerprint of a plan's JSON document (kplan.plan.serialize): every change, the live resources' own
    fingerprints it was made against, the stack inputs' digest and the cluster's id; the same plan made again
    (another round, another replica) has the same one."""
    text = json.dumps(_stripped(dict(doc)), sort_keys=True, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def should_apply(wishes: Wishes, fingerprint: str, has_changes: bool, has_errors: bool) -> bool:
    return has_changes and not has_errors and (wishes.auto_apply or wishes.approve == fingerprint)


def resumes(wishes: Wishes, applying: Mapping[str, Any], generation: int | None) -> bool:
    """Whether the run a dead leader left unfinished is finished rather than rolled back: the resource still
    approves the plan that run applied (`status.applying`: its fingerprint approved, or auto-apply) and its spec is
    the one that plan was made of (its generation). The run's journal says what is left of that plan."""
    fingerprint = applying.get("fingerprint")
    return bool(fingerprint) and applying.get("generation") == generation and (
        wishes.auto_apply or wishes.approve == fingerprint)


def drifted(before: Mapping[str, Any], generation: int | None, inputs: str | None, has_changes: bool,
            has_errors: bool) -> bool:
    """Whether a plan with changes is drift: the status before it said the cluster was as the stack declares
    (a plan without changes or errors), or drifted already, for the same spec (its generation) and the same stack
    inputs (the plan's inputs digest: a changed ConfigMap or KafkaCluster is no drift), so what changed is the
    cluster."""
    plan = before.get("plan") or {}
    was = (plan.get("hasChanges") is False and not plan.get("errors")) or any(
        c.get("type") == "Ready" and c.get("reason") == "Drifted" for c in before.get("conditions") or ())
    return (has_changes and not has_errors and was and before.get("observedGeneration") == generation
            and inputs is not None and plan.get("inputs") == inputs)


def waiting_reason(wishes: Wishes, fingerprint: str) -> str:
    """Why a plan with changes was not applied, for the Approved condition."""
    if not wishes.approve:
        return f"waiting for approval: annotate {APPROVE}={fingerprint} to apply this plan"
    return (f"the approval names {wishes.approve}, not this plan ({fingerprint}): the spec or the cluster changed "
            f"since; review the plan and approve {fingerprint}")


def condition(kind: str, ok: bool, reason: str, message: str, generation: int | None, now: str,
              before: list[Mapping[str, Any]] | None = None) -> dict[str, Any]:
    """A status condition; its lastTransitionTime kept from `before` when its status did not change."""
    status = "True" if ok else "False"
    old = next((c for c in before or () if c.get("type") == kind), None)
    since = old["lastTransitionTime"] if old and old.get("status") == status and old.get("lastTransitionTime") else now
    return {"type": kind, "status": status, "reason": reason, "message": message[:4000],
            "observedGeneration": generation, "lastTransitionTime": since}


def summary_line(summary: Mapping[str, Any]) -> str:
    return (f"{summary.get('add', 0)} to add, {summary.get('change', 0)} to change, "
            f"{summary.get('destroy', 0)} to destroy")


def protected_removed(spec: Mapping[str, Any], sections: Mapping[str, str]) -> tuple[dict[str, Any], list[str]]:
    """The spec without its protected entries (`protect: true`, in any of `sections`: section key -> the address
    type of its entries), which are named under `forget:` instead, and their addresses: what a deleted resource
    leaves on the cluster, no longer owned."""
    out = dict(spec)
    forgotten: list[str] = []
    for section, kind in sections.items():
        entries = spec.get(section)
        if not isinstance(entries, list):
            continue
        kept = []
        for e in entries:
            if isinstance(e, dict) and e.get("protect") is True and isinstance(e.get("name"), str):
                forgotten.append(f"{kind}.{e['name']}")
            else:
                kept.append(e)
        out[section] = kept
    if forgotten:
        out["forget"] = [*(spec.get("forget") or []), *({"address": a} for a in forgotten)]
    return out, forgotten
