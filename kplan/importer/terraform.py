"""`kplan import --from terraform`: what Terraform's state says the Mongey/kafka provider manages -> the live state
those resources describe, which `kplan import`'s own pipeline (kplan.importer.build, each kind's importer) turns into
stack entries exactly as it does for a cluster it reads. Pure: the state's text in, a live-state document out.

Terraform's and OpenTofu's states are the same format. Both forms of the state are read: the state file itself
(`terraform.tfstate`, format version 4, or `terraform state pull`) and `terraform show -json`'s document
(`values.root_module`, with its child modules). Each managed resource of the provider becomes what the cluster holds
for it: `kafka_topic` a topic with its `config` as its overrides, `kafka_acl` a binding of its principal,
`kafka_quota` a client quota. What kplan does not import (SCRAM users, whose
passwords no one can read back; quotas of an IP; the Confluent provider's resources) is listed with why
(`Unmapped`). Bad input is one line naming the file and the resource, and nothing is written.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Iterator, Sequence

from kplan.errors import KplanError
from kplan.importer.sources import Bindings, Source, Unmapped, document_topic

PROVIDER = "registry.terraform.io/mongey/kafka"
PROVIDERS = (PROVIDER, "registry.opentofu.org/mongey/kafka")  # OpenTofu's registry names the same provider
_ACL_RESOURCES = {"Topic": "topic", "Group": "group", "Cluster": "cluster", "TransactionalID": "transactional_id"}
_PATTERNS = {"Literal": "literal", "Prefixed": "prefixed"}
_QUOTA_ENTITIES = {"user": "user", "client-id": "client_id"}


@dataclass(frozen=True)
class Managed:
    """One resource instance the state holds: its address (`module.shop.kafka_topic.orders`), type, provider and
    attribute values."""

    address: str
    type: str
    provider: str
    values: dict


def translate(sources: Sequence[Source]) -> tuple[dict, tuple[Unmapped, ...]]:
    """The live-state document (kplan.kinds.livejson's format) of every Mongey/kafka resource in the states, and
    what could not be mapped. A resource address met twice (the same state given twice) is one resource."""
    doc: dict[str, Any] = {"cluster_id": "", "broker_count": 1, "topics": {}, "acls": {}, "quotas": {}}
    unmapped: list[Unmapped] = []
    seen: set[str] = set()
    kafka = others = 0
    for source in sources:
        for r in _resources(source):
            if r.address in seen:
                continue
            seen.add(r.address)
            where = f"{source.path}: {r.address}"
            if r.provider.lower() not in PROVIDERS:
                if r.type.startswith(("confluent_kafka_", "confluent_connector")):
                    unmapped.append(Unmapped(where, f"{r.type}", "the Confluent provider's resources are not "
                                             "imported yet: import them from the cluster (kplan import "
                                             "--bootstrap-servers ...)"))
                    kafka += 1
                else:
                    others += 1
                continue
            kafka += 1
            _add(doc, r, where, unmapped)
    if not kafka:
        raise KplanError(f"{', '.join(s.path for s in sources)}: no resource of the Mongey/kafka provider "
                         f"({PROVIDER}) in the state: give the state of the configuration that manages the topics")
    if others:
        unmapped.append(Unmapped(", ".join(s.path for s in sources), f"{others} resource(s) of other providers",
                                 "not Kafka's: left to Terraform"))
    return doc, tuple(unmapped)


def _resources(source: Source) -> Iterator[Managed]:
    try:
        state = json.loads(source.text)
    except json.JSONDecodeError as e:
        raise KplanError(f"{source.path}:{e.lineno}: not JSON ({e.msg}): give the state file (terraform.tfstate, "
                         "`terraform state pull`) or `terraform show -json`'s output") from None
    if isinstance(state, dict) and isinstance(state.get("resources"), list):  # the state file, format version 4
        if state.get("version") != 4:
            raise KplanError(f"{source.path}: state format version {state.get('version')!r}; kplan reads version 4 "
                             "(Terraform 0.12 and later): run `terraform state pull` with a current Terraform")
        for r in state["resources"]:
            if isinstance(r, dict) and r.get("mode") == "managed":
                provider = re.sub(r'^provider\["?([^"\]]+)"?\].*$', r"\1", str(r.get("provider", "")))
                base = ".".join(p for p in (r.get("module"), r.get("type"), r.get("name")) if p)
                for instance in r.get("instances") or ():
                    key = instance.get("index_key")
                    address = base + (f"[{json.dumps(key)}]" if key is not None else "")
                    yield Managed(address, str(r.get("type")), provider, instance.get("attributes") or {})
    elif isinstance(state, dict) and isinstance(state.get("values"), dict):  # `terraform show -json`
        yield from _module(state["values"].get("root_module") or {})
    else:
        raise KplanError(f"{source.path}: neither a Terraform state file (`resources`) nor `terraform show -json`'s "
                         "output (`values`)")


def _module(module: dict) -> Iterator[Managed]:
    for r in module.get("resources") or ():
        if r.get("mode") == "managed":
            yield Managed(str(r.get("address")), str(r.get("type")), str(r.get("provider_name", "")),
                          r.get("values") or {})
    for child in module.get("child_modules") or ():
        yield from _module(child)


def _add(doc: dict, r: Managed, where: str, unmapped: list[Unmapped]) -> None:
    v = r.values
    if r.type == "kafka_topic":
        name = _field(v, "name", str, where)
        config = {str(k): str(val) for k, val in (v.get("config") or {}).items() if val is not None}
        doc["topics"][name] = document_topic(_field(v, "partitions", int, where),
                                         _field(v, "replication_factor", int, where), config)
    elif r.type == "kafka_acl":
        resource = _ACL_RESOURCES.get(str(v.get("resource_type")))
        pattern = _PATTERNS.get(str(v.get("resource_pattern_type_filter") or "Literal"))
        if resource is None or pattern is None:
            what = f"ACL on {v.get('resource_type')} ({v.get('resource_pattern_type_filter')})"
            unmapped.append(Unmapped(where, what, "kplan's ACLs are on a topic, group, cluster or transactional id, "
                                     "literal or prefixed"))
            return
        Bindings(doc["acls"]).grant(_field(v, "acl_principal", str, where), resource,
                                    _field(v, "resource_name", str, where), _field(v, "acl_operation", str, where),
                                    where, pattern, _field(v, "acl_permission_type", str, where),
                                    str(v.get("acl_host") or "*"))
    elif r.type == "kafka_quota":
        entity = _QUOTA_ENTITIES.get(str(v.get("entity_type")))
        if entity is None:
            unmapped.append(Unmapped(where, f"quota of {v.get('entity_type')}", "kplan's client quotas are a user's "
                                     "or a client id's"))
            return
        name = str(v.get("entity_name") or "<default>")
        values = {str(k): _number(val, where) for k, val in (v.get("config") or {}).items()}
        doc["quotas"][f"{entity.replace('_', '-')}={name}"] = {entity: name, "values": values}
    elif r.type == "kafka_user_scram_credential":
        unmapped.append(Unmapped(where, f"SCRAM user {v.get('username')!r}", "Kafka never gives a password back, so "
                                 "declaring the user makes apply set its password (irreversible): declare it in "
                                 "`users:` when you next rotate it (docs/stack-format.md)"))
    else:
        unmapped.append(Unmapped(where, r.type, "not a resource kplan imports from Terraform"))


def _field(values: dict, key: str, kind: type, where: str) -> Any:
    value = values.get(key)
    if isinstance(value, bool) or not isinstance(value, kind) or value in ("", 0):
        raise KplanError(f"{where}: `{key}` is {value!r} in the state; a state Terraform wrote has it: give the "
                         "state as Terraform wrote it")
    return value


def _number(value: Any, where: str) -> int | float:
    try:
        n = float(value)
    except (TypeError, ValueError):
        raise KplanError(f"{where}: quota value {value!r} is not a number") from None
    return int(n) if n == int(n) else n
