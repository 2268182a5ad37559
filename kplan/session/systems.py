"""The systems one stack names, opened for planning: the cluster's reader and plan-time validator (Kafka and
Connect, `kplan.cluster`) with the schema registry's reads and plan-time check (`kplan.registry.reads`) composed on
top. Composed here, above both packages, so that neither imports the other."""

from __future__ import annotations

from kplan.cluster.reader import KafkaReader, plan_validator
from kplan.cluster.validator import RealValidator
from kplan.model.desired import ClusterSpec, Stack
from kplan.model.live import LiveState
from kplan.model.plan import Plan, PlanDiagnostic
from kplan.registry.reads import RegistryReads, open_registry, registry_checks
from kplan.secrets import SecretValues
from kplan.state.ownership import RECORDS
from kplan.transport.http import RestClient


class StackReader(RegistryReads, KafkaReader):
    """The cluster's reader (kplan.cluster.reader) plus the schema registry's follow-up reads."""

    def __init__(self, cluster: ClusterSpec, secrets: SecretValues | None = None):
        super().__init__(cluster, secrets, records=RECORDS)  # with every stack's ownership record and lock
        self.registry = open_registry(cluster, self.secrets)  # None when the stack names no registry

    def close(self) -> None:
        self.close_registry()
        super().close()


class StackValidator:
    """Plan-time validation by every system the stack names: the broker's and Connect's (kplan.cluster.validator),
    then the schema registry's check of the schemas to register (kplan.registry.reads)."""

    def __init__(self, cluster: RealValidator, registry: RestClient | None):
        self.cluster = cluster
        self.registry = registry  # None when the stack names no registry

    @property
    def secrets(self) -> SecretValues:
        return self.cluster.secrets

    @secrets.setter
    def secrets(self, secrets: SecretValues) -> None:
        """The whole stack's secrets, once loaded (only the cluster's validation sends secret values)."""
        self.cluster.secrets = secrets

    def validate_ahead(self, stack: Stack, live: LiveState) -> None:
        self.cluster.validate_ahead(stack, live)

    def validate(self, stack: Stack, plan: Plan) -> list[PlanDiagnostic]:
        return self.cluster.validate(stack, plan) + registry_checks(self.registry, stack, plan)


def open_cluster(cluster: ClusterSpec, secrets: SecretValues | None = None):
    """(reader, validator, close) for planning against a real cluster: one admin client, one Connect session and
    one registry session shared by the read and the plan-time validation."""
    reader = StackReader(cluster, secrets)
    return reader, StackValidator(plan_validator(reader, reader.secrets), reader.registry), reader.close
