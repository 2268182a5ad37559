"""Whether the principals a mirror's connectors log in as have the rights MirrorMaker needs (kplan.model.mirror.needs,
docs/replication-facts.md (e)), asked of each cluster AS that principal: the mirror's `source.cluster.*` and
`target.cluster.*` logins are the clusters' own client settings, which kplan reads with, so kplan's clients there
are MirrorMaker's principals. The brokers answer with the operations the principal may perform (Kafka's
`include_authorized_operations`: super users and allow.everyone.if.no.acl.found included, which describe_acls
cannot show); a topic MirrorMaker creates is asked with a validate-only CreateTopics. A broker without an
authorizer answers no operations: nothing is then missing."""

from __future__ import annotations

from typing import Any, Sequence

from kplan.model.desired import ClusterSpec
from kplan.model.mirror import Need
from kplan.transport.acls import cluster_operations

AUTH_FAILED = ("TOPIC_AUTHORIZATION_FAILED", "GROUP_AUTHORIZATION_FAILED", "CLUSTER_AUTHORIZATION_FAILED")


def principal_of(cluster: ClusterSpec) -> str:
    """The principal a cluster's client settings log in as (for messages): User:<sasl.username>, or User:ANONYMOUS
    without SASL nor a client certificate."""
    props = cluster.client_properties
    if props.get("sasl.username"):
        return f"User:{props['sasl.username']}"
    if cluster.aws_msk_iam is not None or props.get("sasl.mechanisms") or props.get("sasl.mechanism"):
        return "its SASL principal"
    if props.get("ssl.certificate.location") or props.get("ssl.keystore.location"):
        return "its TLS certificate's principal"
    return "User:ANONYMOUS"


def refused(error: Any) -> bool:
    """Whether a client's exception is the broker refusing the principal a right (an authorisation failure)."""
    code: Any = error.args[0] if getattr(error, "args", None) else None
    return hasattr(code, "name") and str(code.name()) in AUTH_FAILED


def _ops(ops: Any) -> frozenset[str] | None:
    return None if ops is None else frozenset(o.name for o in ops)


def missing_rights(admin: Any, wanted: Sequence[Need], timeout_s: float) -> tuple[Need, ...]:
    """Of one side's needs, those its principal (the admin client's) lacks: one describe per resource kind, one
    validate-only create for the topics not there yet."""
    from confluent_kafka import TopicCollection
    from confluent_kafka.admin import NewTopic

    granted: dict[tuple[str, str], frozenset[str] | None] = {}
    topics = sorted({n.name for n in wanted if n.resource == "topic" and not n.create})
    if topics:
        for name, future in admin.describe_topics(TopicCollection(topics), include_authorized_operations=True,
                                                  request_timeout=timeout_s).items():
            try:
                granted[("topic", name)] = _ops(future.result(timeout=timeout_s + 2).authorized_operations)
            except Exception as e:  # noqa: BLE001 - refused: no right on it at all; otherwise not known
                granted[("topic", name)] = frozenset() if refused(e) else None
    groups = sorted({n.name for n in wanted if n.resource == "group"})
    if groups:
        for name, future in admin.describe_consumer_groups(groups, include_authorized_operations=True,
                                                           request_timeout=timeout_s).items():
            try:
                granted[("group", name)] = _ops(future.result(timeout=timeout_s + 2).authorized_operations)
            except Exception as e:  # noqa: BLE001
                granted[("group", name)] = frozenset() if refused(e) else None
    if any(n.resource == "cluster" for n in wanted):
        try:
            granted[("cluster", "kafka-cluster")] = cluster_operations(admin, timeout_s)
        except Exception as e:  # noqa: BLE001
            granted[("cluster", "kafka-cluster")] = frozenset() if refused(e) else None
    created = sorted({n.name for n in wanted if n.create})
    if created:
        asked = [NewTopic(t, num_partitions=1, replication_factor=-1) for t in created]
        for name, future in admin.create_topics(asked, validate_only=True, request_timeout=timeout_s).items():
            try:
                future.result(timeout=timeout_s + 2)
                granted[("create", name)] = frozenset({"CREATE"})
            except Exception as e:  # noqa: BLE001 - any other refusal (a policy, the factor) is not about rights
                granted[("create", name)] = frozenset() if refused(e) else None
    out = []
    for n in wanted:
        ops = granted.get(("create", n.name) if n.create else (n.resource, n.name))
        if ops is None or n.operation in ops or "ALL" in ops:
            continue
        out.append(n)
    return tuple(sorted(out))
