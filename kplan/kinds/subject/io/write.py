"""The registry writes apply makes (`SubjectWrites`, the io the kind's handlers call). Every write is retried while
the registry does not answer or answers 5xx (each is idempotent: registering a schema the subject has returns its
version; deleting what is gone is a success), for at most the stack's `cluster.timeout`, and verified: the writer
reads until the registry shows the change.

Schemas are registered and looked up with `?normalize=true`: Apicurio 3.0 otherwise compares the text, so the
same schema with other whitespace would become a new version (Confluent normalizes the same way). Apicurio does
not normalize a schema with references: only the same text finds (and re-registers onto) the same version."""

from __future__ import annotations

from typing import Any, Callable, Iterator, Sequence

from kplan.errors import WriteError
from kplan.kinds.subject.io.client import (
    REFERENCED,
    SOFT_DELETED,
    error_code,
    error_line,
    json_body,
    level_of,
    registry_client,
)
from kplan.kinds.subject.io.read import subject_levels
from kplan.kinds.subject.model import SchemaReference
from kplan.transport.admin import poll
from kplan.transport.http import RestUnavailable
from kplan.transport.http import rest_path as path
from kplan.transport.reach import Link
from kplan.transport.retry import RetriableError, RetryPolicy, retry

NORMALIZE = {"normalize": "true"}


