"""Fingerprints of live resources, so apply can refuse a saved plan whose cluster changed since planning, and what
apply of a saved plan runs.

A fingerprint is `sha256:<hex>` over the kind's canonical JSON form of the live resource (`Kind.canonical`: for a
topic its partitions, replication factor and own overrides, normalized; for a connector its stored config without
Connect's `name`, secrets left out, and its state; for a one-time request its recorded token and whether its group or
connector exists), or `absent` when it does not exist. A saved plan keeps those documents too (`Plan.fingerprinted`),
so that a refusal names what moved (kplan.plan.stale). Apply recomputes them with the same functions over a fresh
read, plans afresh and compares what the two plans do (`what_changes`); it then runs the fresh plan, but for the
kinds whose saved change it runs as reviewed (`as_reviewed`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from typing import Any, Iterable, Mapping

from kplan.kinds import kind_of
from kplan.model.desired import Stack
from kplan.model.diagnostics import Severity
from kplan.model.live import LiveState
from kplan.model.plan import ABSENT, Flag, Plan, ResourceType, split_address


def canonical_document(resource_type: ResourceType | str, live: Any,
                       sensitive: frozenset[str] = frozenset()) -> dict[str, Any] | None:
    """The kind's canonical document of one live resource (no secret), or None when it does not exist."""
    return None if live is None else kind_of(resource_type).canonical(live, sensitive)


def fingerprint_of(doc: Mapping[str, Any] | None) -> str:
    """`sha256:<hex>` of a canonical document, or `absent` for None."""
    if doc is None:
        return ABSENT
    data = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(data.encode("utf-8")).hexdigest()


def live_documents(live: LiveState, addresses: Iterable[str],
                   sensitive: Mapping[str, frozenset[str]] | None = None) -> dict[str, dict[str, Any] | None]:
    """address -> its live resource's canonical document (None: absent). `sensitive`: address -> keys the stack
    treats as secrets (declared, or set from ${secret:...}): their live values are left out like any key named as
    a secret."""
    out = {}
    for address in addresses:
        kind, name = split_address(address)
        try:
            current = kind_of(kind).live(live).get(name)
        except ValueError:
            raise ValueError(f"not a resource address: {address!r}") from None
        out[address] = canonical_document(kind, current, (sensitive or {}).get(address, frozenset()))
    return out


def fingerprints(live: LiveState, addresses: Iterable[str],
                 sensitive: Mapping[str, frozenset[str]] | None = None) -> dict[str, str]:
    """address -> the fingerprint of its live resource (`live_documents`' document)."""
    return {a: fingerprint_of(doc) for a, doc in live_documents(live, addresses, sensitive).items()}


def stack_sensitive_keys(stack: Stack) -> dict[str, frozenset[str]]:
    """address -> the keys each declared resource holds secrets in, for `fingerprints`."""
    from kplan.kinds import KINDS

    return {kind.address(spec.name): keys for kind in KINDS for spec in kind.declared(stack)
            if (keys := kind.declared_secret_keys(spec))}


def stale_addresses(plan: Plan, live: LiveState, sensitive: Mapping[str, frozenset[str]] | None = None) -> list[str]:
    """Addresses whose live resource changed since the plan was made (apply refuses the plan if any), plus a
    pseudo-address `cluster` when the plan was made against another cluster. `sensitive` as for `fingerprints`."""
    stale = ["cluster"] if plan.cluster_id != live.cluster_id else []
    now = fingerprints(live, plan.fingerprints, sensitive)
    return stale + sorted(a for a, fp in plan.fingerprints.items() if now[a] != fp)


def what_changes(plan: Plan) -> list[Any]:
    """What a plan would do, value by value (what a reviewer approved): every changed resource's actions, flags and
    changed attributes with their before/after values (sensitive ones only as 'changed'); not the changes of a kind
    whose saved change apply runs (`Kind.applies_saved`: their shown positions move on their own), nor a connector's
    `unhealthy` flag (a FAILED task the plan does not act on: its health is not in the fingerprint either)."""
    from kplan.plan.serialize import plan_to_dict

    out = []
    for c in plan_to_dict(plan)["resource_changes"]:
        if c["actions"] == ["no-op"] or kind_of(c["type"]).applies_saved:
            continue
        attrs = [(tuple(a["path"]), a["kind"], a["before"], a["after"], a["changed"]) for a in c["attributes"]]
        flags = tuple(f for f in c["flags"] if f != Flag.UNHEALTHY.value)
        out.append((c["address"], tuple(c["actions"]), flags, tuple(attrs)))
    return out


def as_reviewed(saved: Plan, fresh: Plan) -> Plan:
    """The plan apply runs for a saved plan that is not stale: the fresh one, with the changes of the kinds whose
    saved change apply runs (`Kind.applies_saved`: a request's, the positions it resolved) and their notes (Info) as
    saved. The fresh plan's errors and warnings stay: a request the cluster cannot take now is refused."""
    kept = {c.address: c for c in saved.changes if kind_of(c.type).applies_saved}
    if not kept:
        return fresh

    def note(d: Any) -> bool:
        return d.address in kept and d.severity == Severity.INFO

    return replace(fresh, changes=tuple(kept.get(c.address, c) for c in fresh.changes),
                   diagnostics=tuple(d for d in fresh.diagnostics if not note(d))
                   + tuple(d for d in saved.diagnostics if note(d)))
