"""`--wait-for-cluster DURATION`: wait until Kafka answers and Kafka Connect is healthy, then let the command go on.

kplan as an init container starts beside the cluster it configures, so the broker and the Connect worker may not
be up yet. Rather than fail at its first request, the command waits, up to a deadline the user gives, until:

- Kafka answers a real round trip (a describe-cluster request listing at least one broker) made with the stack's
  own client settings, so a secured listener is waited for the way kplan will use it (TLS, SASL);
- Kafka Connect, when the stack names a worker, says it is healthy: `GET /health` answers 200 (KIP-1017, Kafka
  3.9+); a worker without that resource (404) counts as healthy once `GET /` and `GET /connectors` answer 200.

Whatever else happens meanwhile (nothing listens yet, the broker refuses the login because its users are not
created yet, Connect answers 503 while it starts) is "not yet": it is shown as the reason on the progress line and
waited out. Only the deadline ends the wait, with `ClusterNotReady` (exit code `EXIT_NOT_READY`) naming what did
not answer and its last reason. A client setting librdkafka refuses outright is a configuration error (exit 1).

The I/O is two probes (`kafka_check`, `connect_check`); the loop (`wait_until_ready`) takes them, a clock and a
sleep, and the wording (`progress_line`, `timeout_message`, `format_seconds`) is pure, so both are unit-tested
without a cluster.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Callable, Sequence

from kplan.errors import KplanError
from kplan.transport.reach import shortened

EXIT_NOT_READY = 4  # one of kplan.exiting.EXIT_CODES
PROBE_MAX_S = 5.0  # the longest one probe may take (the deadline bounds it too)
PAUSE_S = 1.0  # between two rounds of probes
PRINT_EVERY_S = 5.0  # without a terminal: one progress line this often
_REASON_MAX = 90


class ClusterNotReady(KplanError):
    """The deadline of --wait-for-cluster passed before everything answered."""

    def __init__(self, message: str):
        super().__init__(message, exit_code=EXIT_NOT_READY)


@dataclass(frozen=True)
class Check:
    """One system to wait for. `probe(seconds)` returns None when the system answered as it must, else the reason
    it did not (a short phrase), within about `seconds`."""

    name: str  # "Kafka", "Kafka Connect"
    where: str  # its address as shown to the user (no credentials)
    probe: Callable[[float], str | None]


@dataclass(frozen=True)
class Pending:
    """A check that has not passed yet, with the reason its last probe gave."""

    name: str
    where: str
    reason: str


# -- the pure parts: wording --------------------------------------------------------------------------------------

def format_seconds(seconds: float) -> str:
    """`95` -> `1m35s`, `120` -> `2m`, `42.3` -> `43s` (rounded up: never claims less time than is left)."""
    s = max(0, math.ceil(seconds - 1e-9))
    if s < 60:
        return f"{s}s"
    m, rest = divmod(s, 60)
    if m < 60:
        return f"{m}m{rest}s" if rest else f"{m}m"
    h, m = divmod(m, 60)
    return f"{h}h{m}m" if m else f"{h}h"


def progress_line(pending: Sequence[Pending], remaining_s: float) -> str:
    """`waiting for the cluster, 1m35s left: Kafka at host:9092 (connection refused), Kafka Connect at http://...
    (503: starting)` — the time first, so that a terminal's width cuts a reason rather than it."""
    parts = [f"{p.name} at {p.where} ({shortened(p.reason, _REASON_MAX)})" for p in pending]
    return f"waiting for the cluster, {format_seconds(remaining_s)} left: {', '.join(parts)}"


def timeout_message(pending: Sequence[Pending], waited_s: float) -> str:
    """The one line when the deadline passed: what did not answer, and its last reason."""
    parts = [f"{p.name} at {p.where} ({shortened(p.reason, _REASON_MAX)})" for p in pending]
    verb = "was" if len(pending) == 1 else "were"
    return (f"the cluster was not ready within {format_seconds(waited_s)} (--wait-for-cluster): "
            f"{' and '.join(parts)} {verb} not ready")


class Progress:
    """The progress line on stderr: rewritten in place on a terminal, else printed again every PRINT_EVERY_S, and at
    once when what is waited for changes (`waiting_for`: Kafka answered, Connect not yet), so that a log shows each
    step however quickly the next one follows."""

    def __init__(self, write: Callable[[str], None], tty: bool, width: int = 120,
                 clock: Callable[[], float] = time.monotonic):
        self.write, self.tty, self.width, self.clock = write, tty, max(20, width), clock
        self._last_print: float | None = None
        self._waiting_for: object = None
        self._shown = False

    def update(self, line: str, waiting_for: object = None) -> None:
        if self.tty:
            self.write("\r" + line[:self.width - 1] + "\x1b[K")
            self._shown = True
            return
        now = self.clock()
        changed = waiting_for != self._waiting_for
        if self._last_print is None or changed or now - self._last_print >= PRINT_EVERY_S - 1e-6:
            self._last_print, self._waiting_for = now, waiting_for
            self.write(line + "\n")

    def done(self, line: str | None = None) -> None:
        """Ends the progress line: on a terminal it is replaced by `line` (or cleared)."""
        if self.tty and self._shown:
            self.write("\r\x1b[K")
        if line:
            self.write(line + "\n")


# -- the loop ------------------------------------------------------------------------------------------------------

