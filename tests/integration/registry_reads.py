"""Every registry read that tells whether a rollback left the schema registry exactly as before: the subjects
with a prefix (soft-deleted ones included), each one's versions (soft-deleted ones included) and the raw answer
to `GET /config/<subject>` (its status and level: 404 is "no such subject", not "no own level")."""

from __future__ import annotations

import requests

CT = {"Content-Type": "application/vnd.schemaregistry.v1+json"}


def _get(url: str, path: str) -> tuple[int, object]:
    r = requests.get(url + path, headers=CT, timeout=30)
    return r.status_code, (r.json() if r.content else None)


def registry_state(url: str, prefix: str) -> dict:
    """{"subjects": the names with `prefix` that `GET /subjects?deleted=true` lists, "versions": subject -> the
    status and body of `GET /subjects/S/versions?deleted=true`, "config": subject -> (status, level)}."""
    code, listed = _get(url, "/subjects?deleted=true")
    assert code == 200, f"GET /subjects?deleted=true answered {code}: {listed}"
    names = sorted(s for s in listed if s.startswith(prefix))
    versions, config = {}, {}
    for s in names:
        versions[s] = list(_get(url, f"/subjects/{s}/versions?deleted=true"))
        c, body = _get(url, f"/config/{s}")
        config[s] = [c, (body.get("compatibilityLevel") or body.get("compatibility")) if c == 200 else None]
    return {"subjects": names, "versions": versions, "config": config}


def config_answer(url: str, subject: str) -> list:
    """(status, level) of `GET /config/<subject>`, also for a subject the listing no longer has."""
    c, body = _get(url, f"/config/{subject}")
    return [c, (body.get("compatibilityLevel") or body.get("compatibility")) if c == 200 else None]
