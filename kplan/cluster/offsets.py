"""Reading connector offsets for a plan (Kafka Connect's offsets API, KIP-875): `GET /connectors/<name>/offsets`,
only for the connectors whose declared offsets request is pending (kplan.kinds.offsets.pending), never for all.
The writes (stop, DELETE/PATCH, verify) are the writer's (`ConnectWriter.reset_connector_offsets`,
`alter_connector_offsets`)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Iterable

from kplan.transport.http import rest_path


def read_offsets(connect, names: Iterable[str]) -> dict[str, list[dict]]:
    """connector -> its offsets ([{"partition": {...}, "offset": {...}}]); a connector Connect no longer knows
    (deleted meanwhile: 404) is left out. A few connectors at a time, concurrently."""
    names = sorted(set(names))
    if connect is None or not names:
        return {}

    def one(name: str):
        body = connect.get_json(rest_path("connectors", name, "offsets"), ok=(200, 404))
        if not isinstance(body, dict) or "offsets" not in body:
            return name, None
        return name, [dict(o) for o in body.get("offsets") or []]

    with ThreadPoolExecutor(max_workers=min(4, len(names))) as pool:
        return {n: o for n, o in pool.map(one, names) if o is not None}
