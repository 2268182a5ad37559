"""What `kplan import` asks of a kind: its live resources written as stack entries (`KindImporter`, in the kind's
`importer.py`, registered in its UNIT). The selection (`--include`/`--exclude`/`--prefix`), the notes for the person
importing and what another kplan stack owns are the import's (`kplan.importer.build`), handed in as an
`ImportContext`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

if TYPE_CHECKING:  # pragma: no cover
    from kplan.model.live import LiveState


@dataclass
class ImportContext:
    selects: Callable[[str], bool]  # whether a name is selected
    owned_elsewhere: Callable[[str, str], bool]  # (kind word, name): another stack owns it (noted)
    notes: list[str] = field(default_factory=list)  # what was left out and why
    registry_flavour: str | None = None  # the stack's schema registry: "apicurio", "confluent" or None (none)
    # The environment variables the written secret references need (name -> what it holds, never a value).
    variables: dict[str, str] = field(default_factory=dict)
    # The live topics another kind imports as parts of its resources (`KindImporter.topics_of`: topic -> that
    # resource's name): never entries of their own.
    parts: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class KindImporter:
    # How the import's summary counts its entries ("ACL principal(s)"); None: it writes none, or the summary counts
    # them on their own (topics and connectors, each a field of `kplan.importer.build.Imported`).
    noun: str | None
    entries: Callable[["LiveState", ImportContext], list[dict[str, Any]]]
    # What its `--no-<section>` option says ("Import no ACLs."); None: the kind has no such option.
    skip_help: str | None = None
    # Its own read after the batched one, for an import (every resource, not only a stack's): (live, the
    # session's reader, the stack read from) -> live with what it read.
    read: Callable[["LiveState", Any, Any], "LiveState"] | None = None
    # The name of the resource an entry it wrote declares (its address's name: the owner, description and labels
    # kplan's record keeps for it are written back into the entry); by default the entry's `name`.
    name_of: Callable[[dict[str, Any]], "str | None"] = field(default=lambda entry: entry.get("name"))
    # The live topics that are part of one of its resources (topic -> that resource's name, e.g. a Kafka Streams
    # application's internal topics): imported with it, never as topics of their own.
    topics_of: Callable[["LiveState"], "dict[str, str]"] | None = None
    # The last check before the files are written: (live, the entries it wrote, the files' texts by name) -> None,
    # or KplanError when a secret it replaced by a reference appears anywhere in them.
    refuse_plaintext: Callable[["LiveState", Sequence[dict[str, Any]], Mapping[str, str]], None] | None = None