class SubjectWrites:
    """The kind's writes (`StepContext.io(SubjectWrites)`) to the schema registry of the run's stack's cluster, made
    when a step first writes (a clear error for a stack that names no registry), with a `Link` of its own (the
    registry being down says nothing about Kafka)."""

    def __init__(self, writers: Any):
        http = registry_client(writers.cluster, writers.secrets)
        if http is None:
            raise WriteError("the stack declares schema registry subjects but names no registry: set "
                             "cluster.schema_registry.url")
        self.http = http
        self.timeout_s = writers.cluster.timeout_s
        self.policy = RetryPolicy(deadline_s=self.timeout_s)
        self.link = Link("the schema registry", http.shown_url, self.timeout_s, self._probe)

    def _probe(self, seconds: float) -> None:
        r = self.http.request("GET", path("config"), timeout=seconds)
        if r.status_code >= 500:
            raise RestUnavailable(f"the schema registry answered {r.status_code}", sent=False)

    def _call(self, method: str, where: str, what: str, ok: tuple[int, ...] = (200,),
              expected: tuple[int, ...] = (), json: Any = None, done: tuple[int, ...] = ()):
        """One request, retried while the registry does not answer or answers 5xx; an answer in `ok` or
        `expected`, or an error whose registry code is in `done`, is returned; any other refusal is a `WriteError`
        with the registry's message."""

        def attempt():
            try:
                r = self.http.request(method, where, json=json, timeout=self.link.budget())
            except RestUnavailable as e:
                raise RetriableError(str(e), ambiguous=e.sent, no_answer=True) from e
            if r.status_code in ok or r.status_code in expected or (done and error_code(r) in done):
                return r
            if r.status_code >= 500:
                raise RetriableError(error_line(self.http, method, where, r), ambiguous=True)
            raise WriteError(f"{what}: {error_line(self.http, method, where, r)}")

        return retry(attempt, self.policy, what, link=self.link)

    def _until(self, problem: Callable[[], str | None]) -> None:
        """Read until `problem()` is None (the registry shows the change), at most the stack's timeout."""
        poll(lambda: f"verification failed: {why} within {self.timeout_s:g}s" if (why := problem()) else None,
             self.timeout_s, delay=0.05)

    # -- schemas -------------------------------------------------------------------------------------------------

    def _body(self, subject: str, schema: str, schema_type: str,
              references: Sequence[SchemaReference]) -> dict[str, Any]:
        refs = [{"name": r.name, "subject": r.subject,
                 "version": r.version if r.version is not None else self._latest(r.subject, subject)}
                for r in references]
        return {"schema": schema, "schemaType": schema_type, "references": refs}

    def _latest(self, referenced: str, subject: str) -> int:
        r = self._call("GET", path("subjects", referenced, "versions", "latest"),
                       f"resolving subject {subject}'s reference to {referenced}", expected=(404,))
        if r.status_code == 404:
            raise WriteError(f"subject {subject} references subject {referenced}, which has no version")
        return int(json_body(self.http, r)["version"])

    def register_schema(self, subject: str, schema: str, schema_type: str,
                        references: Sequence[SchemaReference]) -> int:
        """Register `schema` under `subject` (a reference with version None is resolved to its subject's latest
        version first); returns the version the registry shows it under (verified with a lookup). A schema the
        subject already has is not registered again: its version is returned."""
        body = self._body(subject, schema, schema_type, references)
        r = self._call("POST", path("subjects", subject, "versions", query=NORMALIZE),
                       f"registering a schema under subject {subject}", json=body)
        answered = json_body(self.http, r)
        schema_id = answered.get("id") if isinstance(answered, dict) else None
        # Read until the subject shows it: by the registry's lookup, or else by a version holding the id the
        # registration answered. Apicurio 3.0.9's lookup can miss a version for good, and a version can be half
        # written (listed, but not served) when another client deletes the same schema for good meanwhile
        # (docs/systems-facts.md): a registration the registry does not show is a failed step, never claimed.
        found: list[int] = []

        def unseen() -> str | None:
            version = self._lookup(subject, body)
            if version is None and isinstance(schema_id, int):
                version = self._version_with_id(subject, schema_id)
            found[:] = [] if version is None else [version]
            return None if found else f"subject {subject} does not show the schema just registered"

        self._until(unseen)
        return found[0]

    def schema_version(self, subject: str, schema: str, schema_type: str,
                       references: Sequence[SchemaReference]) -> int | None:
        """The live version of `subject` that holds this schema (the registry's lookup), or None."""
        try:
            body = self._body(subject, schema, schema_type, references)
        except WriteError:  # a referenced subject is gone: nothing can hold this schema with that reference
            return None
        found = self._lookup(subject, body)
        return found if found is not None else self._version_holding(subject, body)

    def _version_holding(self, subject: str, body: dict[str, Any]) -> int | None:
        """The newest live version whose schema is `body`'s (kplan's canonical form, the same type and references):
        what the registry's lookup answers, asked of the versions themselves, for when that lookup misses a version
        it holds (Apicurio, docs/systems-facts.md). A run killed before journaling its registration is undone by
        what this finds."""
        from kplan.kinds.subject.schemas import same_schema

        for version, held in self._held_versions(subject):
            kind = str(held.get("schemaType") or "AVRO").upper()
            refs = [{k: d.get(k) for k in ("name", "subject", "version")} for d in held.get("references") or ()
                    if isinstance(d, dict)]
            if (kind == body["schemaType"].upper() and refs == body["references"]
                    and same_schema(kind, str(held.get("schema") or ""), body["schema"])):
                return version
        return None

    def _lookup(self, subject: str, body: dict[str, Any]) -> int | None:
        r = self._call("POST", path("subjects", subject, query=NORMALIZE), f"looking up a schema of subject {subject}",
                       expected=(404,), json=body)
        return int(json_body(self.http, r)["version"]) if r.status_code == 200 else None

    def _version_with_id(self, subject: str, schema_id: int) -> int | None:
        """The subject's live version holding the schema of id `schema_id` (the one just registered is the latest
        unless another client registered meanwhile); None when none does."""
        return next((v for v, held in self._held_versions(subject) if held.get("id") == schema_id), None)

    def _held_versions(self, subject: str) -> Iterator[tuple[int, dict[str, Any]]]:
        """Each live version of the subject with what the registry answers for it (id, schema, type, references),
        newest first, read one at a time."""
        for version in reversed(self.subject_versions(subject)):
            r = self._call("GET", path("subjects", subject, "versions", str(version)),
                           f"reading version {version} of subject {subject}", expected=(404,))
            held = json_body(self.http, r) if r.status_code == 200 else None
            if isinstance(held, dict):
                yield version, held

    def subject_versions(self, subject: str, deleted: bool = False) -> list[int]:
        """The subject's live (not soft-deleted) versions, or with `deleted` soft-deleted ones included; [] when it
        does not exist."""
        r = self._call("GET", path("subjects", subject, "versions", query={"deleted": "true"} if deleted else None),
                       f"reading subject {subject}'s versions" + (" (deleted ones included)" if deleted else ""),
                       expected=(404,))
        return sorted(int(v) for v in json_body(self.http, r)) if r.status_code == 200 else []

    def delete_schema_version(self, subject: str, version: int) -> None:
        """Soft-delete a version (verified gone from the live versions), then hard-delete it (verified gone from the
        versions with deleted ones, so the subject's next registration gets its number again)."""
        self._call("DELETE", path("subjects", subject, "versions", str(version)),
                   f"deleting version {version} of subject {subject}", expected=(404,), done=(SOFT_DELETED,))
        self._until(lambda: f"subject {subject} still lists version {version} after its deletion"
                    if version in self.subject_versions(subject) else None)
        self._call("DELETE", path("subjects", subject, "versions", str(version), query={"permanent": "true"}),
                   f"permanently deleting version {version} of subject {subject}", expected=(404,))
        self._until(lambda: f"subject {subject} still holds version {version} (soft-deleted) after its permanent "
                    "deletion" if version in self.subject_versions(subject, deleted=True) else None)

    # -- compatibility levels ------------------------------------------------------------------------------------

    def subject_level(self, subject: str) -> str | None:
        """The subject's own compatibility level; None when it has none (it inherits the global level)."""

        def attempt():
            try:
                return subject_levels(self.http, subject)[0]
            except RestUnavailable as e:
                raise RetriableError(str(e), ambiguous=False, no_answer=True) from e

        return retry(attempt, self.policy, f"reading subject {subject}'s compatibility level", link=self.link)

    def own_level_answer(self, subject: str) -> str | None:
        """What `GET /config/<subject>` answers (None: 404, the registry has no such subject) — on Apicurio also NONE
        for "no own level"."""
        r = self._call("GET", path("config", subject), f"reading subject {subject}'s compatibility level",
                       expected=(404,))
        return level_of(json_body(self.http, r)) if r.status_code == 200 else None

    def set_subject_level(self, subject: str, level: str | None) -> None:
        """Set the subject's own level (None: remove it, so it inherits the global one), then check it shows."""
        where = path("config", subject)
        if level is None:
            self._call("DELETE", where, f"removing subject {subject}'s compatibility level", expected=(404,))
            self._until(lambda: None if self.subject_level(subject) is None else
                        f"subject {subject} still has its own compatibility level after its removal")
            return
        self._call("PUT", where, f"setting subject {subject}'s compatibility level to {level}",
                   json={"compatibility": level})
        self._until(lambda: None if self.own_level_answer(subject) == level else
                    f"subject {subject} does not show compatibility level {level}")

    # -- subjects ------------------------------------------------------------------------------------------------

    def subject_listed(self, subject: str) -> bool:
        """Whether the registry knows the subject at all (soft-deleted included)."""
        return subject in self._listed(True)

    def _listed(self, deleted: bool) -> set[str]:
        query = {"deleted": "true"} if deleted else None
        return set(json_body(self.http, self._call("GET", path("subjects", query=query), "listing subjects")))

    def delete_subjects(self, names: Sequence[str], permanent: bool) -> None:
        """Soft-delete the subjects (then hard-delete them when `permanent`), then until the registry no longer
        lists them (an absent subject is a success)."""
        for name in names:
            r = self._call("DELETE", path("subjects", name), f"deleting subject {name}", expected=(404,),
                           done=(SOFT_DELETED, REFERENCED))
            if r.status_code != 404 and error_code(r) == REFERENCED:
                self._delete_versions_of_referenced(name)
            if permanent:
                self._call("DELETE", path("subjects", name, query={"permanent": "true"}),
                           f"permanently deleting subject {name}", expected=(404,))
        wanted = set(names)
        self._until(lambda: "the registry still lists " + ", ".join(sorted(left))
                    if (left := wanted & self._listed(permanent)) else None)

    def _delete_versions_of_referenced(self, subject: str) -> None:
        """Soft-delete a subject that only soft-deleted schemas reference, version by version. Apicurio refuses the
        subject's delete while a soft-deleted subject (one deleted just before, in reference order) references it,
        but deletes its versions one by one — without checking references at all, so kplan checks them: every
        schema that references one of its versions must be used by no live subject version."""
        versions = self.subject_versions(subject)
        live: set[str] = set()
        for v in versions:
            r = self._call("GET", path("subjects", subject, "versions", str(v), "referencedby"),
                           f"reading what references version {v} of subject {subject}", expected=(404,))
            for schema_id in (json_body(self.http, r) if r.status_code == 200 else []):
                used = self._call("GET", path("schemas", "ids", str(schema_id), "versions"),
                                  f"reading the subjects of schema id {schema_id}", expected=(404,))
                live |= {str(u.get("subject")) for u in (json_body(self.http, used) if used.status_code == 200
                                                         else []) if isinstance(u, dict)}
        live.discard(subject)
        if live:
            raise WriteError(f"deleting subject {subject}: the registry refuses it, subject(s) "
                             f"{', '.join(sorted(live))} reference it; remove those references first")
        for v in versions:
            self._call("DELETE", path("subjects", subject, "versions", str(v)),
                       f"deleting version {v} of subject {subject}", expected=(404,), done=(SOFT_DELETED,))

    def close(self) -> None:
        self.http.close()
