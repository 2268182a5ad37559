"""`kplan import --from strimzi`: Strimzi's KafkaTopic, KafkaUser and KafkaConnector manifests -> the live state those
resources describe, which `kplan import`'s own pipeline (kplan.importer.build, each kind's importer) turns into stack
entries exactly as for a cluster it reads. Pure: the manifests' texts in, a live-state document out.

A KafkaTopic is a topic (`spec.topicName`, else its name; `partitions`, `replicas`, `config` as the topic operator
sends it: lists joined by commas); its Kubernetes labels, but Strimzi's own `strimzi.io/*`, become kplan's labels.
A KafkaUser's `simple` authorization is its principal's ACL bindings (`User:<name>` for SCRAM, `User:CN=<name>` for
TLS, as Strimzi's user operator names them) and its `quotas` the principal's client quota; its SCRAM credential is
not imported (the password is in a Secret the user operator generated: kplan cannot read or keep it). A
KafkaConnector is a connector (`class`, `tasksMax`, `config`, `state`). Several manifests per file (`---`), any
order; anything else (another kind, another API group) is refused in one located line, and nothing is written.
"""

from __future__ import annotations

from typing import Any, Sequence

from kplan.errors import KplanError
from kplan.importer.sources import (
    Bindings,
    Source,
    Unmapped,
    document_topic,
    mapping,
    positive_count,
    where,
    yaml_documents,
)
from kplan.rules.units import as_written

GROUP = "kafka.strimzi.io/"
KINDS = ("KafkaTopic", "KafkaUser", "KafkaConnector")
_ACL_RESOURCES = {"topic": "topic", "group": "group", "cluster": "cluster", "transactionalId": "transactional_id"}
_PATTERNS = {"literal": "literal", "prefix": "prefixed"}
_QUOTAS = {"producerByteRate": "producer_byte_rate", "consumerByteRate": "consumer_byte_rate",
           "requestPercentage": "request_percentage", "controllerMutationRate": "controller_mutation_rate"}
_STATES = {"running": "RUNNING", "paused": "PAUSED", "stopped": "STOPPED"}


def translate(sources: Sequence[Source]) -> tuple[dict, tuple[Unmapped, ...]]:
    """The live-state document of the manifests (kplan.kinds.livejson's format; a topic's labels in its `metadata`,
    where kplan's record keeps them) and what was not mapped."""
    doc: dict[str, Any] = {"cluster_id": "", "broker_count": 1, "topics": {}, "acls": {}, "quotas": {},
                           "connectors": {}, "metadata": {}}
    unmapped: list[Unmapped] = []
    seen: dict[tuple[str, str], str] = {}
    for source in sources:
        for node, manifest in yaml_documents(source, "Strimzi"):
            at = where(source, node, "kind")
            kind, api = manifest.get("kind"), str(manifest.get("apiVersion", ""))
            if not api.startswith(GROUP) or kind not in KINDS:
                raise KplanError(f"{at}: {kind or 'a manifest without kind'} ({api or 'no apiVersion'}) is not a "
                                 f"resource kplan imports from Strimzi: give only {', '.join(KINDS)} manifests")
            meta = mapping(manifest, "metadata")
            spec = mapping(manifest, "spec")
            name = meta.get("name")
            if not isinstance(name, str) or not name:
                raise KplanError(f"{where(source, node, 'metadata')}: a {kind} has metadata.name")
            key, named = (kind, name), where(source, node, "metadata", "name")
            if key in seen:
                raise KplanError(f"{named}: {kind} {name!r} is given twice (also at {seen[key]}): keep one")
            seen[key] = named
            if kind == "KafkaTopic":
                topic = str(spec.get("topicName") or name)
                config = {str(k): as_written(v) for k, v in mapping(spec, "config").items() if v is not None}
                doc["topics"][topic] = document_topic(_count(source, node, spec, "partitions"),
                                                  _count(source, node, spec, "replicas"), config)
                own = {str(k): str(v) for k, v in mapping(meta, "labels").items()
                       if not str(k).startswith("strimzi.io/")}
                if own:
                    doc["metadata"][f"topic.{topic}"] = {"labels": own}
            elif kind == "KafkaUser":
                _user(source, node, name, spec, doc, unmapped)
            else:
                doc["connectors"][name] = _connector(source, node, name, spec)
    return doc, tuple(unmapped)


