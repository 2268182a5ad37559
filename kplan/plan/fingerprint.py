"""Fingerprints of live resources, so apply can refuse a saved plan whose cluster changed since planning.

A fingerprint is `sha256:<hex>` over a canonical JSON form of the live resource (topic: partitions, replication
factor and its own overrides, normalized; connector: stored config without Connect's `name`, and its state), or
`absent` when it does not exist. Apply recomputes them with the same functions over a fresh read.
"""

from __future__ import annotations

import hashlib
import json
from typing import Iterable, Mapping

from kplan.model.live import LiveConnector, LiveState, LiveTopic
from kplan.plan.model import ABSENT, Plan, split_address
from kplan.rules.compare import normalize_topic_value


def _canonical(live: LiveTopic | LiveConnector, sensitive: frozenset[str] = frozenset()) -> dict:
    if isinstance(live, LiveTopic):
        return {
            "type": "topic",
            "name": live.name,
            "partitions": live.partitions,
            "replication_factor": live.replication_factor,
            "config": {k: normalize_topic_value(k, live.overrides[k]) for k in sorted(live.overrides)},
        }
    from kplan.secrets import is_reference_only, is_sensitive_key

    config = {k: v for k, v in live.config.items() if not (k == "name" and v == live.name)}
    # A saved plan must not carry even a digest of a secret (it could be brute-forced offline): sensitive values
    # are left out; the fresh plan at apply time compares them itself.
    secret = {k for k, v in config.items()
              if (k in live.sensitive_keys or k in sensitive or is_sensitive_key(k)) and not is_reference_only(v)}
    return {
        "type": "connector",
        "name": live.name,
        "config": {k: ("(sensitive)" if k in secret else config[k]) for k in sorted(config)},
        "state": live.state.upper() if live.state else None,
    }


def fingerprint_resource(resource_type: str, live: LiveTopic | LiveConnector | None,
                         sensitive: frozenset[str] = frozenset()) -> str:
    """`sha256:<hex>` of one live resource, or `absent` for None."""
    if live is None:
        return ABSENT
    data = json.dumps(_canonical(live, sensitive), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(data.encode("utf-8")).hexdigest()


def lookup(live: LiveState, address: str) -> LiveTopic | LiveConnector | None:
    kind, name = split_address(address)
    if kind == "topic":
        return live.topics.get(name)
    if kind == "connector":
        return live.connectors.get(name)
    raise ValueError(f"not a resource address: {address!r}")


def fingerprint_address(live: LiveState, address: str, sensitive: Mapping[str, frozenset[str]] | None = None) -> str:
    return fingerprint_resource(split_address(address)[0], lookup(live, address), (sensitive or {}).get(address, frozenset()))


def fingerprints(live: LiveState, addresses: Iterable[str],
                 sensitive: Mapping[str, frozenset[str]] | None = None) -> dict[str, str]:
    """`sensitive`: address -> keys the stack treats as secrets (declared, or set from ${secret:...}): their
    live values are left out of the fingerprint like any key named as a secret."""
    return {a: fingerprint_address(live, a, sensitive) for a in addresses}


def stack_sensitive_keys(specs) -> dict[str, frozenset[str]]:
    """address -> the keys each declared connector holds secrets in, for `fingerprints`."""
    from kplan.secrets import has_secret_ref

    return {f"connector.{c.name}": frozenset(c.sensitive_keys) | frozenset(k for k, v in c.config.items()
                                                                         if has_secret_ref(v))
            for c in specs}


def stale_addresses(plan: Plan, live: LiveState, sensitive: Mapping[str, frozenset[str]] | None = None) -> list[str]:
    """Addresses whose live resource changed since the plan was made (apply refuses the plan if any), plus a
    pseudo-address `cluster` when the plan was made against another cluster. `sensitive` as for `fingerprints`."""
    stale = ["cluster"] if plan.cluster_id != live.cluster_id else []
    now = fingerprints(live, plan.fingerprints, sensitive)
    return stale + sorted(a for a, fp in plan.fingerprints.items() if now[a] != fp)