def wait_until_ready(checks: Sequence[Check], duration_s: float, progress: Progress, *,
                     clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep) -> float:
    """Probe every check not yet passed, round after round, until all have passed (returns the seconds waited) or
    `duration_s` has passed (raises ClusterNotReady). A check that passed is not probed again. Kafka comes first:
    Connect keeps its state in Kafka and cannot be healthy without it."""
    start = clock()
    deadline = start + duration_s
    waiting: list[Check] = list(checks)
    reasons: dict[str, str] = {c.name: "not asked yet" for c in checks}
    first_round = True
    while True:
        still: list[Check] = []
        for check in waiting:
            left = deadline - clock()
            if left <= 0:
                still.append(check)
                continue
            reason = check.probe(min(PROBE_MAX_S, left))
            if reason is None:
                continue
            reasons[check.name] = reason
            still.append(check)
        waiting = still
        now = clock()
        if not waiting:
            if not first_round:
                progress.done(f"{' and '.join(c.name for c in checks)} ready after {format_seconds(now - start)}")
            return now - start
        pending = [Pending(c.name, c.where, reasons[c.name]) for c in waiting]
        if now >= deadline:
            progress.done()
            raise ClusterNotReady(timeout_message(pending, duration_s))
        progress.update(progress_line(pending, deadline - now), tuple(p.name for p in pending))
        first_round = False
        sleep(min(PAUSE_S, max(0.0, deadline - now)))


# -- the I/O: probes of the real systems ----------------------------------------------------------------------------

def wait_for_cluster(cluster, secrets, duration_s: float) -> float:
    """Wait (see the module's docstring) for the stack's Kafka and, if it names one, its Connect worker; progress on
    stderr. Returns the seconds waited; raises ClusterNotReady at the deadline."""
    import shutil
    import sys

    tty = bool(getattr(sys.stderr, "isatty", lambda: False)())

    def write(text: str) -> None:
        sys.stderr.write(text)
        sys.stderr.flush()

    progress = Progress(write, tty, shutil.get_terminal_size((120, 24)).columns)
    checks, close = cluster_checks(cluster, secrets)
    try:
        return wait_until_ready(checks, duration_s, progress)
    finally:
        close()


def cluster_checks(cluster, secrets) -> tuple[list[Check], Callable[[], None]]:
    """The checks for a stack's cluster (Kafka, then Connect when it has one) and how to close their clients."""
    made = [c for c in (kafka_check(cluster, secrets), connect_check(cluster, secrets)) if c is not None]

    def close() -> None:
        for _, closer in made:
            closer()

    return [check for check, _ in made], close


def kafka_check(cluster, secrets) -> tuple[Check, Callable[[], None]]:
    """Kafka answers when a describe-cluster request made with the stack's client settings lists a broker. One
    admin client serves every round, reconnecting quickly (librdkafka's reconnect backoff would otherwise grow to
    10 s between attempts)."""
    from kplan.transport.kafka import admin_client, dispose, tcp_reason

    errors: list = []
    admin = admin_client(cluster, secrets, errors,
                         overrides={"reconnect.backoff.ms": 100, "reconnect.backoff.max.ms": 1000})

    def probe(seconds: float) -> str | None:
        listening = tcp_reason(cluster.bootstrap_servers, min(seconds, 2.0))
        if listening is not None:
            return listening
        errors.clear()
        seconds = max(seconds, 0.5)  # the deadline's last instant still makes a real request
        try:
            desc = admin.describe_cluster(request_timeout=seconds).result(timeout=seconds + 1)
        except Exception as e:  # noqa: BLE001 - any failure is "not yet"; the reason is shown
            try:
                admin.poll(0)  # hands librdkafka's own reports (a refused login) to error_cb
            except Exception:  # noqa: BLE001 - nothing more to learn
                pass
            return _kafka_reason(e, errors, seconds)
        return None if desc.nodes else "no broker listed yet"

    return Check("Kafka", cluster.bootstrap_servers, probe), lambda: dispose(admin)


def _kafka_reason(exc: BaseException, reported: Sequence, seconds: float) -> str:
    from kplan.transport.kafka import describe_kafka_error

    for err in reversed(list(reported)):
        name = err.name() if hasattr(err, "name") else ""
        if name == "_AUTHENTICATION":
            return f"authentication failed: {err.str()}"
        if name == "_SSL":
            return f"TLS handshake failed: {err.str()}"
    if isinstance(exc, TimeoutError) or not str(exc):
        return f"no answer within {format_seconds(seconds)}"
    return describe_kafka_error(exc)


def connect_check(cluster, secrets) -> tuple[Check, Callable[[], None]] | None:
    """Connect is healthy when `GET /health` answers 200; a worker older than KIP-1017 (404 there) when `GET /`
    and `GET /connectors` answer 200. None when the stack names no Connect worker."""
    from kplan.transport.connect import connect_client
    from kplan.transport.http import RestUnavailable, error_message

    http = connect_client(cluster, secrets, timeout_s=PROBE_MAX_S)
    if http is None:
        return None

    def get(path: str, seconds: float):
        try:
            return http.request("GET", path, timeout=seconds), None
        except RestUnavailable as e:
            text = str(e)
            if "refused" in text:
                return None, "connection refused"
            if "within" in text or "did not answer" in text:
                return None, f"no answer within {format_seconds(seconds)}"
            return None, text
        except KplanError as e:  # 401/403 or TLS: Connect answers, but not to kplan (yet): shown, waited out
            return None, str(e)

    def probe(seconds: float) -> str | None:
        r, reason = get("/health", seconds)
        if r is None:
            return reason
        if r.status_code == 200:
            return None
        if r.status_code != 404:
            return f"{r.status_code}: {error_message(r)}"
        for path in ("/", "/connectors"):  # a worker without /health
            r, reason = get(path, seconds)
            if r is None:
                return reason
            if r.status_code != 200:
                return f"{r.status_code} to GET {path}: {error_message(r)}"
        return None

    return Check("Kafka Connect", http.shown_url, probe), http.close
