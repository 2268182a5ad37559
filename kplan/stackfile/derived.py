"""One mechanism for resources an entry of one section gives another section: a cdc source gives the topics
section its topics, the connectors section its connector and the acls section its principal's bindings; a topic
or connector entry gives its own section its resource the same way, so a declared topic and a generated one are
checked together (duplicates, collisions, the Connect cluster). Every section's builder returns what it gives in
`Built.given`, by receiving section; the receiving section's merge (`MERGES`) makes its specs and their metadata
from its own specs and everything given to it. The pipeline names no section; a kind that derives resources for
another names only the receiving section.

A Streams application's ACL bindings and internal topics are not given to the acls and topics sections: they are
parts of the application, planned, applied, recorded and imported as it (kplan.kinds.streams_app); a cdc source's
are resources of their own kinds that outlive a change of the source."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping

from kplan.kinds.topic.section import check_duplicates_and_collisions
from kplan.model.diagnostics import Diagnostics
from kplan.model.metadata import Meta
from kplan.model.source import Loc
from kplan.stackfile.cdc_acls import merge_generated
from kplan.stackfile.connects import choose_connects
from kplan.stackfile.member import MemberInput


@dataclass(frozen=True)
class Merged:
    """A section's specs once merged (sorted by name) and the metadata of each — and of what they derive (a
    connector's offsets request) —, by (section, name)."""

    specs: tuple
    meta: dict[tuple[str, str], Meta]


# (the cluster's part of the stack, the section's own specs, their metadata by name, what other entries gave it)
Merge = Callable[[MemberInput, tuple, Mapping[str, Meta], tuple], Merged]


def _merge_topics(inp: MemberInput, own: tuple, own_meta: Mapping[str, Meta], given: tuple) -> Merged:
    """Topic entries (declared, or a cdc source's): every one checked against every other of its cluster."""
    entries = list(given)
    check_duplicates_and_collisions(entries, inp.ctx.diags)
    inp.ctx.overlays.declared["topics"].extend(e.name for e in entries)
    return Merged(_sorted(e.spec for e in entries if e.spec is not None), _first_meta("topics", entries, own_meta))


def _merge_connectors(inp: MemberInput, own: tuple, own_meta: Mapping[str, Meta], given: tuple) -> Merged:
    """Connector entries (declared, or a cdc source's), each placed on its Connect cluster."""
    inp.ctx.overlays.declared["connectors"].extend(e.name for e in given)
    entries = choose_connects(list(given), inp.cluster, inp.loc, inp.label, inp.name, inp.ctx.diags)
    _check_connector_duplicates(entries, inp.ctx.diags)
    meta = _first_meta("connectors", entries, own_meta)
    for e in entries:  # a connector's offsets request (offsets.<name>) is its entry's: the entry's metadata
        if e.spec is not None and e.spec.offsets is not None:
            meta.setdefault(("offsets", e.name), e.meta)
    return Merged(_sorted(e.spec for e in entries if e.spec is not None), meta)


def _merge_acls(inp: MemberInput, own: tuple, own_meta: Mapping[str, Meta], given: tuple) -> Merged:
    """The declared principals' entries with the bindings cdc sources generate for theirs (`merge_generated`); a
    generated principal's metadata is its source's, unless an `acls` entry declares the principal."""
    meta = {("acls", n): m for n, m in own_meta.items()}
    for gen in given:
        current = meta.get(("acls", gen.principal))
        if current is None or (current.empty and not gen.meta.empty and gen.principal not in own_meta):
            meta[("acls", gen.principal)] = gen.meta
    return Merged(merge_generated(own, list(given), inp.ctx.diags), meta)


MERGES: Mapping[str, Merge] = {"topics": _merge_topics, "connectors": _merge_connectors, "acls": _merge_acls}


def merged(inp: MemberInput, own: Mapping[str, tuple], own_meta: Mapping[str, Mapping[str, Meta]],
           given: Mapping[str, tuple]) -> dict[str, Merged]:
    """Every section's specs and metadata: its merge's where it has one, else its own as built."""
    out = {}
    for section in dict.fromkeys([*own, *given]):
        merge = MERGES.get(section)
        if merge is not None:
            out[section] = merge(inp, own.get(section, ()), own_meta.get(section, {}), given.get(section, ()))
        elif section in given:
            raise ValueError(f"entries given to section {section!r}, which has no merge")  # a kind's bug
        else:
            out[section] = Merged(own[section], {(section, n): m for n, m in own_meta.get(section, {}).items()})
    return out


def _sorted(specs: Any) -> tuple:
    return tuple(sorted(specs, key=lambda s: s.name))


def _first_meta(section: str, entries: list, own_meta: Mapping[str, Meta]) -> dict[tuple[str, str], Meta]:
    """Each resource's metadata: its first declaration's (only entries that built a spec)."""
    out: dict[tuple[str, str], Meta] = {}
    for e in entries:
        if e.spec is not None:
            out.setdefault((section, e.name), e.meta)
    for name, meta in own_meta.items():
        out.setdefault((section, name), meta)
    return out


def _check_connector_duplicates(entries, diags: Diagnostics) -> None:
    seen: dict[str, Loc] = {}
    for _spec, name, loc, _meta in entries:
        if name in seen:
            first = seen[name]
            diags.error(loc, f'duplicate connector "{name}" (also declared at {first.file}:{first.line}; a cdc source '
                             "declares a connector of its own name)")
        else:
            seen[name] = loc
