"""Connectors: v1 a FileStreamSource writing to a topic of the stack, with a password in its config (the canary);
v2 changes its file and adds a paused FileStreamSink. Read through Connect's REST API directly (config and state),
not kplan's reader.

A mirror's promises need two clusters (a mirror of a cluster into itself is refused), so the mirrors' tests check
them, on the test process's second cluster, with the kit's functions: what a mirror made (its replicas, also one it
no longer updates) is never an orphan, and the rights MirrorMaker's login lacks are an error whatever its group's
state."""

from __future__ import annotations

import requests
from conformance import (
    CANARY_VAR,
    Ctx,
    Elsewhere,
    KindFixture,
    NotApplicable,
    named_whatever_the_group,
    never_orphans,
)

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
    made=Elsewhere("tests/integration/test_mirrors_cluster.py::"
                   "test_a_replica_the_mirror_stopped_updating_is_never_an_orphan_nor_pruned", never_orphans),
    rights=Elsewhere("tests/integration/test_mirrors_cluster.py::"
                     "test_the_plan_names_the_rights_mirrormakers_principal_lacks_asked_as_it",
                     named_whatever_the_group),
    again=NotApplicable("a connector's offsets request is the offsets kind's (which keeps this promise)"),
    saved=NotApplicable("a connector's offsets request is the offsets kind's (which keeps this promise)"),
)
