"""LiveState from a JSON document: golden tests, unit tests and offline planning (`kplan plan --live-state`).

    {"cluster_id": "c1", "broker_count": 3,
     "topics": {"orders": {"partitions": 6, "replication_factor": 3,
                           "overrides": {"retention.ms": "86400000"}, "effective": {...}, "sensitive_keys": []}},
     "connectors": {"pg-src": {"config": {...}, "state": "RUNNING", "tasks": [{"id": 0, "state": "RUNNING"}]}},
     "owned_topics": [...], "owned_connectors": [...], "protected_topics": [...], "protected_connectors": [...],
     "connector_plugins": [...] or null, "all_topic_names": [...] or null,
     "unfinished_run": "run ... started ..." or null, "locked": false,
     "foreign_owners": {"topic.x": "other-stack"}}

A connector may carry "sensitive_keys" (the keys its ownership record names as secrets).

ACLs, by principal: {"acls": {"User:app": {"bindings": [{"resource": "topic", "pattern": "literal",
"name": "orders", "operation": "WRITE", "permission": "ALLOW", "host": "*"}],
"owned": ["topic|literal|orders|WRITE|ALLOW|*"]}},
"acl_problem": null | "security-disabled" | "not-authorized" | "not-authorized-alter"}: `owned` are the keys of the
bindings the stack's record says kplan created (`permission` defaults to ALLOW, `host` to "*", `pattern` to
literal).

SCRAM users: {"users": {"app": {"credentials": {"SCRAM-SHA-512": 4096}}}, "owned_users": {"app": "<rotation>"},
"user_problem": null | "not-authorized" | "not-authorized-alter"}: `owned_users` maps the users the stack's record
owns to the rotation token kplan last applied ("" for none); a list of names means no tokens.

Client quotas, by entity name: {"quotas": {"user=app": {"user": "app", "client_id": null,
"values": {"producer_byte_rate": 1048576}, "owned": ["producer_byte_rate"]}}, "quota_problem": null |
"not-authorized"}: `owned` are the keys the stack's record says kplan set.

Connector offsets: {"offset_tokens": {"sink": "<request token kplan last applied>"}, "connector_offsets": {"sink":
{"token": "<recorded token or null>", "exists": true, "type": "sink", "offsets": [{"partition": {...}, "offset":
{...}}]}}}: `connector_offsets` holds what Connect has for the connectors whose declared request is pending.

Schema registry subjects: {"subjects": {"orders-value": {"version": 2, "schema": "<text>", "schema_type": "AVRO",
"references": [{"name": "x.A", "subject": "a", "version": 1}], "id": 7, "versions": [1, 2],
"compatibility": "FULL" or null, "effective_compatibility": "BACKWARD", "declared_version": null or the earlier
version holding the declared schema}}, "owned_subjects": {"orders-value":
"<sha256 digest kplan recorded>" or "latest"}, "subject_problem": null | "no-registry" | "...", "registry_level":
"BACKWARD"}: "latest" records the digest of the live latest version (kplan registered it); a list of names means
"latest" for each. A `subject_problem` other than a code is why the registry could not be read, said as is.

`effective` defaults to the overrides (overrides always win over it). A topic may carry "assignment" (the replica
broker ids of each partition, [[1, 2], [2, 3]]) and the state "broker_racks" ({"1": "rack-a", ...}): without
both, a replication-factor change cannot be planned as a reassignment.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

from kplan.errors import KplanError
from kplan.model.desired import AclBinding, QuotaEntity, SchemaReference, freeze
from kplan.model.live import (
    KindState,
    LiveAcls,
    LiveConnector,
    LiveQuota,
    LiveState,
    LiveSubject,
    LiveTask,
    LiveTopic,
    LiveUser,
    Problem,
)
from kplan.model.offsets import LiveOffsets, canonical
from kplan.model.plan import ResourceType


def live_state_from_dict(doc: Any) -> LiveState:
    try:
        topics = {name: _topic(name, t) for name, t in (doc.get("topics") or {}).items()}
        connectors = {name: _connector(name, c) for name, c in (doc.get("connectors") or {}).items()}
        acls = {p: _acls(p, a) for p, a in (doc.get("acls") or {}).items()}
        owned_users = doc.get("owned_users") or {}
        owned_users = owned_users if isinstance(owned_users, dict) else {u: "" for u in owned_users}
        users = {u: _user(u, x, owned_users) for u, x in (doc.get("users") or {}).items()}
        quotas = {q.name: q for q in (_quota(d) for d in (doc.get("quotas") or {}).values())}
        subjects = {n: _subject(n, x) for n, x in (doc.get("subjects") or {}).items()}
        owned_subjects = doc.get("owned_subjects") or {}
        owned_subjects = owned_subjects if isinstance(owned_subjects, dict) else {n: "latest" for n in owned_subjects}
        records = {n: (_latest_digest(subjects[n]) if d == "latest" and n in subjects else str(d))
                   for n, d in owned_subjects.items()}
        plugins = doc.get("connector_plugins")
        subject_problem, subject_detail = _subject_problem(doc.get("subject_problem"))
        names = doc.get("all_topic_names")
        return LiveState(
            cluster_id=str(doc.get("cluster_id", "")),
            broker_count=int(doc.get("broker_count", 1)),
            topics=freeze(topics),
            connectors=freeze(connectors),
            owned_topics=frozenset(doc.get("owned_topics") or ()),
            owned_connectors=frozenset(doc.get("owned_connectors") or ()),
            protected_topics=frozenset(doc.get("protected_topics") or ()),
            protected_connectors=frozenset(doc.get("protected_connectors") or ()),
            connector_plugins=None if plugins is None else frozenset(plugins),
            all_topic_names=None if names is None else frozenset(names),
            unfinished_run=doc.get("unfinished_run") or None,
            locked=bool(doc.get("locked", False)),
            foreign_owners=freeze({str(k): str(v) for k, v in (doc.get("foreign_owners") or {}).items()}),
            broker_racks=MappingProxyType({int(k): (None if v is None else str(v))
                                           for k, v in sorted((doc.get("broker_racks") or {}).items())}),
            registry_level=doc.get("registry_level") or None,
            kinds=freeze({
                ResourceType.ACL: KindState(freeze(acls), frozenset(p for p, a in acls.items() if a.owned),
                                            problem=_problem(doc.get("acl_problem"))),
                ResourceType.USER: KindState(freeze(users), frozenset(owned_users),
                                             problem=_problem(doc.get("user_problem"))),
                ResourceType.QUOTA: KindState(freeze(quotas), frozenset(n for n, q in quotas.items() if q.owned),
                                              problem=_problem(doc.get("quota_problem"))),
                ResourceType.OFFSETS: KindState(
                    freeze({n: _offsets(n, o) for n, o in (doc.get("connector_offsets") or {}).items()}),
                    records=freeze({str(k): str(v) for k, v in (doc.get("offset_tokens") or {}).items()})),
                ResourceType.SUBJECT: KindState(freeze(subjects), frozenset(records), problem=subject_problem,
                                                problem_detail=subject_detail, records=freeze(records)),
            }),
        )
    except (AttributeError, KeyError, TypeError, ValueError) as e:
        raise KplanError(f"malformed live state: {type(e).__name__}: {e}") from None


def _problem(code: Any) -> Problem | None:
    """A problem code (ValueError for another word: a malformed live state); None for null or ""."""
    return Problem(code) if code else None


def _subject_problem(value: Any) -> tuple[Problem | None, str | None]:
    """A problem code, or any other line: why the registry could not be read (UNREACHABLE, the line kept as is)."""
    if not value:
        return None, None
    if value in {p.value for p in Problem}:
        return Problem(value), None
    return Problem.UNREACHABLE, str(value)


def _topic(name: str, t: dict) -> LiveTopic:
    overrides = {k: v for k, v in (t.get("overrides") or {}).items()}
    effective = {**(t.get("effective") or {}), **overrides}
    return LiveTopic(name, int(t["partitions"]), int(t["replication_factor"]), freeze(overrides), freeze(effective),
                     frozenset(t.get("sensitive_keys") or ()),
                     tuple(tuple(int(b) for b in replicas) for replicas in t.get("assignment") or ()))


def _connector(name: str, c: dict) -> LiveConnector:
    config = {"name": name, **{k: str(v) for k, v in (c.get("config") or {}).items()}}
    tasks = tuple(LiveTask(int(x["id"]), str(x["state"]), x.get("worker_id", ""), x.get("trace", ""))
                  for x in c.get("tasks") or ())
    return LiveConnector(name, freeze(config), c.get("state"), tasks, c.get("type"), c.get("trace", ""),
                         frozenset(c.get("sensitive_keys") or ()))


def _acls(principal: str, a: dict) -> LiveAcls:
    bindings = frozenset(AclBinding(str(b["resource"]), str(b.get("pattern", "literal")), str(b["name"]),
                                    str(b["operation"]), str(b.get("permission", "ALLOW")), str(b.get("host", "*")))
                         for b in a.get("bindings") or ())
    return LiveAcls(principal, bindings, frozenset(a.get("owned") or ()))


def _user(name: str, u: dict, owned: dict) -> LiveUser:
    credentials = frozenset((str(m), int(i)) for m, i in (u.get("credentials") or {}).items())
    return LiveUser(name, credentials, str(owned[name] or "") if name in owned else None)


def _quota(q: dict) -> LiveQuota:
    entity = QuotaEntity(q.get("user"), q.get("client_id"))
    if entity.user is None and entity.client_id is None:
        raise ValueError("a quota entity needs a user or a client_id")
    return LiveQuota(entity, freeze({str(k): float(v) for k, v in (q.get("values") or {}).items()}),
                     frozenset(q.get("owned") or ()))


def _offsets(name: str, o: dict) -> LiveOffsets:
    return LiveOffsets(name, None if o.get("token") is None else str(o["token"]), bool(o.get("exists", True)),
                       tuple(sorted(canonical(x) for x in o.get("offsets") or ())), o.get("type"))


def _subject(name: str, x: dict) -> LiveSubject:
    refs = tuple(SchemaReference(str(r["name"]), str(r["subject"]), int(r["version"]))
                 for r in x.get("references") or ())
    version = int(x["version"])
    return LiveSubject(name, version, str(x["schema"]), str(x.get("schema_type") or "AVRO"), refs,
                       None if x.get("id") is None else int(x["id"]),
                       tuple(int(v) for v in x.get("versions") or (version,)), x.get("compatibility") or None,
                       x.get("effective_compatibility") or x.get("compatibility") or None,
                       None if x.get("declared_version") is None else int(x["declared_version"]))


def _latest_digest(s: LiveSubject) -> str:
    from kplan.rules.schemas import schema_digest

    return schema_digest(s.schema_type, s.schema, s.references)
