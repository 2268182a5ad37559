"""Kafka Connect's offsets API (KIP-875, Kafka 3.6+), the offsets kind's requests and the connector kind's delete:
the read for a plan (`GET /connectors/<name>/offsets`, only for the connectors whose declared offsets request is
pending, kplan.kinds.offsets.pending, never for all), and the writes `ConnectWriter` makes with its own retried
call (`reset_offsets`: DELETE; `alter_offsets`: PATCH; each verified by reading the offsets back), as
`kplan.cluster.restart` does a restart."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Iterable, Mapping, Sequence

from kplan.errors import WriteError
from kplan.transport.http import rest_path

# Connect's answer to an offsets change while the connector's stop has not reached every worker yet
_NOT_STOPPED_YET = "must be in the STOPPED state"
Call = Callable[..., Any]  # ConnectWriter._call: (method, path, what, ok, json=, transient_400=) -> the answer


def read_offsets(connect, names: Iterable[str]) -> dict[str, list[dict]]:
    """connector -> its offsets ([{"partition": {...}, "offset": {...}}]); a connector Connect no longer knows
    (deleted meanwhile: 404) is left out. A few connectors at a time, concurrently."""
    names = sorted(set(names))
    if connect is None or not names:
        return {}

    def one(name: str):
        body = connect.get_json(_path(name), ok=(200, 404))
        if not isinstance(body, dict) or "offsets" not in body:
            return name, None
        return name, [dict(o) for o in body.get("offsets") or []]

    with ThreadPoolExecutor(max_workers=min(4, len(names))) as pool:
        return {n: o for n, o in pool.map(one, names) if o is not None}


def offsets_of(call: Call, name: str) -> list[dict]:
    """The connector's offsets: [{"partition": {...}, "offset": {...}}, ...]."""
    r = call("GET", _path(name), f"reading connector {name}'s offsets", (200,))
    return [dict(o) for o in (r.json() or {}).get("offsets") or []]


def reset_offsets(call: Call, name: str, timeout_s: float) -> None:
    """Delete every offset of a STOPPED connector, so that it starts from scratch when it runs again (a Debezium
    source takes a new snapshot); verified by reading them back."""
    call("DELETE", _path(name), f"resetting connector {name}'s offsets", (200,), transient_400=_NOT_STOPPED_YET)
    _wait(call, name, [], f"connector {name}'s offsets were not reset", timeout_s)


def alter_offsets(call: Call, name: str, offsets: Sequence[Mapping], timeout_s: float) -> None:
    """Write offsets of a STOPPED connector back (each partition's offset as given); verified by reading them back."""
    body = {"offsets": [dict(o) for o in offsets]}
    call("PATCH", _path(name), f"restoring connector {name}'s offsets", (200,), json=body,
         transient_400=_NOT_STOPPED_YET)
    _wait(call, name, offsets, f"connector {name}'s offsets were not restored", timeout_s)


def _path(name: str) -> str:
    return rest_path("connectors", name, "offsets")


def _wait(call: Call, name: str, want: Sequence[Mapping], failure: str, timeout_s: float) -> None:
    def key(o: Mapping) -> str:
        return json.dumps(o, sort_keys=True)

    want_keys = sorted(key(o) for o in want)
    deadline = time.monotonic() + max(10.0, timeout_s)
    while True:
        have = offsets_of(call, name)
        have_keys = sorted(key(o) for o in have)
        if (have_keys == want_keys) if not want else set(want_keys) <= set(have_keys):
            return
        if time.monotonic() > deadline:
            raise WriteError(f"{failure} (Connect shows {len(have)} partition offset(s))")
        time.sleep(0.2)
