"""Reading many topics' configs: in this process, or — for thousands of topics — in worker processes.

`describe_configs` answers carry ~60 ConfigEntry objects per topic (33 configs and their synonyms), which the
client library builds in Python while holding the interpreter lock: at 10,000 topics that is most of a plan's
CPU time, and a thread cannot overlap it with loading the stack. Above `WORKER_THRESHOLD` topics the names are
split between worker processes (`python -m kplan.kinds.topic.io.describe`, one per core), each with its own admin
client; they send back only what the planner uses — overrides, effective values (identical ones shared), sensitive
keys.
The client settings, secrets included, go to a worker through its stdin pipe, never its command line or
environment. A worker that fails for any reason is not trusted: the names are read again in this process, which
reports the failure the usual way.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from sys import intern
from types import MappingProxyType
from typing import Any, Mapping

from kplan.errors import KplanError
from kplan.transport.kafka import describe_kafka_error

WORKER_THRESHOLD = 4000
MAX_WORKERS = 2
# A worker holds the answers of the requests it has in flight (~15 KB of ConfigEntry objects per topic until
# converted): 4 requests of DESCRIBE_CHUNK topics read as fast as 8 (measured at 5,000 topics per worker) in ~50
# MiB instead of ~58, which keeps kplan and its workers together under 250 MiB at 10,000 topics.
WORKER_IN_FLIGHT = 4

Configs = tuple[Mapping[str, str], Mapping[str, str], frozenset]  # overrides, effective, sensitive keys

DESCRIBE_CHUNK = 250
MAX_CHUNKS_IN_FLIGHT = 8


class TopicConfigConverter:
    """One topic's ConfigEntry map -> (overrides, effective, sensitive keys) as plain dicts; identical effective
    maps are one shared dict and strings are interned (thousands of topics mostly share their effective configs)."""

    def __init__(self):
        from confluent_kafka.admin import ConfigSource

        self._dynamic_topic = ConfigSource.DYNAMIC_TOPIC_CONFIG.value
        self._shared: dict[tuple, dict] = {}

    def __call__(self, entries) -> tuple[dict, dict, tuple]:
        overrides, effective, sensitive = {}, {}, []
        dynamic_topic = self._dynamic_topic
        for key, entry in entries.items():
            value = entry.value
            if entry.is_sensitive:
                sensitive.append(key)
            if value is None:
                continue
            key, value = intern(key), intern(value)
            effective[key] = value
            if entry.source == dynamic_topic:
                overrides[key] = value
        return overrides, self.share(effective), tuple(sensitive)

    def share(self, effective: dict) -> dict:
        """An identical effective map seen before, else this one (remembered)."""
        items = tuple(sorted(effective.items()))
        shared = self._shared.get(items)
        if shared is None:
            shared = self._shared[items] = effective
        return shared


def freeze_configs(plain: Mapping[str, tuple[dict, dict, tuple]]) -> dict[str, Configs]:
    """Read-only configs for the live model; a shared effective dict becomes one shared read-only view."""
    views: dict[int, Mapping] = {}
    frozen: dict[int, Configs] = {}  # one answer shared by many topics (the wire decoder's) is frozen once
    empty: frozenset = frozenset()
    out: dict[str, Configs] = {}
    for name, configs in plain.items():
        done = frozen.get(id(configs))
        if done is None:
            overrides, effective, sensitive = configs
            view = views.get(id(effective))
            if view is None:
                view = views[id(effective)] = MappingProxyType(effective)
            done = frozen[id(configs)] = (MappingProxyType(dict(sorted(overrides.items()))), view,
                                          frozenset(sensitive) if sensitive else empty)
        out[name] = done
    return out


def describe_plain(admin, names: list[str], timeout_s: float, who: str | None,
                   in_flight: int = MAX_CHUNKS_IN_FLIGHT,
                   conf: Mapping[str, Any] | None = None) -> dict[str, tuple[dict, dict, tuple]]:
    """The plain configs of `names`: through kplan's own wire client when the client settings `conf` are ones it
    speaks (kplan.transport.wire: about four times less CPU), else — or if it fails in any way — through
    librdkafka (`admin`), which reports failures the usual way."""
    converter = TopicConfigConverter()
    if conf is not None and names:
        plain = describe_wire(conf, names, timeout_s, converter.share)
        if plain is not None:
            return plain
    return describe_topic_entries(admin, names, timeout_s, who=who, convert=converter, in_flight=in_flight)


def describe_wire(conf: Mapping[str, Any], names: list[str], timeout_s: float, share) -> dict | None:
    """The plain configs through the wire client, or None when it does not speak these settings or failed."""
    from kplan.transport.wire.configs import topic_configs

    return through_wire(conf, timeout_s, "topic configs", lambda settings: topic_configs(settings, names, share))


def through_wire(conf: Mapping[str, Any], timeout_s: float, what: str, call) -> dict | None:
    """`call(settings)`: a read (`what`) through the wire client, or None when it does not speak the client
    settings `conf` or failed."""
    from kplan.transport.wire.codec import WireError
    from kplan.transport.wire.connection import spoken

    settings = spoken(conf, timeout_s)
    if settings is None or os.environ.get("KPLAN_WIRE") == "off":
        return None
    try:
        return call(settings)
    except Exception as e:  # noqa: BLE001 - anything at all: librdkafka reads instead and reports what is wrong
        if os.environ.get("KPLAN_DEBUG"):  # a WireError's words are fixed, with error codes: nothing secret
            why = str(e) if isinstance(e, WireError) else type(e).__name__
            print(f"kplan: reading {what} through librdkafka instead: {why}", file=sys.stderr)
        return None


def worker_count(n_names: int) -> int:
    """How many worker processes to use for `n_names` topics: none below the threshold or on one core."""
    cores = os.cpu_count() or 1
    return min(MAX_WORKERS, cores) if n_names >= WORKER_THRESHOLD and cores > 1 else 0


def describe_in_workers(conf: Mapping[str, Any], names: list[str], timeout_s: float, who: str | None,
                        workers: int) -> dict[str, tuple[dict, dict, tuple]] | None:
    """The plain configs of `names`, read by `workers` processes; None if any of them failed (read again here)."""
    import kplan

    if "oauth_cb" in conf:  # tokens kplan signs (AWS MSK IAM) cannot cross the pipe: read here instead
        return None
    settings = {k: v for k, v in conf.items() if isinstance(v, (str, int, float, bool))}  # not the logger/callbacks
    parts = [names[i::workers] for i in range(workers)]
    env = dict(os.environ)
    root = os.path.dirname(os.path.dirname(os.path.abspath(kplan.__file__)))
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")

    def run(part: list[str]) -> dict | None:
        request = pickle.dumps({"conf": settings, "names": part, "timeout_s": timeout_s, "who": who})
        try:
            proc = subprocess.Popen([sys.executable, "-m", "kplan.kinds.topic.io.describe"], stdin=subprocess.PIPE,
                                    stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
            out, _ = proc.communicate(request, timeout=timeout_s * 4 + 30)
        except (OSError, subprocess.TimeoutExpired):
            return None
        if proc.returncode != 0:
            return None
        try:
            answer = pickle.loads(out)
        except Exception:  # noqa: BLE001 - a truncated answer: not trusted
            return None
        return answer if isinstance(answer, dict) else None

    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(run, parts))
    return None if None in results else {k: v for r in results if r is not None for k, v in r.items()}


def main() -> None:
    """A worker: one pickled request on stdin, the pickled plain configs on stdout; exit 1 on any failure."""
    from confluent_kafka.admin import AdminClient

    from kplan.transport.kafka import _quiet_logger, dispose

    request = pickle.loads(sys.stdin.buffer.read())  # from the parent process only, through the pipe
    conf: dict[str, Any] = {**request["conf"], "logger": _quiet_logger()}  # librdkafka takes a Logger object
    admin = AdminClient(conf)
    try:
        result = describe_plain(admin, request["names"], request["timeout_s"], request["who"], WORKER_IN_FLIGHT,
                                conf=request["conf"])
    except Exception:  # noqa: BLE001 - the parent reads these names again itself and reports what goes wrong
        sys.exit(1)
    finally:
        dispose(admin)
    sys.stdout.buffer.write(pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))
    sys.stdout.buffer.flush()


if __name__ == "__main__":
    main()


def describe_topic_entries(admin, names: list[str], timeout_s: float, *, who: str | None = None, convert=None,
                           in_flight: int = MAX_CHUNKS_IN_FLIGHT) -> dict:
    """name -> {key: ConfigEntry} for many topics: chunks of DESCRIBE_CHUNK topics per request, up to
    MAX_CHUNKS_IN_FLIGHT requests at once (one request carrying thousands of topics is slower, and one per
    topic is far slower). Topics that vanished meanwhile are skipped. With `convert`, each
    topic's entries are replaced by `convert(entries)` as they arrive, so that at 10,000 topics the ~400,000
    ConfigEntry objects never all exist at once."""
    import time

    from confluent_kafka.admin import ConfigResource

    out: dict = {}
    chunks = [names[i:i + DESCRIBE_CHUNK] for i in range(0, len(names), DESCRIBE_CHUNK)]
    deadline = time.monotonic() + timeout_s * max(1, len(chunks) / in_flight)
    for start in range(0, len(chunks), in_flight):
        # copies of the client's future maps (it sets the results through its own map, which it drops then)
        pending = [dict(admin.describe_configs([ConfigResource(ConfigResource.Type.TOPIC, n) for n in chunk],
                                               request_timeout=timeout_s))
                   for chunk in chunks[start:start + in_flight]]
        for futures in pending:
            for res in list(futures):  # each answer dropped once converted: at most those in flight are held
                fut = futures.pop(res)
                try:
                    entries = fut.result(timeout=max(1.0, deadline - time.monotonic()))
                    out[res.name] = entries if convert is None else convert(entries)
                except Exception as e:  # noqa: BLE001 - skips a missing topic, else raises a KplanError
                    if "UNKNOWN_TOPIC" in describe_kafka_error(e):
                        continue
                    from kplan.transport.permissions import denied

                    refused = denied(e, "read the configs of", f"topic {res.name}", who)  # `who`: kplan's principal
                    if refused:
                        raise KplanError(refused) from None
                    if isinstance(e, TimeoutError):  # no answer in time (str() of it is empty)
                        raise KplanError(f"reading the configs of topic {res.name} failed: no answer within "
                                         f"{timeout_s:g} s (cluster.timeout)") from e
                    raise KplanError(
                        f"reading the configs of topic {res.name} failed: {describe_kafka_error(e)}") from e
    return out
