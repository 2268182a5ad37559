"""The `subjects` section as the loader knows it: its name, how its entries are worded, the topic keys it builds
from, and its builder (`build.py`, loaded only for a stack that declares a schema)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable, Mapping

from kplan.kinds.subject.model import SubjectSpec
from kplan.kinds.subject.unit import UNIT
from kplan.model.diagnostics import Diagnostics
from kplan.model.source import Loc

if TYPE_CHECKING:  # pragma: no cover
    from kplan.stackfile.member import MemberInput

assert UNIT.section is not None
_SECTION = UNIT.section.key
# The one other section whose entries declare subjects too, and its keys that do (a topic's key_schema and
# value_schema): named once, in the UNIT's `borrows`.
((BORROWED, SCHEMA_KEYS),) = UNIT.section.borrows.items()
_SCHEMA_KEYS = frozenset(SCHEMA_KEYS)


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
        for spec in m.kinds.get(_SECTION, ()):
            key = (m.cluster.schema_registry_url, spec.name)
            if key in first and spec.origin is not None:
                diags.error(Loc(spec.origin.file, spec.origin.line, spec.origin.column),
                            f"subject {spec.name} is declared in clusters {first[key]} and {m.name}, which use the "
                            "same schema registry: a subject has one owner; declare it in one of them")
            first.setdefault(key, m.name)


def build_member(inp: "MemberInput") -> tuple[SubjectSpec, ...]:
    """One cluster's subjects: its `subjects` entries and its topics' key/value schemas (kplan.kinds.subject.build),
    nothing to load for a cluster that declares none."""
    if not inp.lists[_SECTION] and not any(isinstance(item, dict) and not _SCHEMA_KEYS.isdisjoint(item)
                                          for item, _ in inp.unflagged(BORROWED)):
        return ()
    from kplan.kinds.subject.build import build_member as build

    return build(inp)


