"""The schema registry's write side as apply uses it (the methods the subject step handlers call);
`kplan.registry.write.RegistryWriter` implements it, the unit tests' fake writer too (tests/unit/fakes.py)."""

from __future__ import annotations

from typing import Protocol, Sequence, runtime_checkable

from kplan.model.desired import SchemaReference


@runtime_checkable
class RegistryWrites(Protocol):
    def register_schema(self, subject: str, schema: str, schema_type: str,
                        references: Sequence[SchemaReference]) -> int:
        """Register `schema` under `subject` (a reference with version None is resolved to its subject's latest
        version first); returns the version the registry shows it under (verified with a lookup). A schema the
        subject already has is not registered again: its version is returned."""
        ...

    def schema_version(self, subject: str, schema: str, schema_type: str,
                       references: Sequence[SchemaReference]) -> int | None:
        """The live version of `subject` that holds this schema (the registry's lookup), or None."""
        ...

    def subject_versions(self, subject: str) -> list[int]:
        """The subject's live (not soft-deleted) versions; [] when it does not exist."""
        ...

    def delete_schema_version(self, subject: str, version: int) -> None:
        """Soft-delete one version, then until the subject's versions no longer list it."""
        ...

    def subject_level(self, subject: str) -> str | None:
        """The subject's own compatibility level; None when it has none (it inherits the global level)."""
        ...

    def set_subject_level(self, subject: str, level: str | None) -> None:
        """Set the subject's own level (None: remove it, so it inherits the global one), then check it shows."""
        ...

    def delete_subjects(self, names: Sequence[str], permanent: bool) -> None:
        """Soft-delete the subjects (then hard-delete them when `permanent`), then until the registry no longer
        lists them (an absent subject is a success)."""
        ...
