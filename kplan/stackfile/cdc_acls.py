"""The ACL bindings a CDC source's connector needs when it declares `principal:` (the Kafka principal its
Debezium connector's clients authenticate as), derived from what the expansion generates — and nothing more —
then merged into the stack's `acls` entries. Pure.

What each generated topic needs (the Debezium and Kafka Connect facts behind it are in docs/secured-clusters.md,
"CDC connector principals"):

* a table topic, and the signaling table's topic (Debezium captures its watermarks like any table): WRITE and
  DESCRIBE, for the connector's producer (Connect describes a topic before it would create one);
* the schema-history topic: WRITE (its producer), READ (its consumer) and DESCRIBE, and READ on the history
  consumer's group: `schema.history.internal.consumer.group.id`, else `schema.history.internal.name`, else
  Debezium's default `<topic.prefix>-schemahistory`;
* the Kafka signal topic: READ and DESCRIBE, and READ on the signal consumer's group: `signal.consumer.group.id`,
  else `signal.kafka.groupId`, else Debezium's default `kafka-signal`.

No CREATE: kplan creates every one of these topics before the connector. No IDEMPOTENT_WRITE: the schema-history
producer is not idempotent, and an idempotent producer with WRITE on a topic needs no more (KIP-679).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping

from kplan.kinds.acl.model import AclSpec
from kplan.model.bindings import AclBinding
from kplan.model.diagnostics import Diagnostics
from kplan.model.metadata import EMPTY, Meta
from kplan.model.source import Loc, Origin

TOPIC_OPERATIONS = {
    "table": ("WRITE", "DESCRIBE"),
    "signal-table": ("WRITE", "DESCRIBE"),
    "schema-history": ("WRITE", "READ", "DESCRIBE"),
    "signal": ("READ", "DESCRIBE"),
}
HISTORY_GROUP_KEYS = ("schema.history.internal.consumer.group.id", "schema.history.internal.name")
SIGNAL_GROUP_KEYS = ("signal.consumer.group.id", "signal.kafka.groupId")
SIGNAL_DEFAULT_GROUP = "kafka-signal"  # KafkaSignalChannel.GROUP_ID's default


@dataclass(frozen=True)
class Generated:
    """The bindings one CDC source generates for its principal, and where the source declares it."""

    principal: str
    source: str
    bindings: tuple[AclBinding, ...]
    origin: Origin
    meta: Meta = EMPTY  # the source's owner, description and labels: its principal's unless `acls` declares it


def connector_bindings(topics: Iterable[tuple[str, str]], config: Mapping[str, str]) -> tuple[AclBinding, ...]:
    """The bindings for a connector writing and reading `topics` ((name, role) pairs, as the expansion generates
    them) with this final connector config: sorted, unique."""
    out: set[AclBinding] = set()
    roles = set()
    for name, role in topics:
        roles.add(role)
        out |= {AclBinding("topic", "literal", name, op) for op in TOPIC_OPERATIONS.get(role, ())}
    if "schema-history" in roles:
        prefix = config.get("topic.prefix", "")
        out.add(AclBinding("group", "literal", _first(config, HISTORY_GROUP_KEYS, f"{prefix}-schemahistory"), "READ"))
    if "signal" in roles:
        out.add(AclBinding("group", "literal", _first(config, SIGNAL_GROUP_KEYS, SIGNAL_DEFAULT_GROUP), "READ"))
    return tuple(sorted(out))


def _first(config: Mapping[str, str], keys: tuple[str, ...], default: str) -> str:
    return next((config[k] for k in keys if config.get(k)), default)


def merge_generated(declared: tuple[AclSpec, ...], generated: list[Generated],
                    diags: Diagnostics) -> tuple[AclSpec, ...]:
    """The stack's ACL entries with each CDC principal's bindings added: to the principal's `acls` entry when it
    has one (its authoritative flag and origin stay), else as an entry of its own at the first source that
    declares it. A binding declared and generated is one binding. A declared DENY that would refuse a generated
    binding is a warning (Kafka lets a deny win)."""
    by_name = {a.name: a for a in declared}
    merged: dict[str, AclSpec] = dict(by_name)
    for gen in generated:
        spec = merged.get(gen.principal)
        if spec is None:
            merged[gen.principal] = AclSpec(gen.principal, gen.bindings, origin=gen.origin,
                                            cdc_sources=(gen.source,))
            continue
        merged[gen.principal] = AclSpec(spec.name, tuple(sorted(set(spec.bindings) | set(gen.bindings))),
                                        spec.authoritative, origin=spec.origin,
                                        cdc_sources=spec.cdc_sources + (gen.source,))
        explicit = by_name.get(gen.principal)
        if explicit is not None:
            _warn_denied(explicit, gen, diags)
    return tuple(sorted(merged.values(), key=lambda a: a.name))


def _warn_denied(explicit: AclSpec, gen: Generated, diags: Diagnostics) -> None:
    for allow in gen.bindings:
        deny = next((d for d in explicit.bindings if d.permission == "DENY" and denies(d, allow)), None)
        if deny is not None and explicit.origin is not None:
            o = explicit.origin
            where = "" if deny.host == "*" else f" from {deny.host}"
            diags.warning(Loc(o.file, o.line, o.column),
                          f'{explicit.name} has "{deny.describe()}", which cdc source "{gen.source}" needs '
                          f'("{allow.describe()}"): Kafka lets a deny win, so its connector is refused{where}')
            return


def denies(deny: AclBinding, allow: AclBinding) -> bool:
    """Whether a DENY binding refuses what an ALLOW binding (of any host) grants: the same resource type, an
    operation of ALL or the same, a name pattern covering the allowed name."""
    if deny.resource != allow.resource or deny.operation not in ("ALL", allow.operation):
        return False
    if deny.pattern == "prefixed":
        return allow.name.startswith(deny.name)
    return deny.name in ("*", allow.name)
