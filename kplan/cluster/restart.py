"""Restarting a connector's FAILED instances through Connect and waiting until they run (ConnectWriter.restart_failed).

`POST /connectors/<name>/restart?includeTasks=true&onlyFailed=true` answers 202 with the instances it restarts
marked RESTARTING. The status read right after may still show the old FAILED (measured on the local stack, Kafka
4.3.1: FAILED at 12 ms, RESTARTING at 49 ms, FAILED again at 116 ms for a task that cannot start), so a FAILED
instance that was restarted counts as failed again only once it has been seen in another state since, or once
`STALE_S` have passed without that (a task that fails within one poll never shows RESTARTING to us).
"""

from __future__ import annotations

import time
from typing import Callable

from kplan.kinds.connector.restart import failure_line
from kplan.transport.http import rest_path

FAILED, RUNNING = "FAILED", "RUNNING"
STALE_S = 3.0  # how long a restarted instance's FAILED may be the status from before the restart
POLL_S = 0.2


def _instances(status: dict) -> dict[str, dict]:
    """"connector" and "task <id>" -> that instance's status."""
    out = {"connector": status.get("connector") or {}}
    out.update({f"task {t.get('id')}": t for t in status.get("tasks") or []})
    return out


def restart_failed(call: Callable, name: str, timeout_s: float, error: Callable[[str], Exception]) -> None:
    """Restart the failed instances of connector `name` and wait until the connector and all its tasks are
    RUNNING, at most `timeout_s`. `call(method, path, what, ok, expected=...)` is the writer's Connect request;
    `error(message)` makes the exception a failure raises (one line: the instance and its error)."""
    r = call("POST", rest_path("connectors", name, "restart", query={"includeTasks": "true", "onlyFailed": "true"}),
             f"restarting connector {name}'s failed instances", (202, 204, 200), expected=(404,))
    if r.status_code == 404:
        raise error(f"connector {name} does not exist")
    restarted = {k for k, v in _instances(r.json() if r.status_code == 202 else {}).items()
                 if v.get("state") == "RESTARTING"}
    seen_moving: set[str] = set()
    started = time.monotonic()
    deadline = started + timeout_s
    last = "no status yet"
    while True:
        s = call("GET", rest_path("connectors", name, "status"), f"reading connector {name}", (200,),
                 expected=(404,))
        if s.status_code == 404:
            raise error(f"connector {name} was deleted while it restarted")
        status = s.json()
        inst = _instances(status)
        for key, v in inst.items():
            state = v.get("state")
            if state != FAILED:
                seen_moving.add(key)
                continue
            stale = key in restarted and key not in seen_moving and time.monotonic() - started < STALE_S
            if not stale:
                raise error(f"connector {name} {key} FAILED again after its restart: "
                            f"{failure_line(v.get('trace', ''))}")
        tasks = status.get("tasks") or []
        if inst["connector"].get("state") == RUNNING and all(t.get("state") == RUNNING for t in tasks) and (
                tasks or time.monotonic() - started >= STALE_S):  # a connector may legitimately have no tasks
            return
        last = ", ".join(f"{k} {v.get('state')}" for k, v in inst.items())
        if time.monotonic() > deadline:
            raise error(f"connector {name} was restarted but is not RUNNING after {timeout_s:g}s ({last})")
        time.sleep(POLL_S)
