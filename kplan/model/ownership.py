"""The ownership record: what one stack owns, which of it is protected, which connector keys hold secrets, and
the marker of a run under way. One type end to end: the reader builds it from the cluster's record, the planner's
live state carries it, apply computes the record after a run, the journal keeps the one before, and the state
package writes it back."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Iterable, Mapping

from kplan.model.metadata import Meta

# What the record keeps of one resource of a kind beyond "owned": the keys kplan set there (a tuple, e.g. an ACL
# principal's binding keys) or one token (a string, e.g. a SCRAM user's rotation token, "" for none); each kind's
# `record_after` says which.
Entry = tuple[str, ...] | str


@dataclass(frozen=True)
class NamesPart:
    """A names-only kind's part of the record (`Ownership.names`), as its `record_after` computes it: the names owned,
    those protected, and (a kind whose resources hold secrets) each one's config keys holding secrets."""

    names: frozenset[str] = frozenset()
    protected: frozenset[str] = frozenset()
    sensitive: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

_CORE = ("sensitive", "run", "metadata")
_PROTECTED = "protected_"  # a kind's protected names in the JSON: "protected_<word>"


@dataclass(frozen=True)
class Ownership:
    """Every kind's part is keyed by the kind's word in the record (`Kind.section`); the record names no kind. A
    kind keeps either names (`names`: owned is all it records, a JSON list, written even when empty once the kind
    is part of the record) or entries (`kinds`: name -> Entry, a JSON object, written only when it owns some)."""

    # A names-only kind's part: the names the stack owns (JSON: "<word>": [...]).
    names: Mapping[str, frozenset[str]] = field(default_factory=dict)
    # Resources applied with `protect: true`, by kind word: never deleted, even after they are removed from the
    # stack (JSON: "protected_<word>": [...]).
    protected: Mapping[str, frozenset[str]] = field(default_factory=dict)
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

    @property
    def empty(self) -> bool:
        """Owns, protects and marks nothing: as a stack never applied, or destroyed, is (kplan.state.ownership writes
        a tombstone for it)."""
        return not (self.run or self.sensitive or self.kinds or any(self.names.values())
                    or any(self.protected.values()) or not all(m.empty for m in self.metadata.values()))

    def of(self, word: str) -> Mapping[str, Entry]:
        """One kind's part of the record (empty when it owns none)."""
        return self.kinds.get(word, {})

    def part(self, word: str) -> "NamesPart | Mapping[str, Entry]":
        """One kind's part as its `record_after` and `live.py` see it: a names-only kind's `NamesPart`, else entries."""
        if word in self.names:
            return NamesPart(self.names[word], self.protects(word),
                             {n: k for n, k in self.sensitive.items() if n in self.names[word]})
        return self.of(word)

    def owned(self, word: str) -> frozenset[str]:
        """The names of one kind the stack owns, whichever form its part has."""
        return self.names.get(word) or frozenset(self.kinds.get(word, ()))

    def protects(self, word: str) -> frozenset[str]:
        """The names of one kind recorded as `protect: true`."""
        return self.protected.get(word, frozenset())

    def without(self, word: str, name: str) -> "Ownership":
        """The same record no longer owning (nor protecting, nor knowing secret keys of) one resource: a forgotten
        one (`forget:`)."""
        names = {w: n - {name} if w == word else n for w, n in self.names.items()}
        protected = {w: p for w, p in ((w, p - {name} if w == word else p) for w, p in self.protected.items()) if p}
        kinds = {w: e for w, e in ((w, {n: x for n, x in e.items() if not (w == word and n == name)})
                                   for w, e in self.kinds.items()) if e}
        sensitive = {n: k for n, k in self.sensitive.items() if not (word in self.names and n == name)}
        return replace(self, names=names, protected=protected, kinds=kinds, sensitive=sensitive)

    def with_part(self, word: str, part: "NamesPart | Mapping[str, Entry]") -> "Ownership":
        """The same record with one kind's part set (a names-only kind's `NamesPart`, or entries)."""
        if isinstance(part, NamesPart):
            protected = {w: p for w, p in {**self.protected, word: part.protected}.items() if p}
            return replace(self, names={**self.names, word: part.names}, protected=protected,
                           sensitive={**self.sensitive, **part.sensitive})
        return replace(self, kinds={w: e for w, e in {**self.kinds, word: part}.items() if e})

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
        return Ownership(_united(self.names, other.names), _united(self.protected, other.protected), sensitive,
                         self.run, {w: k for w, k in kinds.items() if k}, {**other.metadata, **self.metadata})

    def to_json(self) -> dict[str, Any]:
        """The record's JSON form (as kept in the journal and the ownership topic); `run` only when set, a kind's
        part only when it owns some (records of stacks without that kind keep their form)."""
        doc: dict[str, Any] = {}
        for word, names in sorted(self.names.items()):
            doc[word] = sorted(names)
            doc[_PROTECTED + word] = sorted(self.protected.get(word, ()))
        doc["sensitive"] = {c: sorted(keys) for c, keys in sorted(self.sensitive.items())}
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
        names: dict[str, frozenset[str]] = {}
        protected: dict[str, frozenset[str]] = {}
        kinds: dict[str, dict[str, Entry]] = {}
        for w, v in doc.items():  # one pass: a plan decodes every stack's record
            if w in _CORE:
                continue
            if isinstance(v, list):
                if not str(w).startswith(_PROTECTED):
                    names[str(w)] = frozenset(map(str, v))
                elif v:
                    protected[str(w)[len(_PROTECTED):]] = frozenset(map(str, v))
            elif isinstance(v, dict):
                kinds[str(w)] = {str(n): _entry(e) for n, e in v.items() if not isinstance(e, list) or e}
        return cls(names, protected,
                   {c: tuple(k) for c, k in (doc.get("sensitive") or {}).items()}, doc.get("run") or None,
                   {w: e for w, e in kinds.items() if e},
                   {str(a): m for a, d in (doc.get("metadata") or {}).items() if not (m := Meta.from_json(d)).empty})


