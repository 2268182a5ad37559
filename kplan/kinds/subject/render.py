"""A declared subject as `kplan render` shows it (built by `build.py`)."""

from __future__ import annotations

from typing import Any

from kplan.kinds.subject.model import SubjectSpec
from kplan.model.desired import origin_data


def rendered(s: SubjectSpec) -> dict[str, Any]:
    """A subject as kplan registers it: its type, schema (canonical form), references and level."""
    from kplan.kinds.subject.schemas import canonical

    return {"name": s.name, "schema_type": s.schema_type, "schema": canonical(s.schema_type, s.schema),
            **({"schema_file": s.schema_file} if s.schema_file else {}),
            **({"topic": s.topic} if s.topic else {}),
            "references": [{"name": r.name, "subject": r.subject,
                            "version": "latest" if r.version is None else r.version} for r in s.references],
            "compatibility": s.compatibility, "origin": origin_data(s.origin)}
