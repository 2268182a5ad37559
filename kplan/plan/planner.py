"""make_plan: desired state + live state -> Plan. Pure: no I/O, nothing read but its arguments (secret references
are compared through the `SecretValues` resolved at the edge and passed in).

Order of changes: topics, then connectors, each by name. Apply orders its own work (create topics before the
connectors that need them, delete connectors before topics); the plan's order is only for stable output.
"""

from __future__ import annotations

from kplan.model.live import LiveConnector, LiveState, LiveTopic
from kplan.model.desired import ConnectorSpec, Stack, TopicSpec
from kplan.plan.connectors import ConnectorContext, live_connector_repr, live_config, plan_connector, sensitive_keys
from kplan.plan.fingerprint import fingerprints, stack_sensitive_keys
from kplan.plan.model import (
    Action,
    AttributeChange,
    AttrKind,
    Flag,
    Plan,
    PlanDiagnostic,
    ResourceChange,
    Severity,
    address_of,
    error,
)
from kplan.plan.topics import TopicContext, live_topic_repr, plan_topic
from kplan.rules.compare import is_reserved_topic
from kplan.secrets import SecretValues


def make_plan(stack: Stack, live: LiveState, *, destroy: bool = False, secrets: SecretValues | None = None) -> Plan:
    """Compare `stack` with `live`. `destroy=True` plans the removal of everything this stack owns.

    Errors (refused changes, protected deletions, impossible values) are diagnostics on the plan, not exceptions:
    callers check `plan.has_errors`."""
    secrets = SecretValues() if secrets is None else secrets
    diags: list[PlanDiagnostic] = []
    if live.unfinished_run:
        diags.append(error(f"an earlier apply did not finish (or is still running): {live.unfinished_run}; if it is "
                           "not running, recover it with "
                           "`kplan recover --rollback` or `kplan recover --resume`", "unfinished-run"))
    topics: dict[str, ResourceChange] = {}
    connectors: dict[str, ResourceChange] = {}
    declared_topics = _unique(stack.topics, "topic", diags)
    declared_connectors = _unique(stack.connectors, "connector", diags)

    for spec in declared_topics.values():
        current = live.topics.get(spec.name)
        if is_reserved_topic(spec.name):
            diags.append(error(f"{spec.name!r} is a Kafka, Connect or kplan internal topic; kplan never manages it",
                               "reserved-topic", address=address_of("topic", spec.name), origin=spec.origin))
        elif destroy:
            _destroy(spec, current, spec.name in live.owned_topics, topics, diags, "topic")
        else:
            ctx = TopicContext(live.broker_count, stack.authoritative_config, _owned(spec.name, current, live.owned_topics))
            topics[spec.name], more = plan_topic(spec, current, ctx)
            diags += more

    for spec in declared_connectors.values():
        current = live.connectors.get(spec.name)
        if destroy:
            _destroy(spec, current, spec.name in live.owned_connectors, connectors, diags, "connector")
        else:
            ctx = ConnectorContext(secrets, live.connector_plugins,
                                   _owned(spec.name, current, live.owned_connectors))
            connectors[spec.name], more = plan_connector(spec, current, ctx)
            diags += more

    # Removed from the stack: delete only what this stack owns (and never an internal topic). A CDC source's
    # table removed from its list keeps its topic unless the source prunes (prune_tables).
    for name in sorted(live.owned_topics - set(declared_topics)):
        if name not in live.topics or is_reserved_topic(name):
            continue
        keeper = None if destroy else _cdc_keeper(name, declared_connectors.values())
        if keeper is not None:
            diags.append(PlanDiagnostic(
                Severity.INFO, f"topic {name!r} is no longer captured by cdc source {keeper.name!r} and is left in "
                "place (prune_tables: false)", "cdc-topic-kept", address=address_of("topic", name),
                origin=keeper.origin))
            continue
        if name in live.protected_topics:
            topics[name] = _protected_removal("topic", name, live_topic_repr(live.topics[name]), diags)
            continue
        topics[name] = delete_topic(live.topics[name], "removed from the stack")
    for name in sorted(live.owned_connectors - set(declared_connectors)):
        if name not in live.connectors:
            continue
        if name in live.protected_connectors:
            current = live.connectors[name]
            connectors[name] = _protected_removal(
                "connector", name, live_connector_repr(current, sensitive_keys(None, live_config(current), current.sensitive_keys)), diags)
            continue
        connectors[name] = delete_connector(live.connectors[name], None, "removed from the stack")

    diags += _foreign(list(declared_topics.values()), "topic", live)
    diags += _foreign(list(declared_connectors.values()), "connector", live)
    if not destroy:
        diags += _collisions(topics, live)
        diags += _required_topics(declared_connectors.values(), topics, live)

    changes = tuple(topics[n] for n in sorted(topics)) + tuple(connectors[n] for n in sorted(connectors))
    return Plan(
        stack=stack.name,
        environment=stack.environment,
        cluster_id=live.cluster_id,
        changes=changes,
        diagnostics=_ordered(diags),
        fingerprints=fingerprints(live, [c.address for c in changes if c.is_change],
                                  stack_sensitive_keys(declared_connectors.values())),
        inputs_digest=stack.inputs_digest,
        destroy=destroy,
    )