def keys_after(kept: Mapping[str, Iterable[str]], changes: Iterable[tuple[str, Iterable[str], Iterable[str]]]
               ) -> dict[str, Entry]:
    """A part whose entries are keys set, once a plan is applied: the keys kplan set that are still there (`kept`, by
    name), with those each change sets and without those it takes away (`changes`: (name, set, taken away), in
    order); a name left without keys is not owned."""
    owned = {n: set(keys) for n, keys in kept.items()}
    for name, added, removed in changes:
        keys = owned.setdefault(name, set())
        keys.update(added)
        keys.difference_update(removed)
    return {n: tuple(sorted(keys)) for n, keys in sorted(owned.items()) if keys}


def keys_of(resources: Mapping[str, Any]) -> dict[str, Entry]:
    """A part whose entries are keys set, as the live state shows it: each live resource's `owned` keys."""
    return {n: tuple(sorted(r.owned)) for n, r in sorted(resources.items()) if r.owned}


def _entry(e: Any) -> Entry:
    """An entry as JSON holds it: keys set (a list; an entity without any is not owned) or a token (None: "")."""
    return tuple(str(k) for k in e) if isinstance(e, list) else "" if e is None else str(e)


def _united(mine: Mapping[str, frozenset[str]], other: Mapping[str, frozenset[str]]) -> dict[str, frozenset[str]]:
    return {w: mine.get(w, frozenset()) | other.get(w, frozenset()) for w in sorted(set(mine) | set(other))}


def _merged(mine: Mapping[str, Entry], other: Mapping[str, Entry]) -> dict[str, Entry]:
    out: dict[str, Entry] = {}
    for name in sorted(set(mine) | set(other)):
        a, b = mine.get(name), other.get(name)
        if isinstance(a, tuple) or isinstance(b, tuple):
            out[name] = tuple(sorted(set(a or ()) | set(b or ())))
        else:
            out[name] = a if a is not None else b  # type: ignore[assignment]
    return out
