"""The shapes one cluster's resources are built in: the load's shared context, a section builder's input and
result, and `Member`, one cluster's finished specs.

They are apart from the pipeline so that a section's builder (kplan.stackfile.sections, or a kind's own
`build_member`) depends on these shapes only, not on the loader that calls it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Mapping, NamedTuple

from kplan.kinds import UNITS
from kplan.kinds.connector.model import ConnectorSpec
from kplan.model.desired import ClusterSpec
from kplan.model.diagnostics import Diagnostics
from kplan.model.metadata import EMPTY, Meta
from kplan.model.source import Loc
from kplan.stackfile.merge import LISTS

if TYPE_CHECKING:  # pragma: no cover
    from kplan.model.source import SourceMap
    from kplan.stackfile.engines import EngineTemplates


class ConnectorEntry(NamedTuple):
    """A connector declared by name (a cdc source declares one of its own name)."""

    spec: ConnectorSpec | None  # None: the schema flagged it, or the cdc source that declares it
    name: str
    loc: Loc
    meta: Meta = EMPTY


@dataclass
class Flagged:
    """What the schema flagged, kept away from expansion: a flagged declared topic, connector or cdc source (or
    the selected overlay's entry for one) is left out, so the rest of the stack is still checked; a flag
    anywhere else (cluster, defaults, vars, an overlay's shape...) stops the load after the schema."""

    everything: bool = False
    items: set[int] = field(default_factory=set)  # id() of flagged entries of topics / connectors / cdc
    overlays: dict[str, set] = field(default_factory=lambda: {key: set() for key in LISTS})

    def add(self, root: dict, paths: list[tuple]) -> None:
        for path in paths:
            if len(path) >= 2 and path[0] in LISTS and isinstance(root.get(path[0]), list):
                items = root[path[0]]
                if isinstance(path[1], int) and 0 <= path[1] < len(items):
                    item = items[path[1]]
                    # A name of the wrong form is still a string: the semantic checks say what is wrong with it.
                    if not (path[2:] == ("name",) and isinstance(item, dict) and isinstance(item.get("name"), str)):
                        self.items.add(id(item))
                    continue
            if len(path) >= 4 and path[0] == "environments" and path[2] in LISTS:
                self.overlays[path[2]].add(path[3])
                continue
            self.everything = True


# The sections whose entries the selected environment may overlay by name (`environments.<env>.<section>.<name>`):
# the kinds' that say so (`StackSection.overlaid`), and the cdc sources.
OVERLAID = (*(u.section.key for u in UNITS if u.section is not None and u.section.overlaid), "cdc")


@dataclass
class Overlays:
    """The selected environment's overlays of named entries, and which of them a declared entry used: an overlay
    of a name the stack does not declare is an error once every cluster is built."""

    entries: dict[str, dict]  # section -> {name: overlay}
    used: dict[str, set[str]] = field(default_factory=lambda: {key: set() for key in OVERLAID})
    declared: dict[str, list[str]] = field(default_factory=lambda: {key: [] for key in OVERLAID})  # for the hint
    # The sections whose declared names are not all known (a flagged cdc source's topics): an overlay of a name
    # none declares is not an error there.
    unknown: set[str] = field(default_factory=set)

    @classmethod
    def of(cls, overlay: dict) -> Overlays:
        return cls({key: as_dict(overlay.get(key)) for key in OVERLAID})

    def use(self, section: str, name: str) -> dict | None:
        """The overlay of `name` in `section` (None if there is none), marked used."""
        if name not in self.entries[section]:
            return None
        self.used[section].add(name)
        return self.entries[section][name]


def read_beside(path: str, named_in: str | None) -> str:
    """A file a stack names (a schema file), as text: `path` as written, relative to the file that names it; OSError
    or UnicodeDecodeError when it cannot be read. The one file read a kind's section builder asks for."""
    full = os.path.expanduser(path)
    if not os.path.isabs(full) and named_in:
        full = os.path.join(os.path.dirname(os.path.abspath(named_in)), full)
    with open(full, encoding="utf-8") as f:
        return f.read()


@dataclass
class Context:
    """What every cluster's sections are built with: one per load."""

    smap: SourceMap
    diags: Diagnostics
    flagged: Flagged
    overlays: Overlays
    topic_defaults: dict
    connector_defaults: dict
    templates: EngineTemplates
    # Each kind's checks across the whole stack, by section (`StackSection.load_checks`): reported once, when every
    # cluster is built (`flush(diags)`).
    checks: Mapping[str, Any]
    read_text: Callable[[str, str | None], str] = read_beside  # the files entries name (kinds' builders are pure)
    meta_default: Meta = EMPTY  # `defaults.owner` / `defaults.labels`: what every entry inherits
    # id() of an entry a for_each entry expanded into -> how messages name its item (`for_each item "acme"`)
    loop_items: Mapping[int, str] = field(default_factory=dict)
    clusters: Mapping[str, ClusterSpec] = field(default_factory=dict)  # `clusters:` by name (a mirror's source)


@dataclass(frozen=True)
class MemberInput:
    """One cluster's part of the stack, as each section's builder sees it."""

    ctx: Context
    name: str | None  # the cluster's name under `clusters:`; None for a stack with one `cluster:`
    cluster: ClusterSpec | None  # None: its settings are invalid (reported)
    loc: Loc  # where the cluster is declared
    lists: Mapping[str, list]  # section -> [(entry, loc)] of the entries placed in this cluster

    def unflagged(self, section: str) -> list[tuple[Any, Loc]]:
        """The section's entries the schema did not flag."""
        flagged = self.ctx.flagged.items  # (looked up once: the topics section may hold a hundred thousand)
        entries = self.lists[section]
        return [entry for entry in entries if id(entry[0]) not in flagged] if flagged else list(entries)

    @property
    def label(self) -> str:
        """How errors name the cluster's settings: `cluster` or `clusters.<name>`."""
        return f"clusters.{self.name}" if self.name else "cluster"


@dataclass(frozen=True)
class Built:
    """What a section's builder returns for one cluster: the section's own specs, and what its entries give
    sections (`given`, by receiving section: a topic entry gives the topics section a TopicEntry, a cdc source
    gives topics, connectors and its principal's bindings; kplan.stackfile.derived merges them). Its diagnostics
    are reported into the load's collector (`Context.diags`)."""

    specs: tuple = ()
    given: Mapping[str, tuple] = field(default_factory=dict)
    # The owners, descriptions and labels of the section's own specs, by name (kplan.model.metadata).
    meta: Mapping[str, Meta] = field(default_factory=dict)


SectionBuilder = Callable[[MemberInput], Built]


@dataclass(frozen=True)
class Member:
    """One cluster's resources (every resource, for a stack with one `cluster:`), sorted as the Stack holds
    them."""

    name: str | None
    cluster: ClusterSpec | None  # None: its settings are invalid (reported; no Stack is built)
    loc: Loc
    kinds: Mapping[str, tuple]  # every kind's specs, by section (Stack.kinds)
    claims: tuple = ()  # the name prefixes claimed on this cluster (`Claim`s: kplan.stackfile.claims)
    forget: tuple = ()  # the resources it stops owning on this cluster (`Forget`s: kplan.stackfile.claims)
    references: tuple = ()  # the resources it needs but does not own (`Reference`s: kplan.stackfile.claims)
    metadata: Mapping[tuple[str, str], Meta] = field(default_factory=dict)  # (section, name) -> Stack.metadata


def as_dict(v) -> dict:
    """`v` when it is a mapping, else an empty one (the schema reported anything else)."""
    return v if isinstance(v, dict) else {}
