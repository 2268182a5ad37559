"""Connectors: v1 a FileStreamSource writing to a topic of the stack, with a password in its config (the canary);
v2 changes its file and adds a paused FileStreamSink. Read through Connect's REST API directly (config and state),
not kplan's reader."""

from __future__ import annotations

import requests
from conformance import CANARY_VAR, Ctx, KindFixture

SOURCE = "org.apache.kafka.connect.file.FileStreamSourceConnector"
SINK = "org.apache.kafka.connect.file.FileStreamSinkConnector"


def sections(ctx: Ctx, version: int) -> dict:
    p = ctx.prefix
    (ctx.tmp / "in-1.txt").touch()
    (ctx.tmp / "in-2.txt").touch()
    source = {"name": f"{p}-src", "class": SOURCE, "tasks_max": 1,
              "config": {"file": str(ctx.tmp / f"in-{version}.txt"), "topic": f"{p}.t",
                         "my.app.password": "${secret:env:" + CANARY_VAR + "}"}}
    connectors = [source]
    if version == 2:
        connectors.append({"name": f"{p}-sink", "class": SINK, "tasks_max": 1, "state": "paused",
                           "config": {"file": str(ctx.tmp / "out.txt"), "topics": f"{p}.t",
                                      "my.app.password": "${secret:env:" + CANARY_VAR + "}"}})
    return {"topics": [{"name": f"{p}.t", "partitions": 1, "replication_factor": 1}], "connectors": connectors}


def read(ctx: Ctx) -> dict:
    body = requests.get(f"{ctx.connect_url}/connectors?expand=info&expand=status", timeout=30).json()
    return {n: {"config": c["info"]["config"], "state": (c.get("status") or {}).get("connector", {}).get("state")}
            for n, c in sorted(body.items()) if n.startswith(ctx.prefix)}


def orphan(ctx: Ctx, name: str) -> str:
    r = requests.put(f"{ctx.connect_url}/connectors/{name}/config", timeout=60, json={
        "connector.class": SINK, "tasks.max": "1", "topics": f"{ctx.prefix}.t", "file": str(ctx.tmp / "orphan.txt")})
    assert r.status_code in (200, 201), r.text
    return f"connector.{name}"


def drop_orphan(ctx: Ctx, name: str) -> None:
    r = requests.delete(f"{ctx.connect_url}/connectors/{name}", timeout=60)
    assert r.status_code in (200, 204), r.text


FIXTURE = KindFixture(
    kind="connector", section="connectors", sections=sections, read=read, orphan=orphan, drop_orphan=drop_orphan,
    secret="config.my.app.password", imported=("connectors", "topics"),
)
