"""The hand-written live-state reader kplan had up to 8ea1bfb (kplan/kinds/livejson.py and each kind's
`live_from_json` in kplan/kinds/<kind>/live.py), kept for bench/codecs.py to measure kplan's generated one
(kplan.kinds.live_codec) against: the same document -> the same LiveState. Imports nothing of the generated one, so
that a fresh process can time this reader's first read alone (`codecs.py`, `cold`)."""

from __future__ import annotations

from types import MappingProxyType
from typing import Any, Mapping

from kplan.errors import KplanError
from kplan.kinds.acl.live import LiveAcls
from kplan.kinds.connect_features import ConnectFacts
from kplan.kinds.dynamic_config.model import LiveBrokerConfig, LiveQuota, QuotaEntity
from kplan.kinds.group_request.live import LiveGroup, positions
from kplan.kinds.streams_app.live import LiveStreamsApp
from kplan.kinds.subject.live import LiveSubject
from kplan.kinds.subject.model import SchemaReference
from kplan.kinds.topic.live import consumers_from_json
from kplan.kinds.user.live import LiveUser
from kplan.model.bindings import AclBinding
from kplan.model.desired import DEFAULT_CONNECT, freeze
from kplan.model.live import KindState, LiveConnector, LiveState, LiveTask, LiveTopic, Problem, problem_of
from kplan.model.metadata import Meta
from kplan.model.offsets import LiveOffsets, canonical
from kplan.model.plan import ResourceType


def live_state_from_dict(doc: Any) -> LiveState:
    try:
        names = doc.get("all_topic_names")
        return LiveState(
            cluster_id=str(doc.get("cluster_id", "")),
            broker_count=int(doc.get("broker_count", 1)),
            all_topic_names=None if names is None else frozenset(names),
            unfinished_run=doc.get("unfinished_run") or None,
            locked=bool(doc.get("locked", False)),
            foreign_owners=freeze({str(k): str(v) for k, v in (doc.get("foreign_owners") or {}).items()}),
            broker_racks=MappingProxyType({int(k): (None if v is None else str(v))
                                           for k, v in sorted((doc.get("broker_racks") or {}).items())}),
            registry_level=doc.get("registry_level") or None,
            kinds=freeze({kind: read(doc) for kind, read in KINDS.items()}),
            consumers=consumers_from_json(doc),
            metadata=freeze({str(a): Meta.from_json(m) for a, m in (doc.get("metadata") or {}).items()}),
        )
    except (AttributeError, KeyError, TypeError, ValueError) as e:
        raise KplanError(f"malformed live state: {type(e).__name__}: {e}") from None


def topics(doc: Mapping[str, Any]) -> KindState:
    topics = {name: _topic(name, t) for name, t in (doc.get("topics") or {}).items()}
    return KindState(freeze(topics), frozenset(doc.get("owned_topics") or ()),
                     frozenset(doc.get("protected_topics") or ()))


def _topic(name: str, t: dict[str, Any]) -> LiveTopic:
    overrides = {k: v for k, v in (t.get("overrides") or {}).items()}
    effective = {**(t.get("effective") or {}), **overrides}
    return LiveTopic(name, int(t["partitions"]), int(t["replication_factor"]), freeze(overrides), freeze(effective),
                     frozenset(t.get("sensitive_keys") or ()),
                     tuple(tuple(int(b) for b in replicas) for replicas in t.get("assignment") or ()))


def connectors(doc: Mapping[str, Any]) -> KindState:
    connectors = {name: _connector(name, c) for name, c in (doc.get("connectors") or {}).items()}
    return KindState(freeze(connectors), frozenset(doc.get("owned_connectors") or ()),
                     frozenset(doc.get("protected_connectors") or ()), facts=_connect_facts(doc))


_FACT_KEYS = ("connector_plugins", "connect_problems", "connect_version", "connect_versions", "plugin_versions")