def _count(source: Source, node, spec: dict, key: str) -> int:
    return positive_count(spec.get(key), where(source, node, "spec", key), f"spec.{key}",
                          ": kplan declares what the topic has (Strimzi's default is the broker's)")


def _user(source: Source, node, name: str, spec: dict, doc: dict, unmapped: list[Unmapped]) -> None:
    authentication = mapping(spec, "authentication")
    kind = authentication.get("type")
    principal_name = f"CN={name}" if kind in ("tls", "tls-external") else name
    if kind == "scram-sha-512":
        unmapped.append(Unmapped(where(source, node, "spec", "authentication"), f"KafkaUser {name}: SCRAM-SHA-512 "
                                 "credential", "its password is in the Secret Strimzi's user operator generated, "
                                 "which kplan cannot read or keep: declare the user in `users:` with a password "
                                 "reference when the user operator stops managing it (docs/stack-format.md)"))
    authorization = mapping(spec, "authorization")
    if authorization and authorization.get("type") != "simple":
        unmapped.append(Unmapped(where(source, node, "spec", "authorization"), f"KafkaUser {name}: "
                                 f"{authorization.get('type')} authorization", "kplan writes Kafka's own ACLs "
                                 "(the `simple` authorizer's)"))
    elif authorization:
        acls, at = Bindings(doc["acls"]), where(source, node, "spec", "authorization")
        for acl in authorization.get("acls") or ():
            resource = mapping(acl, "resource")
            rtype = _ACL_RESOURCES.get(str(resource.get("type")))
            pattern = _PATTERNS.get(str(resource.get("patternType") or "literal"))
            if rtype is None or pattern is None:
                raise KplanError(f"{at}: KafkaUser {name}: an ACL on "
                                 f"{resource.get('type')!r} ({resource.get('patternType')!r}) is not Strimzi's: a "
                                 "resource is a topic, group, cluster or transactionalId, literal or prefix")
            operations = acl.get("operations") or ([acl["operation"]] if acl.get("operation") else [])
            for operation in operations:
                acls.grant(f"User:{principal_name}", rtype, "kafka-cluster" if rtype == "cluster" else
                           str(resource.get("name") or ""), str(operation), at, pattern,
                           str(acl.get("type") or "allow"), str(acl.get("host") or "*"))
    quotas = mapping(spec, "quotas")
    values = {_QUOTAS[k]: v for k, v in quotas.items() if k in _QUOTAS and v is not None}
    if values:
        doc["quotas"][f"user={principal_name}"] = {"user": principal_name, "values": values}


def _connector(source: Source, node, name: str, spec: dict) -> dict:
    if not isinstance(spec.get("class"), str) or not spec["class"]:
        raise KplanError(f"{where(source, node, 'spec')}: KafkaConnector {name}: spec.class names the connector's "
                         "class")
    config = {str(k): as_written(v) for k, v in mapping(spec, "config").items() if v is not None}
    config = {"connector.class": spec["class"], **config, "name": name}
    if spec.get("tasksMax") is not None:
        config["tasks.max"] = as_written(spec["tasksMax"])
    state = _STATES.get(str(spec.get("state") or ("paused" if spec.get("pause") else "running")))
    if state is None:
        raise KplanError(f"{where(source, node, 'spec', 'state')}: KafkaConnector {name}: state "
                         f"{spec.get('state')!r} is running, paused or stopped")
    return {"config": config, "state": state, "tasks": []}
