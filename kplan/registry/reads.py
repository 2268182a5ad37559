"""The schema registry's part of a stack's reader: the follow-up reads the subject kind asks for
(`kplan.kinds.subject.live.SubjectReads`) and its plan-time check, over one registry session. The session's reader
(`kplan.session.systems`) mixes this into the cluster's reader, so the registry and the cluster packages never import
each other."""

from __future__ import annotations

from typing import Iterable

from kplan.kinds.subject.live import LiveSubject
from kplan.model.desired import ClusterSpec, Stack
from kplan.model.plan import Plan, PlanDiagnostic
from kplan.registry.client import RegistryHttp, registry_client
from kplan.registry.compat import check_subjects
from kplan.registry.read import declared_versions, read_subjects, subject_names
from kplan.secrets import SecretValues


def open_registry(cluster: ClusterSpec, secrets: SecretValues | None) -> RegistryHttp | None:
    """The stack's registry session, None when it names no registry."""
    return registry_client(cluster, secrets)


def registry_checks(http: RegistryHttp | None, stack: Stack, plan: Plan) -> list[PlanDiagnostic]:
    """The registry's plan-time check: the compatibility of each schema to register (kplan.registry.compat)."""
    return check_subjects(http, stack, plan)


class RegistryReads:
    """The subject kind's follow-up reads, over `self.registry` (set by the class this is mixed into)."""

    registry: RegistryHttp | None

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

    def read_source_subjects(self, cluster: ClusterSpec, names: Iterable[str]
                             ) -> tuple[dict[str, LiveSubject], str | None, str | None]:
        """The named subjects of another cluster's registry (a mirror's source, `schemas: true`), as
        `read_subjects` reads the stack's own: over a session of its own, with that cluster's registry settings
        and the run's secrets, closed after."""
        http = registry_client(cluster, getattr(self, "secrets", None))
        if http is None:
            return {}, None, "the source cluster names no schema_registry"
        try:
            return read_subjects(http, names)
        finally:
            http.close()

    def close_registry(self) -> None:
        if self.registry is not None:
            self.registry.close()
