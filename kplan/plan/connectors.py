"""Diffing one declared connector against its live counterpart.

Connect stores strings and adds `name`; config-provider placeholders (`${file:...}`) come back unresolved, so they
are compared as written. kplan's own `${secret:...}` references are resolved here only to compare digests with
the live value; neither the resolved nor the live secret ever reaches the plan.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from kplan.errors import KplanError
from kplan.model.live import LiveConnector
from kplan.model.desired import ConnectorSpec
from kplan.plan.model import (
    Action,
    AttributeChange,
    AttrKind,
    Flag,
    PlanDiagnostic,
    ResourceChange,
    Severity,
    address_of,
    error,
    warning,
)
from kplan.rules.compare import secrets_equal
from kplan.secrets import SecretValues, display_value, has_secret_ref, secret_keys

STEADY_STATES = ("running", "paused", "stopped")
UNHEALTHY_STATES = ("FAILED", "UNASSIGNED")


@dataclass(frozen=True)
class ConnectorContext:
    secrets: SecretValues
    plugins: frozenset[str] | None = None
    owned: bool = True


def sensitive_keys(spec: ConnectorSpec | None, config: Mapping[str, str],
                   recorded: frozenset[str] = frozenset()) -> frozenset[str]:
    """Keys whose values are secrets: declared so, named like one, set from a ${secret:...} reference, or
    recorded as such when the connector was applied (`recorded`, from the ownership record)."""
    if spec is None:
        return secret_keys(config, recorded=recorded)
    return secret_keys(config, spec.config, declared=spec.sensitive_keys, recorded=recorded)


def newly_captured(spec: ConnectorSpec, live_cfg: Mapping[str, str]) -> list[str]:
    """CDC tables the stack captures that the live connector does not (yet): what an incremental snapshot of
    newly added tables covers. Empty unless the source asks for such snapshots."""
    if not spec.snapshot_new_tables or not spec.signal.get("topic") or not spec.captured_tables:
        return []
    live_tables = {t.strip() for t in live_cfg.get("table.include.list", "").split(",") if t.strip()}
    return [t for t in spec.captured_tables if t not in live_tables]


def live_config(live: LiveConnector) -> dict[str, str]:
    """The stored config without the `name` key Connect adds (kept if it differs: that would be a change)."""
    return {k: v for k, v in live.config.items() if not (k == "name" and v == live.name)}


def connector_repr(name: str, config: Mapping[str, str], state: str | None, sensitive: frozenset[str]) -> dict:
    """The before/after shape; a sensitive value is masked unless it is only a reference (which is kept, so a
    saved plan can be re-resolved at apply time)."""
    return {"name": name, "config": {k: _show(k, config[k], sensitive) for k in sorted(config)}, "state": state}


def live_connector_repr(live: LiveConnector, sensitive: frozenset[str]) -> dict:
    return connector_repr(live.name, live_config(live), live.state.lower() if live.state else None, sensitive)


def plan_connector(spec: ConnectorSpec, live: LiveConnector | None, ctx: ConnectorContext):
    addr = address_of("connector", spec.name)
    diags = _plugin_check(spec, ctx)
    resolved, secret_diags = _resolve(spec, ctx)
    diags += secret_diags
    if live is None:
        sens = sensitive_keys(spec, {})
        attrs = [AttributeChange(("config", k), AttrKind.ADD, after=_show(k, v, sens), sensitive=k in sens)
                 for k, v in spec.config.items()]
        attrs.append(AttributeChange(("state",), AttrKind.ADD, after=spec.state.value))
        return ResourceChange(
            address=addr, type="connector", name=spec.name, action=Action.CREATE,
            after=connector_repr(spec.name, spec.config, spec.state.value, sens), attributes=tuple(attrs),
            sensitive_paths=_paths(sens), reason="not on the cluster", origin=spec.origin,
        ), diags

    current = live_config(live)
    sens = sensitive_keys(spec, current, live.sensitive_keys)
    attrs: list[AttributeChange] = []
    flags: set[Flag] = set()
    unchanged = 0
    for key in sorted(set(current) | set(spec.config)):
        s = key in sens
        want, have = resolved.get(key), current.get(key)
        if key in spec.config and want is None:  # unresolvable secret: already an error; cannot compare
            continue
        if want is not None and have is not None and (secrets_equal(want, have) if s else want == have):
            unchanged += 1
            continue
        kind = AttrKind.ADD if have is None else AttrKind.REMOVE if want is None else AttrKind.UPDATE
        attrs.append(AttributeChange(("config", key), kind, _show(key, have, sens),
                                     _show(key, spec.config.get(key), sens), sensitive=s))

    desired_state, live_state = spec.state.value, (live.state or "").lower() or None
    config_changed = bool(attrs)
    if live_state == desired_state:
        unchanged += 1
    elif live_state in STEADY_STATES or (live_state is not None and desired_state != "running"):
        attrs.append(AttributeChange(("state",), AttrKind.UPDATE, live_state, desired_state))
    elif live_state is None:
        diags.append(PlanDiagnostic(Severity.INFO, f"Connect did not report the state of connector {spec.name!r}; "
                                    "its state is not compared", "connector-state-unknown", address=addr))
    unhealthy = _unhealthy(live)
    if unhealthy:
        flags.add(Flag.UNHEALTHY)
        diags.append(warning(f"connector {spec.name!r} is unhealthy ({unhealthy}); the plan does not restart it",
                             "connector-unhealthy", address=addr, origin=spec.origin))
    added = _new_tables(spec, current)
    if added and spec.snapshot_new_tables:
        diags.append(PlanDiagnostic(Severity.INFO, f"newly captured table(s) {', '.join(added)} will get an "
                                    "incremental snapshot after the config is written", "cdc-incremental-snapshot",
                                    address=addr, origin=spec.origin))
    if config_changed and spec.restart_on_change:
        flags.add(Flag.RESTART)
    new_tables = newly_captured(spec, current) if config_changed else []
    if new_tables:
        diags.append(PlanDiagnostic(
            Severity.INFO, f"after updating connector {spec.name!r}, apply asks Debezium for an incremental snapshot "
            f"of the newly captured table(s) {', '.join(new_tables)} (signal topic {spec.signal['topic']}), so their "
            "existing rows arrive too", "incremental-snapshot", address=addr, origin=spec.origin))
    if not ctx.owned:
        flags.add(Flag.ADOPT)
    action = Action.UPDATE if attrs else Action.NOOP
    return ResourceChange(
        address=addr, type="connector", name=spec.name, action=action,
        before=live_connector_repr(live, sens),
        after=connector_repr(spec.name, spec.config, desired_state, sens),
        attributes=tuple(attrs), unchanged_attributes=unchanged, sensitive_paths=_paths(sens),
        flags=frozenset(flags), reason="differs from the stack" if attrs else "matches the stack", origin=spec.origin,
    ), diags


def _resolve(spec: ConnectorSpec, ctx: ConnectorContext) -> tuple[dict[str, str | None], list[PlanDiagnostic]]:
    """Desired values with `${secret:...}` resolved (None where that failed, with an error naming the key)."""
    out: dict[str, str | None] = {}
    diags: list[PlanDiagnostic] = []
    for key, value in spec.config.items():
        if not has_secret_ref(value):
            out[key] = value
            continue
        try:
            out[key] = ctx.secrets.substitute(value)
        except KplanError as e:  # the message names the reference, never a value
            out[key] = None
            diags.append(error(f"cannot resolve the secret for {key!r}: {e}", "secret-unresolved",
                               address=address_of("connector", spec.name), path=("config", key),
                               origin=spec.config_origins.get(key, spec.origin)))
    return out, diags


def _new_tables(spec: ConnectorSpec, current: Mapping[str, str]) -> list[str]:
    """CDC tables the stack captures that the live connector's include list does not name yet."""
    if not spec.captured_tables:
        return []
    live_tables = {t.strip() for t in current.get("table.include.list", "").split(",") if t.strip()}
    return [t for t in spec.captured_tables if t not in live_tables]


def _plugin_check(spec: ConnectorSpec, ctx: ConnectorContext) -> list[PlanDiagnostic]:
    cls = spec.connector_class
    if ctx.plugins is None or cls in ctx.plugins:
        return []
    what = f"connector class {cls!r}" if cls else "no connector.class"
    return [error(f"{what} is not installed on the Connect worker", "unknown-connector-class",
                  address=address_of("connector", spec.name), path=("config", "connector.class"),
                  origin=spec.config_origins.get("connector.class", spec.origin))]


def _unhealthy(live: LiveConnector) -> str:
    bad = []
    if live.state in UNHEALTHY_STATES:
        bad.append(f"connector {live.state}")
    bad += [f"task {t.id} {t.state}" for t in live.tasks if t.state in UNHEALTHY_STATES]
    return ", ".join(bad)


def _show(key: str, value: str | None, sensitive: frozenset[str]) -> str | None:
    return None if value is None else display_value(key, value, sensitive)


def _paths(keys: frozenset[str]) -> tuple[tuple[str, ...], ...]:
    return tuple(("config", k) for k in sorted(keys))
