"""`kplan import --from julieops`: JulieOps topology files -> the live state they describe, which `kplan import`'s own
pipeline (kplan.importer.build, each kind's importer) writes as stack entries. Pure: texts in.

A topology names a `context` (and any further top-level attributes, `source:` for one, in the order written), and
`projects`, each with its `topics` and the principals that use them. Topic names follow JulieOps' default format:
`<context>.<attributes...>.<project>.<topic>[.<dataType>]`; `num.partitions` and `replication.factor` come from the
topic's `config` (JulieOps takes them out of the topic's config; the rest is the config). The ACL bindings are the
ones JulieOps creates by default (its `AclsBindingsBuilder`, ACLs not "optimized"), for each topic of the project:
- a consumer: DESCRIBE and READ on the topic, READ on its `group` (`*` when it names none; a trailing `*` makes it a
  prefix);
- a producer: DESCRIBE and WRITE on the topic; with `transactionId`, DESCRIBE and WRITE on it; with a
  `transactionId` or `idempotence`, IDEMPOTENT_WRITE on the cluster;
- a streams application: READ on its `topics.read`, WRITE on its `topics.write`, ALL on the topics and READ on the
  groups prefixed by its `applicationId` (else the project's prefix);
- a connector's principal: READ and WRITE on the worker's `connect-status`, `connect-offsets`, `connect-configs`
  topics (or the ones it names), READ on its `group` (`connect-cluster`), READ on `topics.read`, WRITE on
  `topics.write`, and CREATE on the cluster.
Schemas, the platform section (Schema Registry, Control Center, ksqlDB) and RBAC are listed as not mapped.
"""

from __future__ import annotations

from typing import Any, Sequence

from kplan.errors import KplanError
from kplan.importer.sources import Bindings, Source, Unmapped, document_topic, mapping, where, yaml_documents

_NOT_ATTRIBUTES = ("context", "projects", "platform", "special_topics")


def translate(sources: Sequence[Source]) -> tuple[dict, tuple[Unmapped, ...]]:
    """The live-state document (kplan.kinds.livejson's format) of the topologies, and what was not mapped."""
    doc: dict[str, Any] = {"cluster_id": "", "broker_count": 1, "topics": {}, "acls": {}}
    unmapped: list[Unmapped] = []
    for source in sources:
        for node, topology in yaml_documents(source, "JulieOps"):
            if not isinstance(topology.get("context"), str) or not isinstance(topology.get("projects"), list):
                raise KplanError(f"{where(source, node)}: not a JulieOps topology (it has a `context:` and "
                                 "`projects:`)")
            attributes = [str(v) for k, v in topology.items() if k not in _NOT_ATTRIBUTES and isinstance(v, str)]
            if topology.get("platform"):
                unmapped.append(Unmapped(where(source, node, "platform"), "platform", "Schema Registry, Control "
                                         "Center and ksqlDB principals: declare their ACLs in `acls:`"))
            for project in topology["projects"]:
                _project(source, node, [topology["context"], *attributes], project, doc, unmapped)
    return doc, tuple(unmapped)


def _project(source: Source, node, prefix_parts: list[str], project: Any, doc: dict, unmapped: list) -> None:
    at = where(source, node, "projects")
    if not isinstance(project, dict) or not isinstance(project.get("name"), str):
        raise KplanError(f"{at}: a JulieOps project has a `name:`")
    prefix = ".".join([*prefix_parts, project["name"]])
    acls = Bindings(doc["acls"])
    for topic in project.get("topics") or ():
        name = _topic(at, prefix, topic, doc)
        for consumer in [*(project.get("consumers") or ()), *(topic.get("consumers") or ())]:
            acls.grant(consumer.get("principal"), "topic", name, ("DESCRIBE", "READ"), at)
            acls.grant(consumer.get("principal"), "group", *_maybe_prefix(consumer.get("group") or "*", "READ", at))
        for producer in [*(project.get("producers") or ()), *(topic.get("producers") or ())]:
            _producer(acls, producer, name, at)
    for app in project.get("streams") or ():
        _reads_writes(acls, app, at)
        for resource, operation in (("topic", "ALL"), ("group", "READ")):
            acls.grant(app.get("principal"), resource, str(app.get("applicationId") or prefix), operation, at,
                       "prefixed")
    for connector in project.get("connectors") or ():
        for store in ("status", "offset", "configs"):
            topic = str(connector.get(f"{store}_topic") or f"connect-{store}{'s' if store == 'offset' else ''}")
            acls.grant(connector.get("principal"), "topic", topic, ("READ", "WRITE"), at)
        acls.grant(connector.get("principal"), "cluster", "kafka-cluster", "CREATE", at)
        acls.grant(connector.get("principal"), "group", str(connector.get("group") or "connect-cluster"), "READ", at)
        _reads_writes(acls, connector, at)
    unmapped += [Unmapped(at, f"project {project['name']}: {key}", "kplan imports schemas from the registry (kplan "
                          "import --schema-registry URL) and writes Kafka ACLs, not Confluent RBAC")
                 for key in ("schemas", "rbac") if project.get(key)]


def _maybe_prefix(name: Any, operation: str | tuple[str, ...], at: str) -> tuple[str, str | tuple[str, ...], str, str]:
    """(name, operation, at, pattern): JulieOps reads a trailing `*` (after at least one character) as a prefix."""
    name = str(name)
    return (name[:-1], operation, at, "prefixed") if len(name) > 1 and name.endswith("*") else \
        (name, operation, at, "literal")


def _producer(acls: Bindings, producer: dict, topic: str, at: str) -> None:
    principal = producer.get("principal")
    acls.grant(principal, "topic", topic, ("DESCRIBE", "WRITE"), at)
    if producer.get("transactionId"):
        acls.grant(principal, "transactional_id", *_maybe_prefix(producer["transactionId"], ("DESCRIBE", "WRITE"), at))
    if producer.get("transactionId") or producer.get("idempotence"):
        acls.grant(principal, "cluster", "kafka-cluster", "IDEMPOTENT_WRITE", at)


def _reads_writes(acls: Bindings, user: dict, at: str) -> None:
    topics = mapping(user, "topics")
    for key in ("read", "write"):  # READ on its `topics.read`, WRITE on its `topics.write`
        for topic in topics.get(key) or ():
            acls.grant(user.get("principal"), "topic", str(topic), key.upper(), at)


def _topic(at: str, prefix: str, topic: Any, doc: dict) -> str:
    if not isinstance(topic, dict) or not isinstance(topic.get("name"), str):
        raise KplanError(f"{at}: a JulieOps topic has a `name:`")
    name = ".".join([prefix, topic["name"], *([str(topic["dataType"])] if topic.get("dataType") else [])])
    config = {str(k): str(v) for k, v in mapping(topic, "config").items() if v is not None}
    counts = {}
    for key in ("num.partitions", "replication.factor"):
        value = config.pop(key, None)
        if value is None or not value.isdigit() or int(value) <= 0:
            raise KplanError(f"{at}: topic {name!r}: config.{key} is {value!r}; kplan declares what the topic has: "
                             "write the count JulieOps created it with")
        counts[key] = int(value)
    if name in doc["topics"]:
        raise KplanError(f"{at}: topic {name!r} is declared twice: keep one")
    doc["topics"][name] = document_topic(counts["num.partitions"], counts["replication.factor"], config)
    return name
