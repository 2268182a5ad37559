"""The systems one stack names, opened for planning: the cluster's reader (Kafka, Connect and each kind's sessions of
its own, `kplan.cluster.reader`, with every stack's ownership record and lock, `kplan.state`) and the plan-time
validator over its clients. Composed here, above both packages, so that neither imports the other."""

from __future__ import annotations

from kplan.cluster.reader import KafkaReader, plan_validator
from kplan.model.desired import ClusterSpec
from kplan.secrets import SecretValues
from kplan.state.ownership import RECORDS


class StackReader(KafkaReader):
    """The cluster's reader (kplan.cluster.reader) with every stack's ownership record and lock."""

    def __init__(self, cluster: ClusterSpec, secrets: SecretValues | None = None):
        super().__init__(cluster, secrets, records=RECORDS)


def open_cluster(cluster: ClusterSpec, secrets: SecretValues | None = None):
    """(reader, validator, close) for planning against a real cluster: one admin client, one Connect session and
    one registry session (the subject kind's, `KafkaReader.io`) shared by the read and the plan-time validation."""
    reader = StackReader(cluster, secrets)
    return reader, plan_validator(reader, reader.secrets), reader.close
