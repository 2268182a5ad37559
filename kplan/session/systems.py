"""The systems one stack names, opened for planning: the cluster's reader and plan-time validator (Kafka and
Connect, `kplan.cluster`) with the schema registry's subject reads and compatibility check (`kplan.registry`)
composed on top. Composed here, above both packages, so that neither imports the other."""

from __future__ import annotations

from typing import Iterable

from kplan.cluster.reader import KafkaReader, plan_validator
from kplan.cluster.validator import RealValidator
from kplan.kinds.subject.live import LiveSubject
from kplan.model.desired import ClusterSpec, Stack
from kplan.model.plan import Plan, PlanDiagnostic
from kplan.registry.client import registry_client
from kplan.registry.compat import check_subjects
from kplan.registry.read import declared_versions, read_subjects, subject_names
from kplan.secrets import SecretValues
from kplan.state.ownership import RECORDS
from kplan.transport.http import RestClient


class StackReader(KafkaReader):
    """The cluster's reader (kplan.cluster.reader) plus the schema registry's follow-up reads of subjects."""

    def __init__(self, cluster: ClusterSpec, secrets: SecretValues | None = None):
        super().__init__(cluster, secrets, records=RECORDS)  # with every stack's ownership record and lock
        self.registry = registry_client(cluster, self.secrets)  # the schema registry's, None when none is named

    def read_subjects(self, names: Iterable[str]) -> tuple[dict[str, LiveSubject], str | None, str | None]:
        """The named subjects the registry has, its global level, and why it could not be read (a few GETs per
        subject, concurrently: kplan.registry.read; only the subjects a stack declares or owns)."""
        return read_subjects(self.registry, names)

    def subject_names(self) -> list[str]:
        """Every subject the stack's registry lists ([] without a registry); KplanError when it cannot be read."""
        return subject_names(self.registry) if self.registry is not None else []

    def declared_versions(self, specs, live) -> dict[str, int]:
        """subject -> the earlier version holding the declared schema (kplan.registry.read.declared_versions)."""
        return declared_versions(self.registry, specs, live)

    def close(self) -> None:
        if self.registry is not None:
            self.registry.close()
        super().close()


class StackValidator:
    """Plan-time validation by every system the stack names: the broker's and Connect's (kplan.cluster.validator),
    then the schema registry's compatibility check of the schemas to register (kplan.registry.compat)."""

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

    def validate(self, stack: Stack, plan: Plan) -> list[PlanDiagnostic]:
        return self.cluster.validate(stack, plan) + check_subjects(self.registry, stack, plan)


def open_cluster(cluster: ClusterSpec, secrets: SecretValues | None = None):
    """(reader, validator, close) for planning against a real cluster: one admin client, one Connect session and
    one registry session shared by the read and the plan-time validation."""
    reader = StackReader(cluster, secrets)
    return reader, StackValidator(plan_validator(reader, reader.secrets), reader.registry), reader.close
