"""Client quotas through kplan's own Kafka client (kplan.transport.wire.client): the plan's read and apply's verified
writes. confluent-kafka (librdkafka, checked in 2.16.1) has no describe/alter client quota call; these are Kafka's
DescribeClientQuotas and AlterClientQuotas, in kafka-python's message layouts, to any broker.

A quota belongs to a user, a client id, or both; `<default>` stands for Kafka's default entity (a null entity name on
the wire). Values are doubles on the wire; a key set to None is removed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Mapping, Sequence

from kplan.errors import WriteError
from kplan.kinds.dynamic_config.io.configs import matches
from kplan.kinds.dynamic_config.model import DEFAULT_ENTITY, QuotaEntity
from kplan.model.live import Problem
from kplan.model.results import BatchResults
from kplan.transport.wire.client import Client, error_name, read_with
from kplan.transport.wire.codec import NoAnswer, Refused

if TYPE_CHECKING:  # pragma: no cover
    from kplan.kinds.dynamic_config.io import DynamicConfigWrites
    from kplan.model.desired import ClusterSpec
    from kplan.secrets import SecretValues

USER, CLIENT_ID = "user", "client-id"
Changes = Sequence[tuple[QuotaEntity, Mapping[str, float | None]]]


def _stack_name(name: str | None) -> str:
    return DEFAULT_ENTITY if name is None else name


def describe(client: Client) -> dict[QuotaEntity, dict[str, float]]:
    """Every quota of every user / client-id / user+client-id entity, in one DescribeClientQuotas request (IP
    entities are not kplan's)."""
    from kplan.transport.wire.messages import DescribeClientQuotasRequest

    answer = client.send(DescribeClientQuotasRequest(components=[], strict=False))
    if answer.error_code:
        name = error_name(answer.error_code)
        raise Refused(f"describing client quotas failed: {name}", name)
    out: dict[QuotaEntity, dict[str, float]] = {}
    for entry in answer.entries or ():
        parts = {e.entity_type: _stack_name(e.entity_name) for e in entry.entity}
        if parts and not set(parts) - {USER, CLIENT_ID}:
            out[QuotaEntity(parts.get(USER), parts.get(CLIENT_ID))] = {v.key: float(v.value) for v in entry.values}
    return out


def alter(client: Client, changes: Changes, results: BatchResults) -> BatchResults:
    """Set (a value) or remove (None) quota keys of entities, in one AlterClientQuotas request; each entity's result
    is recorded, and the first entity the broker refused raises Refused (the others may have been applied)."""
    from kplan.transport.results import reason_of_name
    from kplan.transport.wire.messages import AlterClientQuotasRequest

    Entry = AlterClientQuotasRequest.EntryData
    entries = [
        Entry(
            entity=[
                Entry.EntityData(entity_type=t, entity_name=None if n == DEFAULT_ENTITY else n)
                for t, n in ((USER, entity.user), (CLIENT_ID, entity.client_id))
                if n is not None
            ],
            ops=[
                Entry.OpData(key=k, value=0.0 if v is None else float(v), remove=v is None)
                for k, v in sorted(values.items())
            ],
        )
        for entity, values in changes
    ]
    if not entries:
        return results
    refused: Refused | None = None
    for entry in client.send(AlterClientQuotasRequest(entries=entries, validate_only=False)).entries:
        names = {e.entity_type: _stack_name(e.entity_name) for e in entry.entity}
        key = QuotaEntity(names.get(USER), names.get(CLIENT_ID)).name
        if not entry.error_code:
            results.record(key)
            continue
        name = error_name(entry.error_code)
        results.record(key, reason_of_name(name), name)
        if refused is None:
            who = ",".join(f"{e.entity_type}={_stack_name(e.entity_name)}" for e in entry.entity)
            detail = (
                f" ({entry.error_message})" if entry.error_message and not name.endswith("AUTHORIZATION_FAILED") else ""
            )
            refused = Refused(f"altering the client quotas of {who} failed: {name}{detail}", name)
    if refused is not None:
        raise refused
    return results


def read_quotas(cluster: ClusterSpec, secrets: SecretValues | None) -> tuple[dict, Problem | None]:
    """Every user / client-id quota entity with quotas (one DescribeClientQuotas), as the kind's answer (name ->
    {"user", "client_id", "values"}); or why they cannot be read."""

    def read(client: Client) -> dict[str, dict]:
        return {
            e.name: {"user": e.user, "client_id": e.client_id, "values": v} for e, v in describe(client).items() if v
        }

    return read_with(cluster, secrets, read)


def alter_quotas(self: "DynamicConfigWrites", changes: Changes) -> BatchResults:
    """Per entity (its user and client id), quota key -> value to set (None: remove the key): one AlterClientQuotas
    request (results by entity name), asked again while it gets no answer; a refusal is one line (a missing right
    names it); then read back until the broker shows every changed key, None as no value
    (`kplan.transport.admin.until_shown`): DescribeClientQuotas is answered from the state the broker throttles by."""
    from kplan.transport.admin import until_shown
    from kplan.transport.permissions import denied_name

    kafka, client, results = self.kafka, self.wire.client, BatchResults()
    names = ", ".join(sorted({entity.name for entity, _ in changes}))
    kafka.attempts.wire(
        "altering client quotas",
        lambda: alter(client, changes, results),
        lambda e: denied_name(
            e.code, "alter client quotas on", f"client quotas of {names}", kafka.who, operation="ALTER_CONFIGS"
        ),
    )

    def problem() -> str | None:
        try:
            live = describe(client)
        except NoAnswer:
            return "altering client quotas: the cluster did not answer the read-back"
        except Refused as e:
            raise WriteError(f"altering client quotas: reading them back failed: {e}") from None
        wrong = sorted(entity.name for entity, values in changes if not matches(live.get(entity, {}), values))
        return (
            f"altering client quotas: the cluster does not show the quotas as written for {', '.join(wrong)}"
            if wrong
            else None
        )

    until_shown(problem, kafka.timeout_s)
    return results
