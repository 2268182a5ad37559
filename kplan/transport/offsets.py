"""Kafka Connect's offsets API (KIP-875, Kafka 3.6+), the offsets kind's requests and the connector kind's delete:
the follow-up reads of a plan (`read_offsets`: `GET /connectors/<name>/offsets`, only for the connectors whose
declared offsets request is pending, kplan.kinds.offsets.pending, or a mirror's source connector, never for all),
and the writes `kplan.transport.connect.ConnectWrites` makes with its own retried call (`reset_offsets`: DELETE;
`alter_offsets`: PATCH; each verified by reading the offsets back).

Connect changes a STOPPED connector's offsets only, and a sink's only once its tasks' consumers have left the
sink's consumer group: until then it answers 500 "... its tasks haven't stopped completely yet ... this operation
can be safely retried". A task that died without leaving stays a member until Kafka expels it after its session
timeout (45 s by default); one stuck in its work (that did not stop within the worker's graceful timeout) stays
until it ends or its max.poll.interval.ms passes. So while Connect answers that and the group has members, the
change waits for the group, saying so, for at most the members' session timeout more than the stack's timeout."""

from __future__ import annotations

import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping, Sequence

from kplan.errors import WriteError
from kplan.model.offsets import canonical
from kplan.transport.admin import poll
from kplan.transport.http import error_message, rest_path
from kplan.words import plural

# Connect's answer to an offsets change while the connector's stop has not reached every worker yet (400)
_NOT_STOPPED_YET = "must be in the STOPPED state"
# ... and while a sink task's consumer is still in the sink's group (500, Worker.resetSinkConnectorOffsets)
_TASKS_IN_GROUP = "haven't stopped completely yet"
SESSION_TIMEOUT_S = 45.0  # the consumer's session.timeout.ms unless the connector overrides it (Kafka 3.0+)
SESSION_KEY = "consumer.override.session.timeout.ms"
POLL_S = 0.5  # between two looks at the group
EVERY_S = 5.0  # between two progress lines
# ConnectWrites' retried call on one Connect cluster: (method, path, what, ok, json=, not_yet=) -> the answer
Call = Callable[..., Any]


@dataclass(frozen=True)
class SinkGroup:
    """The consumer group a sink's tasks join (kplan.rules.connect.sink_group_of), how long Kafka keeps
    a member that died without leaving (the connector's consumer session timeout), and its member count now."""

    name: str
    session_s: float
    members: Callable[[], int]


def session_timeout_s(config: Mapping[str, str]) -> float:
    """A sink's consumer session timeout: the connector's override, else Kafka's default (a worker-wide
    `consumer.session.timeout.ms` is not visible to kplan)."""
    try:
        return max(0.0, int(str(config.get(SESSION_KEY, "")).strip()) / 1000)
    except ValueError:
        return SESSION_TIMEOUT_S


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


def reset_offsets(call: Call, name: str, timeout_s: float, group: Callable[[], SinkGroup | None] = lambda: None
                  ) -> None:
    """Delete every offset of a STOPPED connector, so that it starts from scratch when it runs again (a Debezium
    source takes a new snapshot); verified by reading them back. `group()`: the sink's group, asked for once
    Connect says its tasks are still in it (None: not a sink, or not known)."""
    _change(call, name, "DELETE", "reset", None, timeout_s, group)
    _wait(call, name, [], f"connector {name}'s offsets were not reset", timeout_s)


def alter_offsets(call: Call, name: str, offsets: Sequence[Mapping], timeout_s: float,
                  group: Callable[[], SinkGroup | None] = lambda: None) -> None:
    """Write offsets of a STOPPED connector (each partition's offset as given: the declared ones, or those it had
    back); verified by reading them back. `group()`: as for `reset_offsets`."""
    _change(call, name, "PATCH", "set", {"offsets": [dict(o) for o in offsets]}, timeout_s, group)
    _wait(call, name, offsets, f"connector {name}'s offsets were not set", timeout_s)


def _path(name: str) -> str:
    return rest_path("connectors", name, "offsets")


def _change(call: Call, name: str, method: str, verb: str, body: Any, timeout_s: float,
            group_of: Callable[[], SinkGroup | None]) -> None:
    """The offsets request, sent again while Connect answers "not yet": within the stack's timeout; while Connect
    says a sink's tasks have not stopped completely and its group has members, until they are gone (a progress line
    every EVERY_S on stderr), at most their session timeout more — and once gone, within the stack's timeout."""
    what = f"{'resetting' if verb == 'reset' else 'setting'} connector {name}'s offsets"
    start = next_line = time.monotonic()
    deadline = start + timeout_s
    group: SinkGroup | None = None
    held = emptied = False
    while True:
        r = call(method, _path(name), what, (200,), json=body, not_yet=(_NOT_STOPPED_YET, _TASKS_IN_GROUP))
        if r.status_code == 200:
            return
        said = f"HTTP {r.status_code}: {error_message(r)}"
        if _TASKS_IN_GROUP in said:
            group = group or group_of()
        members = group.members() if group is not None and _TASKS_IN_GROUP in said else 0
        now = time.monotonic()
        if members and group is not None:
            held, deadline = True, max(deadline, start + timeout_s + group.session_s)
            still_in = plural(members, "member")
            if now + POLL_S > deadline:
                raise WriteError(
                    f"cannot {verb} connector {name}'s offsets: after {now - start:.0f}s its consumer group "
                    f"{group.name!r} still has {still_in}, longer than a task that died keeps its place (its "
                    f"session timeout, {group.session_s:g}s): a task of the connector still runs on a Connect worker "
                    "(stuck in its work, it leaves when that ends or its max.poll.interval.ms passes); restart that "
                    f"worker, or run again later (Connect said {said})")
            if now >= next_line:
                next_line = now + EVERY_S
                print(
                    f"connector {name}: Connect cannot {verb} its offsets yet: its consumer group {group.name!r} still "
                    f"has {still_in} (a task that has not stopped completely; Kafka expels one that died "
                    f"after its session timeout, {group.session_s:g}s); waiting ({now - start:.0f}s so far, at most "
                    f"{deadline - start:.0f}s)", file=sys.stderr, flush=True)
        elif held and not emptied:  # the members are gone: from now on Connect has the stack's timeout to agree
            emptied, deadline = True, now + timeout_s
        elif now + POLL_S > deadline:
            raise WriteError(f"{what}: still refused after {now - start:.0f}s: {said}")
        time.sleep(POLL_S)


def _wait(call: Call, name: str, want: Sequence[Mapping], failure: str, timeout_s: float) -> None:
    want_keys = sorted(canonical(o) for o in want)

    def problem() -> str | None:
        have = offsets_of(call, name)
        have_keys = sorted(canonical(o) for o in have)
        if (have_keys == want_keys) if not want else set(want_keys) <= set(have_keys):
            return None
        return f"{failure} (Connect shows {len(have)} partition offset(s))"

    poll(problem, max(10.0, timeout_s), delay=0.2, factor=1.0)