def _foreign(specs, kind: str, live: LiveState) -> list[PlanDiagnostic]:
    """A resource belongs to one stack: declaring what another stack owns would make two stacks fight over it."""
    out = []
    for spec in specs:
        owner = live.foreign_owners.get(address_of(kind, spec.name))
        if owner is not None:
            out.append(error(f"{kind} {spec.name!r} is owned by stack {owner!r}; a resource belongs to one stack: "
                             f"remove it from one of them (or destroy it there first)", "owned-by-another-stack",
                             address=address_of(kind, spec.name), origin=spec.origin))
    return out


def _protected_removal(kind: str, name: str, before: dict, diags: list) -> ResourceChange:
    """An owned resource applied with `protect: true` and since removed from the stack: never deleted."""
    diags.append(error(f"{kind} {name!r} was applied with protect: true and is never deleted; it is no longer in the "
                       "stack: declare it again (with protect: false first, if you mean to delete it)",
                       "protected", address=address_of(kind, name)))
    return ResourceChange(address_of(kind, name), kind, name, Action.NOOP, before=before, after=before,
                          flags=frozenset({Flag.PROTECTED, Flag.REFUSED}), reason="protected: never deleted")


def _owned(name: str, current, owned: frozenset[str]) -> bool:
    """A resource that does not exist yet will be owned once created; an existing one must be in the record."""
    return current is None or name in owned


def _unique(specs, kind: str, diags: list[PlanDiagnostic]) -> dict:
    out: dict = {}
    for spec in specs:
        if spec.name in out:
            diags.append(error(f"{kind} {spec.name!r} is declared more than once", "duplicate-resource",
                               address=address_of(kind, spec.name), origin=spec.origin))
        out[spec.name] = spec
    return out


def _destroy(spec: TopicSpec | ConnectorSpec, current, owned: bool, into: dict, diags: list, kind: str) -> None:
    addr = address_of(kind, spec.name)
    if current is None:
        return
    if not owned:
        diags.append(PlanDiagnostic(Severity.INFO, f"{kind} {spec.name!r} is not owned by this stack; destroy leaves "
                                    "it alone", "not-owned", address=addr, origin=spec.origin))
        return
    if spec.protect:
        diags.append(error(f"{kind} {spec.name!r} is protected (protect: true) and is never deleted; set protect: "
                           "false first if you mean to destroy it", "protected", address=addr, origin=spec.origin))
        before = live_topic_repr(current) if kind == "topic" else live_connector_repr(current, sensitive_keys(spec, current.config, current.sensitive_keys))
        into[spec.name] = ResourceChange(addr, kind, spec.name, Action.NOOP, before=before, after=before,
                                         flags=frozenset({Flag.PROTECTED, Flag.REFUSED}),
                                         reason="protected: never deleted", origin=spec.origin)
        return
    if kind == "topic":
        into[spec.name] = delete_topic(current, "destroy", spec.origin)
    else:
        into[spec.name] = delete_connector(current, spec, "destroy")


