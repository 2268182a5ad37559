"""One mechanism for resources an entry of one section gives another section: a cdc source gives the topics
section its topics, the connectors section its connector and the acls section its principal's bindings; a topic
or connector entry gives its own section its resource the same way, so a declared topic and a generated one are
checked together (duplicates, collisions, the Connect cluster). Every section's builder returns what it gives in
`Built.given`, by receiving section; the receiving section's merge (`MERGES` beside `SECTIONS` in
kplan.stackfile.sections) makes its specs and their metadata from its own specs and everything given to it. This
module and the pipeline name no section; a kind that derives resources for another names only the receiving
section.

A Streams application's ACL bindings and internal topics are not given to the acls and topics sections: they are
parts of the application, planned, applied, recorded and imported as it (its kind); a cdc source's
are resources of their own kinds that outlive a change of the source."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping

from kplan.model.metadata import Meta
from kplan.stackfile.member import MemberInput


@dataclass(frozen=True)
class Merged:
    """A section's specs once merged (sorted by name) and the metadata of each — and of what they derive (a
    connector's offsets request) —, by (section, name)."""

    specs: tuple
    meta: dict[tuple[str, str], Meta]


# (the cluster's part of the stack, the section's own specs, their metadata by name, what other entries gave it)
Merge = Callable[[MemberInput, tuple, Mapping[str, Meta], tuple], Merged]


def merged(inp: MemberInput, merges: Mapping[str, Merge], own: Mapping[str, tuple],
           own_meta: Mapping[str, Mapping[str, Meta]], given: Mapping[str, tuple]) -> dict[str, Merged]:
    """Every section's specs and metadata: its merge's (`merges`, kplan.stackfile.sections.MERGES) where it has
    one, else its own as built."""
    out = {}
    for section in dict.fromkeys([*own, *given]):
        merge = merges.get(section)
        if merge is not None:
            out[section] = merge(inp, own.get(section, ()), own_meta.get(section, {}), given.get(section, ()))
        elif section in given:
            raise ValueError(f"entries given to section {section!r}, which has no merge")  # a kind's bug
        else:
            out[section] = Merged(own[section], {(section, n): m for n, m in own_meta.get(section, {}).items()})
    return out
