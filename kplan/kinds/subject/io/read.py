"""The plan's read of the schema registry: only the subjects a stack declares or owns, each with its latest
version, its live versions, its own compatibility level and the level in effect, plus the global level.

There is no batch read (Apicurio's `GET /schemas?latestOnly=true` answers nothing useful), so each subject costs
four GETs, run concurrently for a few subjects at a time. How a subject's own level is told apart from the global
one: Confluent answers 404 (40408) for a subject without its own level; Apicurio 3.0 answers NONE, and only
`?defaultToGlobal=true` gives the level in effect — so an own level of NONE under a global level that is not
NONE reads as "no own level" (on Apicurio a subject's NONE does not override the global level anyway: the level
in effect it answers is the global one).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any, Iterable, Mapping

from kplan.errors import KplanError
from kplan.kinds.subject.io.client import RegistryError, error_line, json_body, level_of
from kplan.kinds.subject.live import LiveSubject
from kplan.kinds.subject.model import SchemaReference, SubjectSpec
from kplan.transport.http import RestClient
from kplan.transport.http import rest_path as path

READ_WORKERS = 8
UNREACHABLE = "unreachable"  # the start of `problem` when the registry cannot be read at all


def get(http: RestClient, where: str, missing: tuple[int, ...] = (404,)) -> Any:
    """The JSON answer to `GET where`; None for a status in `missing`; a RegistryError for another error."""
    r = http.request("GET", where)
    if r.status_code in missing:
        return None
    if r.status_code != 200:
        raise RegistryError(error_line(http, "GET", where, r))
    return json_body(http, r)


def subject_levels(http: RestClient, name: str) -> tuple[str | None, str | None]:
    """(the subject's own level or None, the level in effect)."""
    own = level_of(get(http, path("config", name)))
    effective = level_of(get(http, path("config", name, query={"defaultToGlobal": "true"})))
    if own == "NONE" and effective not in (None, "NONE"):  # Apicurio's answer for "no own level"
        own = None
    return own, effective or own


def read_subject(http: RestClient, name: str) -> LiveSubject | None:
    """One subject as it is now; None when it does not exist (or only soft-deleted)."""
    latest = get(http, path("subjects", name, "versions", "latest"))
    if not isinstance(latest, dict):
        return None
    versions = get(http, path("subjects", name, "versions")) or []
    own, effective = subject_levels(http, name)
    version = int(latest["version"])
    return LiveSubject(name=name, version=version, schema=str(latest.get("schema") or ""),
                       schema_type=str(latest.get("schemaType") or "AVRO").upper(),
                       references=tuple(SchemaReference(str(d.get("name")), str(d.get("subject")),
                                                        None if d.get("version") is None else int(d["version"]))
                                        for d in latest.get("references") or () if isinstance(d, dict)),
                       schema_id=int(latest["id"]) if latest.get("id") is not None else None,
                       versions=tuple(sorted(int(v) for v in versions)) or (version,),
                       compatibility=own, effective_compatibility=effective)


class RegistryRead:
    """The plan's reads of one schema registry (`registry` None: the stack names none, and nothing is read)."""

    def __init__(self, registry: RestClient | None):
        self.registry = registry

    def subject_names(self) -> list[str]:
        """Every subject the registry lists (not the soft-deleted ones; [] without a registry): `kplan import`.
        KplanError when it cannot."""
        if self.registry is None:
            return []
        return sorted(str(n) for n in get(self.registry, path("subjects"), missing=()) or ())

    def read_subjects(self, names: Iterable[str]) -> tuple[dict[str, LiveSubject], str | None, str | None]:
        """(subject -> its live state for those of `names` that exist, the registry's global level, problem):
        `problem` is one line saying why the registry cannot be read at all (`unreachable: ...`), then nothing is
        (a few GETs per subject, concurrently; only the subjects a stack declares or owns)."""
        http, names = self.registry, sorted(set(names))
        if http is None:
            return {}, None, None
        try:
            global_level = level_of(get(http, path("config"), missing=()))
            if not names:
                return {}, global_level, None
            with ThreadPoolExecutor(max_workers=min(READ_WORKERS, len(names))) as pool:
                found = dict(zip(names, pool.map(lambda n: read_subject(http, n), names)))
        except KplanError as e:  # no answer (RestUnavailable), refused credentials, an error answer
            return {}, None, f"{UNREACHABLE}: {e}"
        return {n: s for n, s in found.items() if s is not None}, global_level, None

    def declared_versions(self, specs: Iterable[SubjectSpec], live: Mapping[str, LiveSubject]) -> dict[str, int]:
        """subject -> the live version that holds the declared schema by the registry's own judgement (its lookup,
        with `normalize`), for the declared subjects whose latest version kplan's canonical form finds different
        (nothing is asked for the others). The latest: the registry normalizes them alike, so there is nothing to
        register. An earlier one: registries do not register a schema a subject already has, so it cannot be made
        the latest again by registering it (kplan.kinds.subject.kind shows it as drift)."""
        from kplan.kinds.subject.schemas import same_schema

        http = self.registry
        if http is None:
            return {}
        asked = [s for s in specs if s.name in live and not (
            live[s.name].schema_type == s.schema_type and same_schema(s.schema_type, live[s.name].schema, s.schema))]
        if not asked:
            return {}

        def lookup(spec: SubjectSpec) -> int | None:
            current = live[spec.name]
            by_name = {r.name: r.version for r in current.references}
            refs = [{"name": r.name, "subject": r.subject, "version": r.version or by_name.get(r.name)}
                    for r in spec.references]
            if any(r["version"] is None for r in refs):
                return None  # a reference the latest version does not have: that schema cannot be there as it is
            body = {"schema": spec.schema, "schemaType": spec.schema_type, "references": refs}
            try:
                r = http.request("POST", path("subjects", spec.name, query={"normalize": "true"}), json=body)
            except KplanError:
                return None
            return int(json_body(http, r)["version"]) if r.status_code == 200 else None

        with ThreadPoolExecutor(max_workers=min(READ_WORKERS, len(asked))) as pool:
            found = dict(zip((s.name for s in asked), pool.map(lookup, asked)))
        return {n: v for n, v in found.items() if v is not None}
