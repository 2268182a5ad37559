"""Run the real `kplan` command line and count what it asks of the systems it talks to (the request budget,
tests/integration/test_request_budget.py; bench/README.md, The request budget).

    python tests/integration/counting_kplan.py --out FILE [--polls SITE,...] -- KPLAN-ARGS...

Counted through the clients' own entry points, installed before kplan is imported (nothing in kplan knows):
- Kafka: every call kplan makes on a confluent-kafka admin client (`list_topics`, `describe_configs`, ...: one
  request each as kplan asks it; what librdkafka adds itself, its connections' ApiVersions and metadata refreshes,
  is not kplan's to budget), a producer's `produce`, a consumer's creation (`consumer`: a read of kplan's own records
  or of offsets) and its offset requests (`get_watermark_offsets`, `committed`, `offsets_for_times`,
  `list_topics`); a request of kplan's own Kafka client (kplan.transport.wire, by its API key);
- Connect and the schema registry: every HTTP request (`GET /connectors/{}` : the method and the path with each
  name-like segment as `{}`);
- databases: every connection opened (`psycopg.connect`, `pymysql.connect`);
- sleeps: every `time.sleep` called from kplan's code, with the seconds.

Each is keyed by its site, the innermost frame of kplan's code that asked, the plumbing's (kplan/transport) left
out (`module:qualified function`), so that a new request or wait is a new site. A call made within one of the
`--polls` sites (a function that asks until the cluster shows what it waits for) is counted as `SITE <- POLL`.
FILE receives {"counts": {site: {what: n}}, "slept_s": total} as JSON at exit.
"""

from __future__ import annotations

import atexit
import json
import re
import sys
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
KPLAN = str(ROOT / "kplan") + "/"
TRANSPORT = KPLAN + "transport/"

_lock = threading.Lock()
counts: dict[str, Counter] = defaultdict(Counter)
polls: frozenset[str] = frozenset()
slept = [0.0]
# Kafka's API keys kplan's own Kafka client sends (kplan/transport/wire: its own codec's and kafka-python's messages)
API_KEYS = {3: "Metadata", 9: "OffsetFetch", 10: "FindCoordinator", 16: "ListGroups", 17: "SaslHandshake",
            18: "ApiVersions", 32: "DescribeConfigs", 36: "SaslAuthenticate", 44: "IncrementalAlterConfigs",
            45: "AlterPartitionReassignments", 46: "ListPartitionReassignments", 48: "DescribeClientQuotas",
            49: "AlterClientQuotas", 74: "ListConfigResources", 77: "ShareGroupDescribe",
            90: "DescribeShareGroupOffsets", 91: "AlterShareGroupOffsets", 92: "DeleteShareGroupOffsets"}


def sites() -> tuple[list[str], list[str]]:
    """The frames of kplan's code on the calling thread's stack, innermost first, each `module:qualified function`:
    those but the kit's (kplan/transport: the clients, retries, the deadlines' guard; the first is the site, who
    asked, not how it was carried), and all of them (a poll may be the kit's: Connect's wait for a state)."""
    out, every = [], []
    frame = sys._getframe(2)
    while frame is not None:
        path = frame.f_code.co_filename
        if path.startswith(KPLAN):
            module = path[len(str(ROOT)) + 1:-3].replace("/", ".")
            every.append(f"{module}:{frame.f_code.co_qualname}")
            if not path.startswith(TRANSPORT):
                out.append(every[-1])
        frame = frame.f_back
    return out, every


def record(what: str, seconds: float = 0.0) -> None:
    chain, every = sites()
    if chain:
        poll = next((c for c in every if c in polls and c != chain[0]), None)
        with _lock:
            counts[chain[0] if poll is None else f"{chain[0]} <- {poll}"][what] += 1
            slept[0] += seconds


def _path_shape(url: str) -> str:
    """The path with every segment that names something (a connector, a subject, a version) as {}."""
    path = re.sub(r"^https?://[^/]+", "", url).split("?", 1)[0]
    fixed = {"connectors", "connector-plugins", "config", "status", "offsets", "tasks", "restart", "pause", "resume",
             "stop", "validate", "topics", "subjects", "versions", "schemas", "ids", "compatibility", "mode",
             "apis", "ccompat", "v7", "latest", "health", "reset", "expand", "info"}
    return "/".join(s if s in fixed or not s else "{}" for s in path.split("/")) or "/"


