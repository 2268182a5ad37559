"""The ownership record: what one stack owns, which of it is protected, which connector keys hold secrets, and
the marker of a run under way. One type end to end: the reader builds it from the cluster's record, the planner's
live state carries it, apply computes the record after a run, the journal keeps the one before, and the state
package writes it back."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Mapping


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
    # principal -> the keys (`AclBinding.key`) of the ACL bindings kplan created for this stack: the only
    # bindings it ever deletes
    acls: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # SCRAM user -> the rotation token kplan last applied its password with ("" for none): the users kplan
    # created or adopted for this stack, the only ones it ever deletes
    users: Mapping[str, str] = field(default_factory=dict)
    # client-quota entity (`user=app`) -> the quota keys kplan set for this stack: the only keys it ever removes
    quotas: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # connector -> the offsets request token kplan last applied to it (kplan.kinds.offsets.kind)
    offsets: Mapping[str, str] = field(default_factory=dict)
    # schema registry subject -> the digest of the canonical schema (and references) kplan last registered or
    # adopted under it (kplan.rules.schemas.schema_digest): the subjects it owns; a latest version with another
    # digest was registered by hand
    subjects: Mapping[str, str] = field(default_factory=dict)

    def marked(self, run: Mapping[str, Any] | None) -> "Ownership":
        """The same record carrying (or, with None, clearing) a run marker."""
        return replace(self, run=dict(run) if run else None)

    def merged(self, other: "Ownership") -> "Ownership":
        """Everything either record owns (and protects, and knows secret keys of); this record's marker. While a
        run is unfinished, the record is the before-record merged with every record the run's steps may write:
        whatever the run may have created stays owned, so plan, status, recover and destroy see it."""
        sensitive = {c: tuple(sorted(set(self.sensitive.get(c, ())) | set(other.sensitive.get(c, ()))))
                     for c in sorted(set(self.sensitive) | set(other.sensitive))}
        acls = {p: tuple(sorted(set(self.acls.get(p, ())) | set(other.acls.get(p, ()))))
                for p in sorted(set(self.acls) | set(other.acls))}
        # a user both records own keeps this record's token: until the run is known to have set the password
        # again, the next plan offers the rotation again (setting a password twice is harmless)
        users = {**other.users, **self.users}
        quotas = {e: tuple(sorted(set(self.quotas.get(e, ())) | set(other.quotas.get(e, ()))))
                  for e in sorted(set(self.quotas) | set(other.quotas))}
        return Ownership(self.topics | other.topics, self.connectors | other.connectors,
                         self.protected_topics | other.protected_topics,
                         self.protected_connectors | other.protected_connectors, sensitive, self.run, acls,
                         users=dict(sorted(users.items())), quotas=quotas,
                         offsets=dict(sorted({**other.offsets, **self.offsets}.items())),
                         subjects=dict(sorted({**other.subjects, **self.subjects}.items())))

    def to_json(self) -> dict[str, Any]:
        """The record's JSON form (as kept in the journal and the ownership topic); `run` only when set."""
        doc: dict[str, Any] = {
            "topics": sorted(self.topics), "connectors": sorted(self.connectors),
            "protected_topics": sorted(self.protected_topics),
            "protected_connectors": sorted(self.protected_connectors),
            "sensitive": {c: sorted(keys) for c, keys in sorted(self.sensitive.items())},
        }
        if self.acls:  # only when there are some: records of stacks without ACLs keep their form
            doc["acls"] = {p: sorted(keys) for p, keys in sorted(self.acls.items())}
        if self.users:  # likewise
            doc["users"] = dict(sorted(self.users.items()))
        if self.quotas:  # likewise
            doc["quotas"] = {e: sorted(keys) for e, keys in sorted(self.quotas.items())}
        if self.offsets:  # likewise
            doc["offsets"] = dict(sorted(self.offsets.items()))
        if self.subjects:  # likewise
            doc["subjects"] = dict(sorted(self.subjects.items()))
        if self.run:
            doc["run"] = dict(self.run)
        return doc

    @classmethod
    def from_json(cls, doc: Mapping[str, Any] | None) -> "Ownership":
        doc = doc or {}
        return cls(frozenset(doc.get("topics", ())), frozenset(doc.get("connectors", ())),
                   frozenset(doc.get("protected_topics", ())), frozenset(doc.get("protected_connectors", ())),
                   {c: tuple(k) for c, k in (doc.get("sensitive") or {}).items()}, doc.get("run") or None,
                   {p: tuple(k) for p, k in (doc.get("acls") or {}).items() if k},
                   users={str(u): str(t or "") for u, t in (doc.get("users") or {}).items()},
                   quotas={e: tuple(k) for e, k in (doc.get("quotas") or {}).items() if k},
                   offsets={str(c): str(t) for c, t in (doc.get("offsets") or {}).items() if t},
                   subjects={str(n): str(d) for n, d in (doc.get("subjects") or {}).items() if d})
