"""From a plan to an ordered list of apply steps, each with the before-image needed to undo it. Pure.

Order (the seeds' rule: a connector never runs without its topics; nothing irreversible before every
reversible step has succeeded):
  1. create topics (one batch)            reversible: delete them again
  2. change topic configs (one batch)     reversible: set back / delete the overrides to the before-image
  3. create / update connectors, drive them to their declared state (one step each, after their topics)
  4. delete connectors (one step each)    reversible: re-create with the previous config and state
  5. increase partitions (one batch)      IRREVERSIBLE
  6. replace topics, delete topics        IRREVERSIBLE (data loss)
  7. record ownership                     reversible: write the previous record back

Steps are plain dicts (they go into the journal as JSON). Sensitive connector values in before-images are kept
only in memory (`Step.secret_before`); the journal holds a masked copy, so a secret never reaches a journal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from kplan.model.live import LiveState
from kplan.model.desired import ConnectorSpec, Stack, TopicSpec
from kplan.kinds.connector import newly_captured
from kplan.plan.model import Action, AttrKind, Plan
from kplan.secrets import has_secret_ref, is_reference_only, is_sensitive_key

CREATE_TOPICS = "create-topics"
ALTER_TOPIC_CONFIGS = "alter-topic-configs"
PUT_CONNECTOR = "put-connector"
DELETE_CONNECTOR = "delete-connector"
INCREASE_PARTITIONS = "increase-partitions"
REPLACE_TOPICS = "replace-topics"
DELETE_TOPICS = "delete-topics"
RECORD_OWNERSHIP = "record-ownership"
SNAPSHOT_SIGNAL = "snapshot-signal"

IRREVERSIBLE_KINDS = frozenset({INCREASE_PARTITIONS, REPLACE_TOPICS, DELETE_TOPICS})
MASKED = {"__masked__": True}


@dataclass
class Step:
    kind: str
    args: dict[str, Any]
    before: dict[str, Any] = field(default_factory=dict)
    # Unmasked before-image of connector configs, for an in-process rollback only (never serialized).
    secret_before: dict[str, Any] = field(default_factory=dict)
    # Unmasked args (a connector config with plaintext secrets), for this process only (never serialized).
    secret_args: dict[str, Any] = field(default_factory=dict)
    # What running the step produced that its undo needs (journaled with the step's status).
    outcome: dict[str, Any] | None = None

    @property
    def irreversible(self) -> bool:
        return self.kind in IRREVERSIBLE_KINDS

    def describe(self) -> str:
        a = self.args
        if self.kind == CREATE_TOPICS:
            return f"create {len(a['topics'])} topic(s): {_names([t['name'] for t in a['topics']])}"
        if self.kind == ALTER_TOPIC_CONFIGS:
            return f"change the configs of {len(a['topics'])} topic(s): {_names(list(a['topics']))}"
        if self.kind == PUT_CONNECTOR:
            verb = "create" if a["create"] else "update"
            return f"{verb} connector {a['name']} ({a['state']})"
        if self.kind == DELETE_CONNECTOR:
            return f"delete connector {a['name']}"
        if self.kind == INCREASE_PARTITIONS:
            return f"increase partitions of {_names(list(a['partitions']))}"
        if self.kind == REPLACE_TOPICS:
            return f"replace {len(a['topics'])} topic(s): {_names([t['name'] for t in a['topics']])}"
        if self.kind == DELETE_TOPICS:
            return f"delete {len(a['names'])} topic(s): {_names(a['names'])}"
        if self.kind == RECORD_OWNERSHIP:
            return "record what the stack owns"
        if self.kind == SNAPSHOT_SIGNAL:
            return f"signal an incremental snapshot of {', '.join(a['tables'])} to connector {a['connector']}"
        return self.kind

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "args": self.args, "before": self.before, "irreversible": self.irreversible}


def _names(names: list[str], limit: int = 5) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def topic_args(spec: TopicSpec) -> dict[str, Any]:
    return {"name": spec.name, "partitions": spec.partitions, "replication_factor": spec.replication_factor,
            "config": dict(spec.config)}


def mask_config(config: Mapping[str, str], sensitive: frozenset[str]) -> dict[str, Any]:
    """A connector config safe to journal: plaintext sensitive values become MASKED (references are kept)."""
    return {k: (v if is_reference_only(v) or not (k in sensitive or is_sensitive_key(k)) else dict(MASKED))
            for k, v in config.items()}


def build_steps(plan: Plan, stack: Stack, live: LiveState) -> list[Step]:
    topics = {t.name: t for t in stack.topics}
    connectors = {c.name: c for c in stack.connectors}
    creates, alters, grows, replaces, deletes = [], {}, {}, [], []
    alter_before: dict[str, dict[str, str | None]] = {}
    connector_steps: list[Step] = []
    connector_deletes: list[Step] = []

    for change in plan.changes:
        if change.type == "topic":
            spec = topics.get(change.name)
            current = live.topics.get(change.name)
            if change.action == Action.CREATE:
                creates.append(topic_args(spec))
            elif change.action == Action.UPDATE:
                sets, unset = {}, []
                for a in change.attributes:
                    if not a.changed:
                        continue
                    if a.path == ("partitions",):
                        grows[change.name] = spec.partitions
                    elif a.path[0] == "config" and a.kind == AttrKind.REMOVE:
                        unset.append(a.path[1])
                    elif a.path[0] == "config":
                        sets[a.path[1]] = spec.config[a.path[1]]
                if sets or unset:
                    alters[change.name] = {"set": sets, "delete": unset}
                    alter_before[change.name] = {k: current.overrides.get(k) for k in [*sets, *unset]}
            elif change.action == Action.REPLACE:
                replaces.append(topic_args(spec))
            elif change.action == Action.DELETE:
                deletes.append(change.name)
        elif change.type == "connector":
            current = live.connectors.get(change.name)
            if change.action == Action.DELETE:
                declared = connectors.get(change.name)
                sens = current.sensitive_keys | frozenset(k for k in current.config if is_sensitive_key(k)) | (
                    frozenset(declared.sensitive_keys) | frozenset(k for k, v in declared.config.items()
                                                                   if has_secret_ref(v)) if declared else frozenset())
                cfg = {k: v for k, v in current.config.items() if k != "name"}
                state = (current.state or "RUNNING").lower()
                connector_deletes.append(Step(DELETE_CONNECTOR, {"name": change.name},
                                              {"config": mask_config(cfg, sens), "state": state},
                                              {"config": cfg, "state": state}))
            elif change.action in (Action.CREATE, Action.UPDATE):
                spec = connectors[change.name]
                connector_steps.append(_put_connector(spec, change, current))
                new_tables = newly_captured(spec, current.config) if current is not None else []
                if new_tables and connector_steps[-1].args["config"] is not None:
                    connector_steps.append(Step(SNAPSHOT_SIGNAL, {
                        "connector": spec.name, "tables": new_tables, "topic": spec.signal["topic"],
                        "key": spec.signal.get("key") or spec.config.get("topic.prefix", spec.name),
                        "table_topic": spec.signal.get("table_topic")}))

    steps: list[Step] = []
    if creates:
        steps.append(Step(CREATE_TOPICS, {"topics": creates}, {"absent": [t["name"] for t in creates]}))
    if alters:
        steps.append(Step(ALTER_TOPIC_CONFIGS, {"topics": alters}, {"overrides": alter_before}))
    steps += connector_steps
    steps += connector_deletes
    if grows:
        steps.append(Step(INCREASE_PARTITIONS, {"partitions": grows},
                          {"partitions": {n: live.topics[n].partitions for n in grows}}))
    if replaces:
        steps.append(Step(REPLACE_TOPICS, {"topics": replaces},
                          {"topics": {t["name"]: _live_topic_args(live, t["name"]) for t in replaces}}))
    if deletes:
        steps.append(Step(DELETE_TOPICS, {"names": deletes},
                          {"topics": {n: _live_topic_args(live, n) for n in deletes}}))
    return steps


def _put_connector(spec: ConnectorSpec, change, current) -> Step:
    config_changed = any(a.changed and a.path[0] == "config" for a in change.attributes)
    state_changed = any(a.changed and a.path == ("state",) for a in change.attributes)
    config = dict(spec.config) if (current is None or config_changed) else None  # references unresolved
    sens = frozenset(spec.sensitive_keys) | (current.sensitive_keys if current is not None else frozenset())
    args = {
        "name": spec.name,
        "create": current is None,
        # a plaintext secret written in the stack is journaled masked; the run writes it from memory
        "config": mask_config(config, sens) if config is not None else None,
        "state": spec.state.value,
        "set_state": current is None or state_changed,
        "restart": bool(config_changed and spec.restart_on_change and current is not None),
        # the config keys this step writes differently (an undo from the journal alone may keep the others)
        "changed_keys": sorted(a.path[1] for a in change.attributes if a.changed and a.path[0] == "config"),
        "requires_topics": list(spec.requires_topics),
        "sensitive_keys": sorted(spec.sensitive_keys),
    }
    secret_args = {"config": config} if config is not None and args["config"] != config else {}
    if current is None:
        return Step(PUT_CONNECTOR, args, {"absent": True}, secret_args=secret_args)
    cfg = {k: v for k, v in current.config.items() if k != "name"}
    state = (current.state or "RUNNING").lower()
    sens = frozenset(spec.sensitive_keys) | current.sensitive_keys | frozenset(k for k in cfg if is_sensitive_key(k))
    return Step(PUT_CONNECTOR, args, {"absent": False, "config": mask_config(cfg, sens), "state": state},
                {"config": cfg, "state": state}, secret_args)


def _live_topic_args(live: LiveState, name: str) -> dict[str, Any]:
    t = live.topics[name]
    return {"name": name, "partitions": t.partitions, "replication_factor": t.replication_factor,
            "config": dict(t.overrides)}


def ownership_after(plan: Plan, stack: Stack, live: LiveState, destroy: bool) -> dict[str, list[str]]:
    """The ownership record once the plan is applied: everything the stack declares (created now, or adopted
    because it already existed as declared), minus what the plan deletes; and which of those are protected
    (declared so now, or recorded so and no longer declared)."""
    deleted = {(c.type, c.name) for c in plan.changes if c.action == Action.DELETE}
    declared_t = {t.name: t for t in stack.topics}
    declared_c = {c.name: c for c in stack.connectors}
    # What the record says the stack owns but no longer exists is dropped: if someone creates a topic of that name
    # later, it is theirs, not this stack's.
    owned_t = {n for n in live.owned_topics if n in live.topics}
    owned_c = {n for n in live.owned_connectors if n in live.connectors}
    if destroy:
        topics = {n for n in owned_t if ("topic", n) not in deleted}
        conns = {n for n in owned_c if ("connector", n) not in deleted}
    else:
        topics = (owned_t | set(declared_t)) - {n for k, n in deleted if k == "topic"}
        conns = (owned_c | set(declared_c)) - {n for k, n in deleted if k == "connector"}

    def protected(names, declared, recorded):
        return sorted(n for n in names if (declared[n].protect if n in declared else n in recorded))

    def secrets(name):
        if name in declared_c:
            spec = declared_c[name]
            return sorted(set(spec.sensitive_keys) | {k for k, v in spec.config.items()
                                                      if has_secret_ref(v) or is_sensitive_key(k)})
        current = live.connectors.get(name)
        return sorted(current.sensitive_keys) if current is not None else []

    return {"topics": sorted(topics), "connectors": sorted(conns),
            "protected_topics": protected(topics, declared_t, live.protected_topics),
            "protected_connectors": protected(conns, declared_c, live.protected_connectors),
            "sensitive": {n: keys for n in sorted(conns) if (keys := secrets(n))}}


def ownership_of(live: LiveState) -> dict[str, list[str]]:
    """The ownership record as the live state shows it (the before-image of RECORD_OWNERSHIP)."""
    return {"topics": sorted(live.owned_topics), "connectors": sorted(live.owned_connectors),
            "protected_topics": sorted(live.protected_topics), "protected_connectors": sorted(live.protected_connectors),
            "sensitive": {n: sorted(c.sensitive_keys) for n, c in sorted(live.connectors.items())
                          if n in live.owned_connectors and c.sensitive_keys}}
