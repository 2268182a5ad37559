"""Live state -> the documents of a stack file (plain dicts, in the stack format's key order).

Selection: Kafka's, Connect's and kplan's internal topics are never imported, nor is anything another kplan stack
owns (it is already declared somewhere). `--include`/`--exclude`/`--prefix` select by name: a topic's, a
connector's, and each other kind's entry name as its `importer.py` gives it (an ACL principal without `User:`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from typing import Any, Mapping

from kplan.importer.sources import stack_documents
from kplan.kinds import UNITS
from kplan.kinds.importing import ImportContext
from kplan.model.live import LiveState


@dataclass(frozen=True)
class ImportOptions:
    stack: str
    include: tuple[str, ...] = ()   # regular expressions; a name must match one (search) when any is given
    exclude: tuple[str, ...] = ()   # regular expressions; a name matching one is left out
    prefixes: tuple[str, ...] = ()  # a name must start with one when any is given
    topics: bool = True
    connectors: bool = True
    skip: frozenset[str] = frozenset()  # the kinds not imported, by their section word (`Kind.section`)
    registry_flavour: str | None = None  # the stack's schema registry: "apicurio", "confluent" or None (none)

    def imports(self, section: str) -> bool:
        """Whether the kind of `section` is imported: not in `skip`, nor switched off by a flag of its own (the
        kinds with a field of their own here: `--no-topics`, `--no-connectors`)."""
        return section not in self.skip and (section not in _SWITCHES or bool(getattr(self, section)))

    def selects(self, name: str) -> bool:
        if self.prefixes and not name.startswith(self.prefixes):
            return False
        if self.include and not any(re.search(p, name) for p in self.include):
            return False
        return not any(re.search(p, name) for p in self.exclude)


@dataclass(frozen=True)
class Imported:
    """The stack's parts (`topics`, `connectors`, `cdc`, and each other kind's by its section: lists of entries in
    the stack format), the environment variables its secret references need (name -> what it holds, never a
    value), and notes for the person importing (what was left out and why)."""

    topics: tuple[dict, ...] = ()
    connectors: tuple[dict, ...] = ()
    cdc: tuple[dict, ...] = ()  # Debezium connectors recognised as `cdc:` sources (`kplan import --cdc`)
    kinds: Mapping[str, tuple[dict, ...]] = field(default_factory=dict)  # section word -> entries
    variables: Mapping[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def documents(self, stack: str, cluster: Mapping[str, Any], *, split: bool) -> dict[str, dict]:
        """File name -> document: one `stack.yaml`, or (split) the stack and cluster there and one file per kind."""
        parts = {k: list(v) for k, v in self.parts().items() if v}
        return stack_documents(stack, cluster, parts, {f"{kind}.yaml": {kind: v} for kind, v in parts.items()}, split)

    def parts(self) -> dict[str, tuple[dict, ...]]:
        """Section -> its entries, in the order a stack file says them: the parts with a field of their own (topics,
        connectors, cdc sources), then each other kind's."""
        return {**{name: getattr(self, name) for name in _PARTS}, **self.kinds}


# The sections `ImportOptions` switches by a field of its own, and those `Imported` holds in a field of its own:
# the parts every import writes (`kplan import`'s summary and options name them); every other kind's are by section.
_SWITCHES = frozenset(f.name for f in fields(ImportOptions) if f.type == "bool")
_PARTS = tuple(f.name for f in fields(Imported) if f.name not in ("kinds", "variables", "notes"))


def build_import(live: LiveState, options: ImportOptions) -> Imported:
    notes: list[str] = []
    variables: dict[str, str] = {}
    foreign = live.foreign_owners

    def owned_elsewhere(kind: str, name: str) -> bool:
        owner = foreign.get(f"{kind}.{name}")
        if owner is not None:
            notes.append(f"{kind} {name!r} left out: the kplan stack {owner!r} owns it")
        return owner is not None

    parts = {t: r for u in UNITS if u.importer is not None and u.importer.topics_of is not None
             and u.kind.section not in options.skip for t, r in u.importer.topics_of(live).items()}
    ctx = ImportContext(options.selects, owned_elsewhere, notes, options.registry_flavour, variables, parts)
    written = {u.kind.section: tuple(_with_meta(live, u.kind.type.value, e, u.importer.name_of(e))
                                     for e in u.importer.entries(live, ctx))
               for u in UNITS if u.importer is not None and options.imports(u.kind.section)}
    own = {name: written.pop(name) for name in _PARTS if name in written}
    return Imported(**own, kinds=written, variables=variables, notes=tuple(notes))


def _with_meta(live: LiveState, word: str, entry: dict, name: str | None) -> dict:
    """The entry with the owner, description and labels kplan's record keeps for it (kplan.model.metadata: Kafka
    keeps none), after its name; unchanged without."""
    meta = live.metadata.get(f"{word}.{name}") if name is not None else None
    if meta is None or meta.empty:
        return entry
    items = list(entry.items())
    return {**dict(items[:1]), **meta.to_json(), **dict(items[1:])}


def refuse_plaintext(live: LiveState, imported: Imported, texts: Mapping[str, str]) -> None:
    """The last check before the files are written (`texts`: their text by name): each kind's
    (`KindImporter.refuse_plaintext`: no secret it replaced by a reference appears anywhere)."""
    written = imported.parts()
    for u in UNITS:
        check = u.importer.refuse_plaintext if u.importer is not None else None
        if check is not None:
            check(live, written.get(u.kind.section, ()), texts)