def _connect_facts(doc: Mapping[str, Any]) -> ConnectFacts | None:
    """The Connect clusters' facts the connectors' slice keeps (None when the document says none of them)."""
    if not any(k in doc for k in _FACT_KEYS):
        return None
    plugins = doc.get("connector_plugins")
    return ConnectFacts(
        None if plugins is None else frozenset(plugins),
        freeze({str(k): str(v) for k, v in (doc.get("connect_problems") or {}).items()}),
        freeze({**({DEFAULT_CONNECT: str(doc["connect_version"])} if doc.get("connect_version") else {}),
                **{str(k): str(v) for k, v in (doc.get("connect_versions") or {}).items()}}),
        freeze({str(c): freeze({str(k): tuple(str(x) for x in v) for k, v in (p or {}).items()})
                for c, p in (doc.get("plugin_versions") or {}).items()}))


def _connector(name: str, c: dict[str, Any]) -> LiveConnector:
    connect, _, own = name.rpartition("/")
    config = {"name": own, **{k: str(v) for k, v in (c.get("config") or {}).items()}}
    tasks = tuple(LiveTask(int(x["id"]), str(x["state"]), x.get("worker_id", ""), x.get("trace", ""))
                  for x in c.get("tasks") or ())
    return LiveConnector(name, freeze(config), c.get("state"), tasks, c.get("type"), c.get("trace", ""),
                         frozenset(c.get("sensitive_keys") or ()), connect or DEFAULT_CONNECT)


def acls(doc: Mapping[str, Any]) -> KindState:
    acls = {p: _acls(p, a) for p, a in (doc.get("acls") or {}).items()}
    return KindState(freeze(acls), frozenset(p for p, a in acls.items() if a.owned),
                     problem=problem_of(doc.get("acl_problem")))


def _acls(principal: str, a: dict[str, Any]) -> LiveAcls:
    bindings = frozenset(AclBinding(str(b["resource"]), str(b.get("pattern", "literal")), str(b["name"]),
                                    str(b["operation"]), str(b.get("permission", "ALLOW")), str(b.get("host", "*")))
                         for b in a.get("bindings") or ())
    return LiveAcls(principal, bindings, frozenset(a.get("owned") or ()))


def broker_configs(doc: Mapping[str, Any]) -> KindState:
    configs = {str(n): _config(str(n), d) for n, d in (doc.get("broker_configs") or {}).items()}
    return KindState(freeze(configs), frozenset(n for n, c in configs.items() if c.owned),
                     problem=problem_of(doc.get("broker_config_problem")))


def _config(name: str, d: Mapping[str, Any]) -> LiveBrokerConfig:
    known = d.get("known")
    return LiveBrokerConfig(
        name, freeze({str(k): (None if v is None else str(v)) for k, v in (d.get("values") or {}).items()}),
        frozenset(d.get("owned") or ()),
        freeze({str(k): freeze({str(b): str(v) for b, v in by.items()}) for k, by in (d.get("static") or {}).items()}),
        frozenset(d.get("read_only") or ()), None if known is None else frozenset(known))


def group_of(name: str, token: str | None, doc: Mapping[str, Any]) -> LiveGroup:
    at = doc.get("at_ms")
    return LiveGroup(name, token, str(doc.get("state") or "Dead"), int(doc.get("members") or 0),
                     positions(doc.get("committed")), positions(doc.get("targets")), None if at is None else int(at),
                     tuple(sorted(str(t) for t in doc.get("missing_topics") or ())),
                     tuple(sorted((str(t), int(n)) for t, n in (doc.get("partitions") or {}).items())))


def consumer_groups(doc: Mapping[str, Any]) -> KindState:
    tokens = {str(k): str(v) for k, v in (doc.get("group_tokens") or {}).items()}
    groups = {str(n): group_of(str(n), tokens.get(str(n)), g) for n, g in (doc.get("consumer_groups") or {}).items()}
    return KindState(freeze(groups), records=freeze(tokens))


def offsets(doc: Mapping[str, Any]) -> KindState:
    return KindState(freeze({n: _offsets(n, o) for n, o in (doc.get("connector_offsets") or {}).items()}),
                     records=freeze({str(k): str(v) for k, v in (doc.get("offset_tokens") or {}).items()}))


def _offsets(name: str, o: dict[str, Any]) -> LiveOffsets:
    return LiveOffsets(name, None if o.get("token") is None else str(o["token"]), bool(o.get("exists", True)),
                       tuple(sorted(canonical(x) for x in o.get("offsets") or ())), o.get("type"))


def quotas(doc: Mapping[str, Any]) -> KindState:
    quotas = {q.name: q for q in (_quota(d) for d in (doc.get("quotas") or {}).values())}
    return KindState(freeze(quotas), frozenset(n for n, q in quotas.items() if q.owned),
                     problem=problem_of(doc.get("quota_problem")))


