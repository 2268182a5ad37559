"""Schema registry subjects: v1 one Avro subject (version 1); v2 registers a compatible version 2 of it, sets its
compatibility level and adds a second subject. Read with the registry's own REST API (Confluent's, as Apicurio
serves it): each subject's versions (soft-deleted ones too) with their schemas, and its own compatibility level.
An orphan: a subject registered by hand under the claim."""

from __future__ import annotations

import json

import requests
from conformance import Ctx, KindFixture, NotApplicable

V1 = {"type": "record", "name": "Order", "namespace": "kit", "fields": [{"name": "id", "type": "string"}]}
V2 = {**V1, "fields": [*V1["fields"], {"name": "note", "type": ["null", "string"], "default": None}]}


def _names(ctx: Ctx) -> list[str]:
    return [f"{ctx.prefix}.orders-value", f"{ctx.prefix}.refunds-value"]


def sections(ctx: Ctx, version: int) -> dict:
    orders, refunds = _names(ctx)
    if version == 1:
        return {"subjects": [{"name": orders, "schema": V1, "type": "avro"}]}
    return {"subjects": [{"name": orders, "schema": V2, "type": "avro", "compatibility": "FULL"},
                         {"name": refunds, "schema": V1, "type": "avro"}]}


def _subject(ctx: Ctx, name: str) -> dict:
    base = f"{ctx.registry_url}/subjects/{name}"
    versions = requests.get(f"{base}/versions", params={"deleted": "true"}, timeout=30)
    if versions.status_code == 404:
        return {}
    out = {}
    for v in versions.json():
        body = requests.get(f"{base}/versions/{v}", params={"deleted": "true"}, timeout=30).json()
        out[str(v)] = json.loads(body["schema"])
    config = requests.get(f"{ctx.registry_url}/config/{name}", timeout=30)
    level = config.json().get("compatibilityLevel") if config.status_code == 200 else None
    return {"versions": out, "compatibility": level}


def read(ctx: Ctx) -> dict:
    return {name: _subject(ctx, name) for name in _names(ctx)}


def orphan(ctx: Ctx, name: str) -> str:
    subject = f"{name}-value"
    r = requests.post(f"{ctx.registry_url}/subjects/{subject}/versions", timeout=30, json={"schema": json.dumps(V1)},
                      headers={"Content-Type": "application/vnd.schemaregistry.v1+json"})
    assert r.status_code == 200, r.text
    return f"subject.{subject}"


def _delete(ctx: Ctx, subject: str) -> None:
    requests.delete(f"{ctx.registry_url}/subjects/{subject}", timeout=30)
    requests.delete(f"{ctx.registry_url}/subjects/{subject}", params={"permanent": "true"}, timeout=30)


def drop_orphan(ctx: Ctx, name: str) -> None:
    _delete(ctx, f"{name}-value")


def teardown(ctx: Ctx) -> None:
    """What a failed trial left (a passing one left nothing)."""
    for subject in _names(ctx):
        _delete(ctx, subject)


FIXTURE = KindFixture(
    kind="subject", section="subjects", sections=sections, read=read,
    orphan=orphan, drop_orphan=drop_orphan, teardown=teardown,
    imported=("subjects",), import_args=lambda ctx: ["--schema-registry", ctx.registry_url],
    secret=NotApplicable("a subject holds schemas and a compatibility level: nothing secret"),
)
