"""A connector config's transforms and predicates (Kafka Connect's SMTs, KIP-585), as far as they can be judged
without the worker: a transform whose `predicate` names an alias the config's `predicates` does not list (the worker
takes the config and only fails when the connector starts), and the declared key an error about an alias's setting
belongs to. The rest (an unknown class, a missing required setting) is the worker's own validation at plan
(`config/validate`). Pure."""

from __future__ import annotations

import re
from typing import Mapping

_ALIASED = re.compile(r"^(transforms|predicates)\.([^.]+)\.")


def aliases(config: Mapping[str, str], kind: str) -> list[str]:
    """The aliases a `transforms` or `predicates` list names, in order."""
    return [a.strip() for a in (config.get(kind) or "").split(",") if a.strip()]


def undefined_predicates(config: Mapping[str, str]) -> list[tuple[str, str]]:
    """(the key, the message) of each transform whose predicate the config does not define."""
    defined = set(aliases(config, "predicates"))
    out = []
    for alias in aliases(config, "transforms"):
        key = f"transforms.{alias}.predicate"
        named = (config.get(key) or "").strip()
        if named and named not in defined:
            listed = ", ".join(sorted(defined)) or "none"
            out.append((key, f'transform "{alias}" names predicate "{named}", which the config does not define '
                             f"(predicates: {listed}); add it to predicates with predicates.{named}.type"))
    return out


def declared_near(key: str, declared: Mapping[str, object]) -> str | None:
    """The declared key that stands for `key` when `key` itself is not declared: an alias's setting
    (`transforms.route.regex`) is its alias's `.type`, else the list naming it (`transforms`)."""
    if key in declared:
        return key
    m = _ALIASED.match(key)
    if m is None:
        return None
    kind, alias = m.groups()
    return next((k for k in (f"{kind}.{alias}.type", kind) if k in declared), None)
