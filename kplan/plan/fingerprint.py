"""Fingerprints of live resources, so apply can refuse a saved plan whose cluster changed since planning.

A fingerprint is `sha256:<hex>` over the kind's canonical JSON form of the live resource (`Kind.canonical`: for a
topic its partitions, replication factor and own overrides, normalized; for a connector its stored config without
Connect's `name`, secrets left out, and its state), or `absent` when it does not exist. Apply recomputes them with
the same functions over a fresh read.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Iterable, Mapping

from kplan.model.desired import Stack
from kplan.model.live import LiveState
from kplan.model.plan import ABSENT, Plan, ResourceType, split_address


def fingerprint_resource(resource_type: ResourceType | str, live: Any, sensitive: frozenset[str] = frozenset()) -> str:
    """`sha256:<hex>` of one live resource, or `absent` for None."""
    from kplan.kinds import kind_of

    if live is None:
        return ABSENT
    doc = kind_of(resource_type).canonical(live, sensitive)
    data = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(data.encode("utf-8")).hexdigest()


def lookup(live: LiveState, address: str) -> Any:
    from kplan.kinds import kind_of

    kind, name = split_address(address)
    try:
        return kind_of(kind).live(live).get(name)
    except ValueError:
        raise ValueError(f"not a resource address: {address!r}") from None


def fingerprint_address(live: LiveState, address: str, sensitive: Mapping[str, frozenset[str]] | None = None) -> str:
    hidden = (sensitive or {}).get(address, frozenset())
    return fingerprint_resource(split_address(address)[0], lookup(live, address), hidden)


def fingerprints(live: LiveState, addresses: Iterable[str],
                 sensitive: Mapping[str, frozenset[str]] | None = None) -> dict[str, str]:
    """`sensitive`: address -> keys the stack treats as secrets (declared, or set from ${secret:...}): their
    live values are left out of the fingerprint like any key named as a secret."""
    return {a: fingerprint_address(live, a, sensitive) for a in addresses}


def stack_sensitive_keys(stack: Stack) -> dict[str, frozenset[str]]:
    """address -> the keys each declared resource holds secrets in, for `fingerprints`."""
    from kplan.kinds import KINDS

    out: dict[str, frozenset[str]] = {}
    for kind in KINDS:
        for spec in kind.declared(stack):
            keys = kind.declared_secret_keys(spec)
            if keys:
                out[kind.address(spec.name)] = keys
    return out


def stale_addresses(plan: Plan, live: LiveState, sensitive: Mapping[str, frozenset[str]] | None = None) -> list[str]:
    """Addresses whose live resource changed since the plan was made (apply refuses the plan if any), plus a
    pseudo-address `cluster` when the plan was made against another cluster. `sensitive` as for `fingerprints`."""
    stale = ["cluster"] if plan.cluster_id != live.cluster_id else []
    now = fingerprints(live, plan.fingerprints, sensitive)
    return stale + sorted(a for a, fp in plan.fingerprints.items() if now[a] != fp)
