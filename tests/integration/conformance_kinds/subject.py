"""Schema registry subjects: v1 one Avro subject (version 1); v2 registers a compatible version 2 of it, sets its
compatibility level and adds a second subject. Read with the registry's own REST API (Confluent's, as Apicurio
serves it): each subject's versions (soft-deleted ones too) with their schemas, and its own compatibility level.
An orphan: a subject registered by hand under the claim. The stack deletes subjects permanently
(`schema_registry.delete: permanent`): kplan's default soft delete keeps a destroyed subject's versions listed
(`versions?deleted=true`), by design, so only the permanent one can leave the registry as before."""

from __future__ import annotations

import json

import requests
from conformance import Ctx, KindFixture, NotApplicable


def _v1(ctx: Ctx) -> dict:
    """The kit's schema, of the trial's own (its doc names the trial's stack, which the kit's reads say as {P}):
    the kit's trials run at once, and Apicurio 3.0.9 can leave a version half-written when one client deletes for
    good the last version holding a schema while another registers that same schema (docs/systems-facts.md)."""
    return {"type": "record", "name": "Order", "namespace": "kit", "doc": ctx.prefix,
            "fields": [{"name": "id", "type": "string"}]}


def _v2(ctx: Ctx) -> dict:
    v1 = _v1(ctx)
    return {**v1, "fields": [*v1["fields"], {"name": "note", "type": ["null", "string"], "default": None}]}


def _names(ctx: Ctx) -> list[str]:
    return [f"{ctx.prefix}.orders-value", f"{ctx.prefix}.refunds-value"]


def sections(ctx: Ctx, version: int) -> dict:
    orders, refunds = _names(ctx)
    if version == 1:
        return {"subjects": [{"name": orders, "schema": _v1(ctx), "type": "avro"}]}
    return {"subjects": [{"name": orders, "schema": _v2(ctx), "type": "avro", "compatibility": "FULL"},
                         {"name": refunds, "schema": _v1(ctx), "type": "avro"}]}


def _subject(ctx: Ctx, name: str) -> dict:
    """Every version `versions?deleted=true` lists: its schema (None where Apicurio no longer serves it: the
    versions of a soft-deleted subject) and whether it is soft-deleted (not in the plain `versions`); the subject's
    own level (`GET /config/<subject>`)."""
    base = f"{ctx.registry_url}/subjects/{name}"
    listed = requests.get(f"{base}/versions", params={"deleted": "true"}, timeout=30)
    if listed.status_code == 404:
        return {}
    assert listed.status_code == 200, listed.text
    live = requests.get(f"{base}/versions", timeout=30)
    live_versions = live.json() if live.status_code == 200 else []
    out = {}
    for v in sorted(listed.json()):
        body = requests.get(f"{base}/versions/{v}", params={"deleted": "true"}, timeout=30)
        schema = json.loads(body.json()["schema"]) if body.status_code == 200 else None
        out[str(v)] = {"schema": schema, "deleted": v not in live_versions}
    config = requests.get(f"{ctx.registry_url}/config/{name}", timeout=30)
    level = config.json().get("compatibilityLevel") if config.status_code == 200 else None
    return {"versions": out, "compatibility": level}


def read(ctx: Ctx) -> dict:
    return {name: _subject(ctx, name) for name in _names(ctx)}


def orphan(ctx: Ctx, name: str) -> str:
    subject = f"{name}-value"
    r = requests.post(f"{ctx.registry_url}/subjects/{subject}/versions", timeout=30,
                      json={"schema": json.dumps(_v1(ctx))},
                      headers={"Content-Type": "application/vnd.schemaregistry.v1+json"})
    assert r.status_code == 200, r.text
    return f"subject.{subject}"


def _delete(ctx: Ctx, subject: str) -> None:
    requests.delete(f"{ctx.registry_url}/subjects/{subject}", timeout=30)
    requests.delete(f"{ctx.registry_url}/subjects/{subject}", params={"permanent": "true"}, timeout=30)


def drop_orphan(ctx: Ctx, name: str) -> None:
    _delete(ctx, f"{name}-value")


def setup(ctx: Ctx) -> None:
    """Deletes are permanent on this stack (destroy hard-deletes what it soft-deleted)."""
    ctx.cluster = {**ctx.cluster, "schema_registry": {**ctx.cluster["schema_registry"], "delete": "permanent"}}


def teardown(ctx: Ctx) -> None:
    """What a failed trial left (a passing one left nothing)."""
    for subject in _names(ctx):
        _delete(ctx, subject)


FIXTURE = KindFixture(
    kind="subject", section="subjects", sections=sections, read=read,
    orphan=orphan, drop_orphan=drop_orphan, setup=setup, teardown=teardown,
    imported=("subjects",), import_args=lambda ctx: ["--schema-registry", ctx.registry_url],
    secret=NotApplicable("a subject holds schemas and a compatibility level: nothing secret"),
)
