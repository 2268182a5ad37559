"""The ownership record: what one stack owns, which of it is protected, which connector keys hold secrets, and
the marker of a run under way. One type end to end: the reader builds it from the cluster's record, the planner's
live state carries it, apply computes the record after a run, the journal keeps the one before, and the state
package writes it back."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Mapping

from kplan.model.metadata import Meta

# What the record keeps of one resource of a kind beyond "owned": the keys kplan set there (a tuple, e.g. an ACL
# principal's binding keys) or one token (a string, e.g. a SCRAM user's rotation token, "" for none); each kind's
# `record.py` says which.
Entry = tuple[str, ...] | str

_CORE = ("topics", "connectors", "protected_topics", "protected_connectors", "sensitive", "run", "metadata")


@dataclass(frozen=True)
class Ownership:
    topics: frozenset[str] = frozenset()
    connectors: frozenset[str] = frozenset()
    # Resources applied with `protect: true`: never deleted, even after they are removed from the stack.
    protected_topics: frozenset[str] = frozenset()
    protected_connectors: frozenset[str] = frozenset()
    # connector -> config keys holding secrets (never their values)
    sensitive: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # Set while an apply runs (run id, host, pid, since): left behind, it marks an unfinished run. Plans learn of
    # it from this small record instead of reading the whole journal.
    run: Mapping[str, Any] | None = None
    # Every other kind's part, by the kind's word in the record (`Kind.section`): resource name -> its Entry. The
    # names are what the stack owns of that kind — the only ones kplan ever deletes (of a kind whose entries are
    # keys, only the keys it set).
    kinds: Mapping[str, Mapping[str, Entry]] = field(default_factory=dict)
    # Owners, descriptions and labels of owned resources, by address ("topic.orders"; kplan.model.metadata): Kafka
    # keeps none, so the record does. Only resources with some; absent from records written before it existed.
    metadata: Mapping[str, Meta] = field(default_factory=dict)

    def of(self, word: str) -> Mapping[str, Entry]:
        """One kind's part of the record (empty when it owns none)."""
        return self.kinds.get(word, {})

    def keys_of(self, word: str) -> dict[str, tuple[str, ...]]:
        """A kind's part whose entries are keys set, typed as such."""
        return {n: e for n, e in self.of(word).items() if isinstance(e, tuple)}

    def tokens_of(self, word: str) -> dict[str, str]:
        """A kind's part whose entries are one token each, typed as such."""
        return {n: e for n, e in self.of(word).items() if isinstance(e, str)}

    def marked(self, run: Mapping[str, Any] | None) -> "Ownership":
        """The same record carrying (or, with None, clearing) a run marker."""
        return replace(self, run=dict(run) if run else None)

    def merged(self, other: "Ownership") -> "Ownership":
        """Everything either record owns (and protects, and knows secret keys of); this record's marker. While a
        run is unfinished, the record is the before-record merged with every record the run's steps may write:
        whatever the run may have created stays owned, so plan, status, recover and destroy see it. Keys set are
        united; of two tokens this record's is kept (a user both records own keeps this record's token: until the
        run is known to have set the password again, the next plan offers the rotation again — setting a password
        twice is harmless)."""
        sensitive = {c: tuple(sorted(set(self.sensitive.get(c, ())) | set(other.sensitive.get(c, ()))))
                     for c in sorted(set(self.sensitive) | set(other.sensitive))}
        kinds = {w: _merged(self.of(w), other.of(w)) for w in sorted(set(self.kinds) | set(other.kinds))}
        return Ownership(self.topics | other.topics, self.connectors | other.connectors,
                         self.protected_topics | other.protected_topics,
                         self.protected_connectors | other.protected_connectors, sensitive, self.run,
                         {w: k for w, k in kinds.items() if k}, {**other.metadata, **self.metadata})

    def to_json(self) -> dict[str, Any]:
        """The record's JSON form (as kept in the journal and the ownership topic); `run` only when set, a kind's
        part only when it owns some (records of stacks without that kind keep their form)."""
        doc: dict[str, Any] = {
            "topics": sorted(self.topics), "connectors": sorted(self.connectors),
            "protected_topics": sorted(self.protected_topics),
            "protected_connectors": sorted(self.protected_connectors),
            "sensitive": {c: sorted(keys) for c, keys in sorted(self.sensitive.items())},
        }
        for word, entries in sorted(self.kinds.items()):
            if entries:
                doc[word] = {n: (e if isinstance(e, str) else sorted(e)) for n, e in sorted(entries.items())}
        if self.metadata:
            doc["metadata"] = {a: m.to_json() for a, m in sorted(self.metadata.items()) if not m.empty}
        if self.run:
            doc["run"] = dict(self.run)
        return doc

    @classmethod
    def from_json(cls, doc: Mapping[str, Any] | None) -> "Ownership":
        doc = doc or {}
        kinds = {str(w): {str(n): _entry(e) for n, e in entries.items() if not isinstance(e, list) or e}
                 for w, entries in doc.items() if w not in _CORE and isinstance(entries, dict)}
        return cls(frozenset(doc.get("topics", ())), frozenset(doc.get("connectors", ())),
                   frozenset(doc.get("protected_topics", ())), frozenset(doc.get("protected_connectors", ())),
                   {c: tuple(k) for c, k in (doc.get("sensitive") or {}).items()}, doc.get("run") or None,
                   {w: e for w, e in kinds.items() if e},
                   {str(a): m for a, d in (doc.get("metadata") or {}).items() if not (m := Meta.from_json(d)).empty})


def _entry(e: Any) -> Entry:
    """An entry as JSON holds it: keys set (a list; an entity without any is not owned) or a token (None: "")."""
    return tuple(str(k) for k in e) if isinstance(e, list) else "" if e is None else str(e)


def _merged(mine: Mapping[str, Entry], other: Mapping[str, Entry]) -> dict[str, Entry]:
    out: dict[str, Entry] = {}
    for name in sorted(set(mine) | set(other)):
        a, b = mine.get(name), other.get(name)
        if isinstance(a, tuple) or isinstance(b, tuple):
            out[name] = tuple(sorted(set(a or ()) | set(b or ())))
        else:
            out[name] = a if a is not None else b  # type: ignore[assignment]
    return out
