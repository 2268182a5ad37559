"""Live state -> the documents of a stack file (plain dicts, in the stack format's key order).

Selection: Kafka's, Connect's and kplan's internal topics are never imported, nor is anything another kplan stack
owns (it is already declared somewhere). `--include`/`--exclude`/`--prefix` select by name: a topic's, a
connector's, an ACL principal's name (without `User:`), a quota entity's user or client id.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Mapping

from kplan.importer.values import connector_config_value, human_size, topic_config_value
from kplan.kinds.subject.live import LiveSubject
from kplan.model.desired import QUOTA_KEYS
from kplan.model.live import LiveConnector, LiveState, LiveTopic, problem_line
from kplan.model.plan import ResourceType
from kplan.rules.names import is_reserved_topic
from kplan.secrets import imported_value

# Topics of platform components a stack should not declare (besides kplan's reserved ones): the Schema Registry's
# store, Confluent's internals, and Connect storage topics under a non-default name (`connect-secure-configs`).
_PLATFORM_TOPIC = re.compile(r"^(_schemas|_confluent.*|.*connect.*-(configs|offsets|status|config|offset))$")
_STATES = {"PAUSED": "paused", "STOPPED": "stopped"}  # RUNNING (and FAILED: a fault, not a wish) is the default
# ACL resource types a stack can declare (kplan.kinds.acl.section): others are left out with a note.
_ACL_RESOURCES = ("topic", "group", "cluster", "transactional_id")


@dataclass(frozen=True)
class ImportOptions:
    stack: str
    include: tuple[str, ...] = ()   # regular expressions; a name must match one (search) when any is given
    exclude: tuple[str, ...] = ()   # regular expressions; a name matching one is left out
    prefixes: tuple[str, ...] = ()  # a name must start with one when any is given
    topics: bool = True
    connectors: bool = True
    acls: bool = True
    quotas: bool = True
    subjects: bool = True
    # the registry keeps a subject-level NONE as "no level" (Apicurio): such a NONE is not written
    none_is_no_level: bool = False

    def selects(self, name: str) -> bool:
        if self.prefixes and not name.startswith(self.prefixes):
            return False
        if self.include and not any(re.search(p, name) for p in self.include):
            return False
        return not any(re.search(p, name) for p in self.exclude)


@dataclass(frozen=True)
class Imported:
    """The stack's parts (`topics`, `connectors`, `cdc`, `acls`, `quotas`: lists of entries in the stack format), the
    environment variables its secret references need (name -> what it holds, never a value), and notes for the
    person importing (what was left out and why)."""

    topics: tuple[dict, ...] = ()
    connectors: tuple[dict, ...] = ()
    acls: tuple[dict, ...] = ()
    quotas: tuple[dict, ...] = ()
    cdc: tuple[dict, ...] = ()  # Debezium connectors recognised as `cdc:` sources (`kplan import --cdc`)
    subjects: tuple[dict, ...] = ()  # schema registry subjects (read when the cluster names a registry)
    variables: Mapping[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def documents(self, stack: str, cluster: Mapping[str, Any], *, split: bool) -> dict[str, dict]:
        """File name -> document: one `stack.yaml`, or (split) the stack and cluster there and one file per kind."""
        parts = {k: list(v) for k, v in (("topics", self.topics), ("connectors", self.connectors),
                                          ("cdc", self.cdc), ("acls", self.acls), ("quotas", self.quotas),
                                          ("subjects", self.subjects)) if v}
        head: dict = {"stack": stack, "cluster": dict(cluster)}
        if not split:
            return {"stack.yaml": {**head, **parts}}
        return {"stack.yaml": head, **{f"{kind}.yaml": {kind: entries} for kind, entries in parts.items()}}


def build_import(live: LiveState, options: ImportOptions) -> Imported:
    notes: list[str] = []
    variables: dict[str, str] = {}
    foreign = live.foreign_owners

    def owned_elsewhere(kind: str, name: str) -> bool:
        owner = foreign.get(f"{kind}.{name}")
        if owner is not None:
            notes.append(f"{kind} {name!r} left out: the kplan stack {owner!r} owns it")
        return owner is not None

    topics = []
    if options.topics:
        skipped = 0
        for name in sorted(live.topics):
            if not options.selects(name):
                continue
            if is_reserved_topic(name) or _PLATFORM_TOPIC.match(name):
                skipped += 1
                continue
            if not owned_elsewhere("topic", name):
                topics.append(topic_entry(live.topics[name]))
        if skipped:
            notes.append(f"{skipped} internal topic(s) of Kafka, Connect, the schema registry or kplan left out")
    connectors = []
    if options.connectors:
        for name in sorted(live.connectors):
            if options.selects(name) and not owned_elsewhere("connector", name):
                connectors.append(connector_entry(live.connectors[name], variables, notes))
    acls = []
    live_acls = live.of(ResourceType.ACL)
    if options.acls:
        if live_acls.problem is not None:
            notes.append(f"ACLs not imported: {problem_line(live_acls.problem)}")
        for principal in sorted(live_acls.resources):
            if options.selects(principal.partition(":")[2]) and not owned_elsewhere("acl", principal):
                entry = acl_entry(principal, live_acls.resources[principal].bindings, notes)
                if entry is not None:
                    acls.append(entry)
    quotas = []
    live_quotas = live.of(ResourceType.QUOTA)
    if options.quotas:
        if live_quotas.problem is not None:
            notes.append(f"client quotas not imported: {problem_line(live_quotas.problem)}")
        for name in sorted(live_quotas.resources):
            quota = live_quotas.resources[name]
            names = [n for n in (quota.entity.user, quota.entity.client_id) if n is not None]
            if not any(options.selects(n) for n in names) or owned_elsewhere("quota", name):
                continue
            values = {k: v for k, v in quota.values.items() if k in QUOTA_KEYS}
            if len(values) < len(quota.values):
                other = ", ".join(sorted(set(quota.values) - set(values)))
                notes.append(f"quota {name}: {other} left out (a stack can declare {', '.join(QUOTA_KEYS)})")
            if values:
                quotas.append(quota_entry(quota.entity, values))
    subjects = []
    live_subjects = live.of(ResourceType.SUBJECT)
    if options.subjects:
        if live_subjects.problem is not None:
            notes.append("schema registry subjects not imported: "
                         f"{problem_line(live_subjects.problem, live_subjects.problem_detail)}")
        for name in sorted(live_subjects.resources):
            if options.selects(name) and not owned_elsewhere("subject", name):
                subjects.append(subject_entry(live_subjects.resources[name], options.none_is_no_level))
    users = [u for u in live.of(ResourceType.USER).resources if options.selects(u)]
    if users:
        notes.append(f"{len(users)} SCRAM user(s) not imported: Kafka never gives a password back, and "
                     "declaring a user makes kplan set its password; declare users by hand (docs/stack-format.md)")
    return Imported(tuple(topics), tuple(connectors), tuple(acls), tuple(quotas), subjects=tuple(subjects),
                    variables=variables, notes=tuple(notes))


def subject_entry(subject: LiveSubject, none_is_no_level: bool) -> dict:
    """A subject as the stack declares it: its latest schema inline, as the registry holds it (plans compare
    canonical forms, so the text loads back to no change), its type, references and own compatibility level."""
    entry: dict[str, Any] = {"name": subject.name, "schema": subject.schema}
    if subject.schema_type != "AVRO":
        entry["type"] = subject.schema_type.lower()
    if subject.references:
        entry["references"] = [{"name": r.name, "subject": r.subject, "version": r.version}
                               for r in subject.references]
    level = subject.compatibility
    if level and not (level == "NONE" and none_is_no_level):
        entry["compatibility"] = level
    return entry


def topic_entry(topic: LiveTopic) -> dict:
    entry: dict = {"name": topic.name, "partitions": topic.partitions, "replication_factor": topic.replication_factor}
    if topic.overrides:
        entry["config"] = {k: topic_config_value(k, v) for k, v in sorted(topic.overrides.items())}
    return entry


def connector_entry(connector: LiveConnector, variables: dict[str, str], notes: list[str]) -> dict:
    config = dict(connector.config)
    config.pop("name", None)
    entry: dict = {"name": connector.name}
    cls = config.pop("connector.class", None)
    if cls is not None:
        entry["class"] = cls
    tasks = config.get("tasks.max")
    if tasks is not None and re.fullmatch(r"[1-9]\d{0,9}", tasks) and int(tasks) <= 2**31 - 1:
        entry["tasks_max"] = int(config.pop("tasks.max"))
    elif tasks is None:
        notes.append(f"connector {connector.name!r} has no tasks.max: kplan declares the default, 1, so the plan "
                     "will add tasks.max=1 (Connect's own default: nothing changes for the connector)")
    state = _STATES.get((connector.state or "").upper())
    if state:
        entry["state"] = state
    written: dict[str, str] = {}
    for key in sorted(config):
        value, variable = imported_value(connector.name, key, config[key])
        if variable is not None:
            variables[variable] = f"connector {connector.name}: {key}"
            written[key] = value
        else:
            written[key] = connector_config_value(key, value)
    if written:
        entry["config"] = written
    return entry


def acl_entry(principal: str, bindings, notes: list[str]) -> dict | None:
    """One principal's bindings as raw `allow`/`deny` entries, one per resource, pattern and host, operations
    together."""
    groups: dict[tuple, list[str]] = {}
    left_out = 0
    for b in sorted(bindings, key=lambda b: b.key):
        if b.resource not in _ACL_RESOURCES or b.pattern not in ("literal", "prefixed"):
            left_out += 1
            continue
        groups.setdefault((b.permission, b.resource, b.pattern, b.name, b.host), []).append(b.operation)
    if left_out:
        notes.append(f"{left_out} ACL binding(s) of {principal} on resources a stack cannot declare left out")
    if not groups:
        return None
    entry: dict = {"principal": principal}
    for permission, key in (("ALLOW", "allow"), ("DENY", "deny")):
        rows = []
        for (perm, resource, pattern, name, host), operations in groups.items():
            if perm != permission:
                continue
            row: dict = {"resource": resource}
            if resource != "cluster":
                row["name"] = name
            if pattern != "literal":
                row["pattern"] = pattern
            row["operations"] = sorted(set(operations))
            if host != "*":
                row["host"] = host
            rows.append(row)
        if rows:
            entry[key] = rows
    return entry


def quota_entry(entity, values: Mapping[str, float]) -> dict:
    entry: dict = {}
    if entity.user is not None:
        entry["user"] = entity.user
    if entity.client_id is not None:
        entry["client_id"] = entity.client_id
    for key in sorted(values):
        value = values[key]
        number: int | float = int(value) if float(value).is_integer() else value
        entry[key] = human_size(int(number)) if key.endswith("_byte_rate") and isinstance(number, int) else number
    return entry