def _quota(q: dict[str, Any]) -> LiveQuota:
    entity = QuotaEntity(q.get("user"), q.get("client_id"))
    if entity.user is None and entity.client_id is None:
        raise ValueError("a quota entity needs a user or a client_id")
    return LiveQuota(entity, freeze({str(k): float(v) for k, v in (q.get("values") or {}).items()}),
                     frozenset(q.get("owned") or ()))


def streams_apps(doc: Mapping[str, Any]) -> KindState:
    apps = {n: _app(n, a) for n, a in (doc.get("streams_apps") or {}).items()}
    return KindState(freeze(apps), frozenset(n for n, a in apps.items() if a.owned),
                     problem=problem_of(doc.get("acl_problem")))


def _app(name: str, a: Mapping[str, Any]) -> LiveStreamsApp:
    held = frozenset((str(b["principal"]), AclBinding(str(b["resource"]), str(b.get("pattern", "literal")),
                                                       str(b["name"]), str(b["operation"]),
                                                       str(b.get("permission", "ALLOW")), str(b.get("host", "*"))))
                     for b in a.get("bindings") or ())
    return LiveStreamsApp(name, held, frozenset(a.get("owned") or ()), tuple(sorted(a.get("internal_topics") or ())))


def subjects(doc: Mapping[str, Any]) -> KindState:
    subjects = {n: _subject(n, x) for n, x in (doc.get("subjects") or {}).items()}
    owned = doc.get("owned_subjects") or {}
    owned = owned if isinstance(owned, dict) else {n: "latest" for n in owned}
    records = {n: (_latest_digest(subjects[n]) if d == "latest" and n in subjects else str(d))
               for n, d in owned.items()}
    problem, detail = _subject_problem(doc.get("subject_problem"))
    return KindState(freeze(subjects), frozenset(records), problem=problem, problem_detail=detail,
                     records=freeze(records))


def _subject_problem(value: Any) -> tuple[Problem | None, str | None]:
    if not value:
        return None, None
    if value in {p.value for p in Problem}:
        return Problem(value), None
    return Problem.UNREACHABLE, str(value)


def _subject(name: str, x: dict[str, Any]) -> LiveSubject:
    refs = tuple(SchemaReference(str(r["name"]), str(r["subject"]), int(r["version"]))
                 for r in x.get("references") or ())
    version = int(x["version"])
    return LiveSubject(name, version, str(x["schema"]), str(x.get("schema_type") or "AVRO"), refs,
                       None if x.get("id") is None else int(x["id"]),
                       tuple(int(v) for v in x.get("versions") or (version,)), x.get("compatibility") or None,
                       x.get("effective_compatibility") or x.get("compatibility") or None,
                       None if x.get("declared_version") is None else int(x["declared_version"]))


def _latest_digest(s: LiveSubject) -> str:
    from kplan.kinds.subject.schemas import schema_digest

    return schema_digest(s.schema_type, s.schema, s.references)


def users(doc: Mapping[str, Any]) -> KindState:
    owned = doc.get("owned_users") or {}
    owned = owned if isinstance(owned, dict) else {u: "" for u in owned}
    users = {u: _user(u, x, owned) for u, x in (doc.get("users") or {}).items()}
    return KindState(freeze(users), frozenset(owned), problem=problem_of(doc.get("user_problem")))


def _user(name: str, u: Mapping[str, Any], owned: Mapping[str, Any]) -> LiveUser:
    credentials = frozenset((str(m), int(i)) for m, i in (u.get("credentials") or {}).items())
    return LiveUser(name, credentials, str(owned[name] or "") if name in owned else None)


# Each kind's slice (the live state's `kinds` is key-sorted: the order here does not matter).
KINDS = {ResourceType.TOPIC: topics, ResourceType.CONNECTOR: connectors, ResourceType.ACL: acls,
         ResourceType.BROKER_CONFIG: broker_configs, ResourceType.CONSUMER_GROUP: consumer_groups,
         ResourceType.OFFSETS: offsets, ResourceType.QUOTA: quotas, ResourceType.STREAMS_APP: streams_apps,
         ResourceType.SUBJECT: subjects, ResourceType.USER: users}
