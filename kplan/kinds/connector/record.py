"""The connectors' part of the ownership record: names only (`NamesPart`) and, per connector, the config keys
holding secrets (never their values): what it is once a plan is applied (`record_after`) and what the live state
says it was (`record_of`)."""

from __future__ import annotations

from kplan.kinds.connect_features import connect_facts
from kplan.model.desired import Stack, connect_of
from kplan.model.live import LiveState
from kplan.model.ownership import NamesPart, Ownership
from kplan.model.plan import Action, Plan, ResourceType, split_address
from kplan.secrets import secret_keys


def record_after(plan: Plan, stack: Stack, live: LiveState, destroy: bool, parts: Ownership) -> NamesPart:
    """Every connector the stack declares, and those the record owns that still exist, minus what the plan deletes
    (or renames away); which of them are protected (declared so now, or recorded so and no longer declared); and the
    config keys of each that hold secrets. A connector on a Connect cluster that was not read (--allow-unreadable)
    is unknown, not gone: kept."""
    state = live.of(ResourceType.CONNECTOR)
    declared = {c.name: c for c in stack.of("connectors")}
    kept = {n for n in state.owned if n in state.resources or connect_of(n) in connect_facts(state).problems}
    deleted = {c.name for c in plan.changes if c.type == ResourceType.CONNECTOR and c.action == Action.DELETE}
    # a rename (moved_from) deletes the old name
    deleted |= {split_address(c.previous_address)[1] for c in plan.changes
                if c.type == ResourceType.CONNECTOR and c.action == Action.MOVE and c.previous_address}
    names = (kept if destroy else kept | set(declared)) - deleted

    def secrets(name: str) -> tuple[str, ...]:
        if name in declared:
            spec = declared[name]
            return tuple(sorted(secret_keys(spec.config, declared=spec.sensitive_keys)))
        current = state.resources.get(name)
        return tuple(sorted(current.sensitive_keys)) if current is not None else ()

    return NamesPart(frozenset(names),
                     frozenset(n for n in names if (declared[n].protect if n in declared else n in state.protected)),
                     {n: keys for n in sorted(names) if (keys := secrets(n))})


def record_of(live: LiveState) -> NamesPart:
    state = live.of(ResourceType.CONNECTOR)
    return NamesPart(state.owned, state.protected,
                     {n: tuple(sorted(c.sensitive_keys)) for n, c in sorted(state.resources.items())
                      if n in state.owned and c.sensitive_keys})