def delete_topic(live: LiveTopic, reason: str, origin=None) -> ResourceChange:
    before = live_topic_repr(live)
    attrs = [
        AttributeChange(("partitions",), AttrKind.REMOVE, live.partitions),
        AttributeChange(("replication_factor",), AttrKind.REMOVE, live.replication_factor),
    ] + [AttributeChange(("config", k), AttrKind.REMOVE, v, sensitive=k in live.sensitive_keys)
         for k, v in before["config"].items()]
    return ResourceChange(
        address_of("topic", live.name), "topic", live.name, Action.DELETE, before=before, after=None,
        attributes=tuple(attrs), flags=frozenset({Flag.DATA_LOSS}), reason=reason, origin=origin,
        sensitive_paths=tuple(("config", k) for k in sorted(live.sensitive_keys) if k in live.overrides),
    )


def delete_connector(live: LiveConnector, spec: ConnectorSpec | None, reason: str) -> ResourceChange:
    sens = sensitive_keys(spec, live_config(live), live.sensitive_keys)
    before = live_connector_repr(live, sens)
    attrs = [AttributeChange(("config", k), AttrKind.REMOVE, v, sensitive=k in sens) for k, v in before["config"].items()]
    if before["state"]:
        attrs.append(AttributeChange(("state",), AttrKind.REMOVE, before["state"]))
    return ResourceChange(
        address_of("connector", live.name), "connector", live.name, Action.DELETE, before=before, after=None,
        attributes=tuple(attrs), reason=reason, origin=spec.origin if spec else None,
        sensitive_paths=tuple(("config", k) for k in sorted(sens) if k in before["config"]),
    )


def _required_topics(specs, topics: dict[str, ResourceChange], live: LiveState) -> list[PlanDiagnostic]:
    """A connector's required topics must exist after apply (declared, or on the cluster and not deleted)."""
    diags = []
    for spec in specs:
        for name in spec.requires_topics:
            change = topics.get(name)
            if change is not None and change.action == Action.DELETE:
                problem = "is planned for deletion"
            elif change is None and name not in _all_topics(live):
                problem = "is neither declared nor on the cluster"
            else:
                continue
            diags.append(error(f"connector {spec.name!r} needs topic {name!r}, which {problem}", "missing-required-topic",
                               address=address_of("connector", spec.name), origin=spec.origin))
    return diags


def _cdc_keeper(topic: str, connectors) -> ConnectorSpec | None:
    """The CDC connector (still declared, not pruning) whose table topics `topic` is named like, if any."""
    for spec in connectors:
        prefix = spec.config.get("topic.prefix")
        if spec.captured_tables and prefix and not spec.prune_tables and topic.startswith(prefix + "."):
            return spec
    return None


def _all_topics(live: LiveState) -> frozenset[str] | set[str]:
    return live.all_topic_names if live.all_topic_names is not None else set(live.topics)


def _collisions(topics: dict[str, ResourceChange], live: LiveState) -> list[PlanDiagnostic]:
    """Kafka refuses a topic whose name equals another's once '.' and '_' are made the same."""
    creates = [c for c in topics.values() if c.action == Action.CREATE]
    existing: dict[str, str] = {}
    for name in sorted(_all_topics(live)) + sorted(c.name for c in creates):
        existing.setdefault(name.replace(".", "_"), name)
    diags = []
    for c in creates:
        other = existing[c.name.replace(".", "_")]
        if other != c.name:
            where = "a topic on the cluster" if other in _all_topics(live) else "another declared topic"
            diags.append(error(f"topic name {c.name!r} collides with {where}, {other!r} ('.' and '_' are the same "
                               "to Kafka's metrics)", "topic-name-collision", address=c.address, origin=c.origin))
    return diags


def _ordered(diags: list[PlanDiagnostic]) -> tuple[PlanDiagnostic, ...]:
    """Stable output: diagnostics follow the plan's resource order (topics, then connectors, by name)."""
    rank = {"topic": 0, "connector": 1}

    def key(d: PlanDiagnostic):
        kind, _, name = (d.address or "").partition(".")
        return (rank.get(kind, -1), name)

    return tuple(sorted(diags, key=key))
