"""The `subjects` section as the loader knows it before building it: its name and how its entries are worded.

The section's builder reads the schema files the entries name, so it lives with the loader's file reads
(`kplan.stackfile.subjects.build_section`), not here.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from kplan.kinds.subject.model import SubjectSpec
from kplan.model.diagnostics import Diagnostics
from kplan.model.source import Loc


def entry_word(item: object) -> str:
    """An entry as the loader's messages name it (before it is built: `item` may be any YAML value)."""
    name = item.get("name") if isinstance(item, dict) else None
    return f"subject {name!r}" if isinstance(name, str) else "subject"


def digest_inputs(specs: Iterable[SubjectSpec]) -> Mapping[str, bytes]:
    """What a saved plan's inputs digest covers beyond the stack's files: each subject's schema (a schema_file's
    text is not in the stack file)."""
    return {x.name: x.schema.encode("utf-8") for x in specs}


def check_members(members: Iterable[Any], diags: Diagnostics) -> None:
    """Several clusters on one schema registry: a subject declared in two of them would be registered by each in
    turn and owned twice (and destroying one cluster's part would delete the other's subject). `members`: the
    stack's clusters (kplan.stackfile.member.Member: name, cluster, kinds)."""
    first: dict[tuple[str, str], str | None] = {}
    for m in members:
        if m.cluster is None or not m.cluster.schema_registry_url:
            continue
        for spec in m.kinds.get(SECTION, ()):
            key = (m.cluster.schema_registry_url, spec.name)
            if key in first and spec.origin is not None:
                diags.error(Loc(spec.origin.file, spec.origin.line, spec.origin.column),
                            f"subject {spec.name} is declared in clusters {first[key]} and {m.name}, which use the "
                            "same schema registry: a subject has one owner; declare it in one of them")
            first.setdefault(key, m.name)


# The loader's `subjects:` section (kplan.kinds.stack_sections); built by kplan.stackfile.subjects.
SECTION = "subjects"
NOUN = "subject"  # how `kplan validate` counts the declared resources
