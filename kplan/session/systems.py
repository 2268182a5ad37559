"""The systems one stack names, opened for planning: the cluster's reader (Kafka, Connect and each kind's sessions of
its own, `kplan.cluster.reader`, with every stack's ownership record and lock, `kplan.state`) and the plan-time
validator over its clients; and apply's writers (`open_writers`). Composed here, above the packages that implement
them, so that none imports another (the unit tests compose in-memory fakes the same way, tests/unit/fakes.py)."""

from __future__ import annotations

from kplan.cluster.reader import KafkaReader, plan_validator
from kplan.model.desired import ClusterSpec
from kplan.secrets import SecretValues
from kplan.state.ownership import RECORDS
from kplan.transport.admin import AdminSession
from kplan.transport.sessions import Writers


class StackReader(KafkaReader):
    """The cluster's reader (kplan.cluster.reader) with every stack's ownership record and lock."""

    def __init__(self, cluster: ClusterSpec, secrets: SecretValues | None = None):
        super().__init__(cluster, secrets, records=RECORDS)


def open_cluster(cluster: ClusterSpec, secrets: SecretValues | None = None):
    """(reader, validator, close) for planning against a real cluster: one admin client, one Connect session and
    one registry session (the subject kind's, `KafkaReader.io`) shared by the read and the plan-time validation."""
    reader = StackReader(cluster, secrets)
    return reader, plan_validator(reader, reader.secrets), reader.close


def open_writers(cluster: ClusterSpec, secrets: SecretValues | None = None, policy=None, admin=None) -> Writers:
    """The real writers of a stack's cluster (`kplan.transport.sessions.Writers`: the run's sessions, and each kind's
    io over them). `admin`: an admin client to use (the session's; not closed here), `policy`: the retry policy of
    Kafka's and Connect's writes (default: the stack's timeout)."""
    from kplan.transport.wire.client import WireSession

    secrets = SecretValues() if secrets is None else secrets
    kafka = AdminSession(cluster, secrets, policy, admin=admin)
    return Writers(cluster, secrets, kafka, WireSession(kafka), policy=policy)