def install() -> None:
    for count in (_confluent_kafka, _wire, _http, _databases, _sleeps):
        count()


def _confluent_kafka() -> None:
    import confluent_kafka
    import confluent_kafka.admin

    admin_cls = confluent_kafka.admin.AdminClient
    for name in [n for n in dir(admin_cls) if not n.startswith("_") and callable(getattr(admin_cls, n))]:
        if name in ("poll", "set_sasl_credentials"):
            continue
        original = getattr(admin_cls, name)

        def counted(self, *args, _original=original, _name=name, **kwargs):
            record(f"kafka {_name}")
            return _original(self, *args, **kwargs)

        setattr(admin_cls, name, counted)

    class Producer(confluent_kafka.Producer):
        def produce(self, *args, **kwargs):
            record("kafka produce")
            return super().produce(*args, **kwargs)

    base = confluent_kafka.Consumer

    class Consumer(base):
        def __init__(self, *args, **kwargs):
            record("kafka consumer")
            super().__init__(*args, **kwargs)

    for name in ("get_watermark_offsets", "committed", "offsets_for_times", "list_topics"):
        def counted_call(self, *args, _name=name, **kwargs):
            record(f"kafka consumer {_name}")
            return getattr(base, _name)(self, *args, **kwargs)

        setattr(Consumer, name, counted_call)
    confluent_kafka.Producer, confluent_kafka.Consumer = Producer, Consumer


def _wire() -> None:
    from kplan.transport.wire import connection

    wire_send = connection.Connection.send

    def counted_wire(self, frame: bytes) -> None:
        key = int.from_bytes(frame[4:6], "big")
        record(f"wire {API_KEYS.get(key, key)}")
        return wire_send(self, frame)

    connection.Connection.send = counted_wire


def _http() -> None:
    """Connect and the registry: an answer that says "not now" (kplan.transport.http.MOMENTARY: a rebalance, a
    registry busy) is the system's, asked again by kplan: counted apart, as `retried`, and not budgeted."""
    from kplan.transport import http_session
    from kplan.transport.http import MOMENTARY

    http_send = http_session.Session._send

    def counted_http(self, method, url, *args, **kwargs):
        response = http_send(self, method, url, *args, **kwargs)
        again = " (retried)" if response.status_code in MOMENTARY else ""
        record(f"http {method} {_path_shape(url)}{again}")
        return response

    http_session.Session._send = counted_http


def _databases() -> None:
    for module in ("psycopg", "pymysql"):
        try:
            mod = __import__(module)
        except ImportError:
            continue
        connect = mod.connect

        def counted_connect(*args, _connect=connect, _module=module, **kwargs):
            record(f"db {_module}.connect")
            return _connect(*args, **kwargs)

        mod.connect = counted_connect


def _sleeps() -> None:
    real_sleep = time.sleep

    def counted_sleep(seconds):
        record("sleep", seconds)
        return real_sleep(seconds)

    time.sleep = counted_sleep


def dump(path: str) -> None:
    with _lock:
        doc = {"counts": {s: dict(sorted(c.items())) for s, c in sorted(counts.items())}, "slept_s": round(slept[0], 3)}
    Path(path).write_text(json.dumps(doc, indent=1) + "\n")


def main(argv: list[str]) -> None:
    global polls
    if "--" not in argv or argv[:1] != ["--out"]:
        raise SystemExit("usage: counting_kplan.py --out FILE [--polls SITE,...] -- KPLAN-ARGS...")
    out = argv[1]
    if argv[2:3] == ["--polls"]:
        polls = frozenset(argv[3].split(","))
    install()
    atexit.register(dump, out)
    from kplan.cli import main as kplan_main

    kplan_main(argv[argv.index("--") + 1:])


if __name__ == "__main__":
    main(sys.argv[1:])
