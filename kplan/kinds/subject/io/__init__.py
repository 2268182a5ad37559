"""The subject kind's I/O: the schema registry (Confluent's REST API, or Apicurio's Confluent-compatible
`/apis/ccompat/v7`). Its client (`client`), the plan's read of the subjects it needs (`read`), the plan-time
compatibility check (`compat`) and the writes apply makes (`write`). `SubjectRead` is the kind's follow-up reads
over one registry session, made once per batched reader (`KafkaReader.io`) and shared with the plan-time check;
what puts a read into the live state is the kind's own (`kplan.kinds.subject.attach`)."""

from __future__ import annotations

from typing import Any, Iterable

from kplan.kinds.subject import attach
from kplan.kinds.subject.io.client import registry_client
from kplan.kinds.subject.io.read import RegistryRead
from kplan.kinds.subject.live import SubjectsRead
from kplan.model.desired import ClusterSpec


class SubjectRead(RegistryRead):
    """The kind's follow-up reads (`kplan.kinds.subject.live.SubjectReads`, the mirrors' source registries and
    `kplan import`'s listing) over the stack's registry session, None when it names no registry."""

    def __init__(self, reader: Any):
        self.secrets = reader.secrets
        super().__init__(registry_client(reader.cluster, self.secrets))

    def read_source_subjects(self, cluster: ClusterSpec, names: Iterable[str]) -> SubjectsRead:
        """The named subjects of another cluster's registry (a mirror's source, `schemas: true`), as
        `read_subjects` reads the stack's own: over a session of its own, with that cluster's registry settings
        and the run's secrets, closed after."""
        http = registry_client(cluster, self.secrets)
        if http is None:
            return {}, None, "the source cluster names no schema_registry"
        try:
            return RegistryRead(http).read_subjects(names)
        finally:
            http.close()

    def close(self) -> None:
        if self.registry is not None:
            self.registry.close()


def reads(reader: Any) -> Any:
    """The kind's reads over the batched reader's registry session; a reader without sessions (a live-state
    file's, a test's) as it is."""
    return reader.io(SubjectRead) if hasattr(reader, "io") else reader


def follow_up(stack: Any, live: Any, reader: Any, destroy: bool) -> Any:
    """The kind's follow-up read (kplan.kinds.subject.attach.follow_up) over the batched reader's registry session."""
    return attach.follow_up(stack, live, reads(reader), destroy)
