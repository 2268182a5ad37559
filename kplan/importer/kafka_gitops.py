"""`kplan import --from kafka-gitops`: kafka-gitops' desired-state file -> the live state it describes, which `kplan
import`'s own pipeline (kplan.importer.build, each kind's importer) writes as stack entries. Pure: texts in.

kafka-gitops (devshawn/kafka-gitops) declares `topics` (`partitions`, `replication`, `configs`; the replication
defaults to `settings.topics.defaults.replication`), `services` whose ACLs it generates, and `customServiceAcls` /
`customUserAcls`. The bindings are the ones kafka-gitops itself creates for them:
- an `application`: WRITE on each topic it `produces`, READ on each it `consumes`, and READ on the group named after
  the service when it consumes;
- a `kafka-connect` service: WRITE on what it produces; READ and WRITE on `connect-configs-<service>`,
  `connect-offsets-<service>`, `connect-status-<service>`; READ on the group named after the service; each connector's
  WRITE on what it produces, READ on what it consumes and on the group `connect-<connector>`;
- a custom ACL as written (the service's principal when it names none).
A `kafka-streams` service is listed as not mapped: kplan's Kafka Streams kind generates its own bindings
(`streams_apps:`, docs/stack-format.md), which are not kafka-gitops'. The state may be split over files
(`settings.files`): give them all.
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

_RESOURCES = {"TOPIC": "topic", "GROUP": "group", "CLUSTER": "cluster", "TRANSACTIONAL_ID": "transactional_id"}
_PATTERNS = {"LITERAL": "literal", "PREFIXED": "prefixed"}
_PARTS = ("settings", "topics", "services", "users", "customServiceAcls", "customUserAcls", "schemas")


def translate(sources: Sequence[Source]) -> tuple[dict, tuple[Unmapped, ...]]:
    """The live-state document (kplan.kinds.livejson's format) of the desired state the files make together, and
    what was not mapped."""
    state, located = _merged(sources)
    doc: dict[str, Any] = {"cluster_id": "", "broker_count": 1, "topics": {}, "acls": {}}
    unmapped: list[Unmapped] = []
    default_rf = mapping(mapping(mapping(state, "settings"), "topics"), "defaults").get("replication")
    for name, topic in mapping(state, "topics").items():
        at = _at(located, "topics", name)
        topic = topic if isinstance(topic, dict) else {}
        config = {str(k): str(v) for k, v in mapping(topic, "configs").items() if v is not None}
        doc["topics"][str(name)] = document_topic(positive_count(topic.get("partitions"), at, "partitions"),
                                              positive_count(topic.get("replication", default_rf), at,
                                                             "replication (or settings.topics.defaults)"), config)
    acls = _Acls(doc["acls"])
    for service, details in mapping(state, "services").items():
        at = _at(located, "services", service)
        if not acls.service(service, details if isinstance(details, dict) else {}, at):
            unmapped.append(Unmapped(at, f"service {service} (kafka-streams)", "kplan's Kafka Streams kind generates "
                                     "its own bindings for an application's topics (`streams_apps:`); declare it "
                                     "there, and review the first plan's ACL changes"))
    services, users = mapping(state, "services"), mapping(state, "users")
    for part, default in (("customServiceAcls", lambda owner: mapping(services, owner).get("principal")),
                          ("customUserAcls", lambda owner: mapping(users, owner).get("principal") or f"User:{owner}")):
        for owner, custom in mapping(state, part).items():
            at = _at(located, part, owner)
            for acl in (custom if isinstance(custom, dict) else {}).values():
                acl = acl if isinstance(acl, dict) else {}
                acls.grant(acl.get("principal") or default(owner), str(acl.get("type")), str(acl.get("name")),
                           str(acl.get("operation")), at, str(acl.get("pattern") or "LITERAL"),
                           str(acl.get("permission") or "ALLOW"), str(acl.get("host") or "*"))
    for name in mapping(state, "schemas"):
        unmapped.append(Unmapped(_at(located, "schemas", name), f"schema {name}", "import schemas from the registry: "
                                 "kplan import --schema-registry URL (docs/import.md)"))
    return doc, tuple(unmapped)


def _merged(sources: Sequence[Source]) -> tuple[dict, dict]:
    """The desired state the files make together, and where each of its entries is written ((part, name) -> the
    file and the document's node)."""
    state: dict[str, Any] = {}
    located: dict[tuple[str, str], tuple[Source, Any]] = {}
    for source in sources:
        for node, doc in yaml_documents(source, "kafka-gitops"):
            unknown = [k for k in doc if k not in _PARTS]
            if unknown or not doc:
                raise KplanError(f"{where(source, node, *unknown[:1])}: not a kafka-gitops state file (its parts are "
                                 f"{', '.join(_PARTS)}; found {', '.join(map(repr, unknown)) or 'nothing'})")
            for part, value in doc.items():
                for name in value if isinstance(value, dict) else ():
                    if part != "settings" and name in state.get(part, {}):
                        raise KplanError(f"{where(source, node, part, name)}: {part} {name!r} is declared twice "
                                         "(kafka-gitops refuses it too): keep one")
                    located[(part, name)] = (source, node)
                if isinstance(value, dict):
                    state.setdefault(part, {}).update(value)
    for part, path in mapping(mapping(state, "settings"), "files").items():
        if path and part in ("services", "topics", "users") and not any(p == part for p, _ in located):
            raise KplanError(f"settings.files.{part} names {path!r}: give that file too (kplan import --from "
                             "kafka-gitops STATE-FILE... with every file of the desired state)")
    if not any(state.get(p) for p in ("topics", "services", "customServiceAcls", "customUserAcls")):
        raise KplanError(f"{', '.join(s.path for s in sources)}: no topics, services or custom ACLs: give "
                         "kafka-gitops' desired-state file (state.yaml)")
    return state, located


class _Acls(Bindings):
    """The principals' bindings of the live-state document, as kafka-gitops creates them."""

    def grant(self, principal: object, resource: str, name: str, operations: str | tuple[str, ...], at: str,
              pattern: str = "LITERAL", permission: str = "ALLOW", host: str = "*") -> None:
        kind, shape = _RESOURCES.get(resource.upper()), _PATTERNS.get(pattern.upper())
        if kind is None or shape is None:
            raise KplanError(f"{at}: an ACL on {resource} ({pattern}) kplan cannot write: a topic, group, cluster or "
                             "transactional id, literal or prefixed")
        super().grant(principal, kind, name, operations, at, shape, permission, host)

    def reads_writes(self, principal: str | None, spec: dict, at: str, group: str) -> None:
        """WRITE on what `spec` produces, READ on what it consumes, and READ on `group` when it consumes."""
        for key, operation in (("produces", "WRITE"), ("consumes", "READ")):
            for topic in spec.get(key) or ():
                self.grant(principal, "TOPIC", topic, operation, at)
        if spec.get("consumes"):
            self.grant(principal, "GROUP", group, "READ", at)

    def service(self, service: str, details: dict, at: str) -> bool:
        """A service's generated bindings; False for a kafka-streams service (not mapped)."""
        principal, kind = details.get("principal"), details.get("type")
        if kind == "application":
            self.reads_writes(principal, details, at, service)
        elif kind == "kafka-connect":
            self.reads_writes(principal, {"produces": details.get("produces")}, at, service)
            for store in ("configs", "offsets", "status"):
                self.grant(principal, "TOPIC", f"connect-{store}-{service}", ("READ", "WRITE"), at)
            self.grant(principal, "GROUP", service, "READ", at)
            for connector, spec in mapping(details, "connectors").items():
                self.reads_writes(principal, spec if isinstance(spec, dict) else {}, at, f"connect-{connector}")
        elif kind == "kafka-streams":
            return False
        else:
            raise KplanError(f"{at}: service {service!r} has type {kind!r}: kafka-gitops' services are application, "
                             "kafka-connect or kafka-streams")
        return True


def _at(located: dict, part: str, name: str) -> str:
    source, node = located[(part, name)]
    return where(source, node, part, name)


