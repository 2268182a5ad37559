"""`kplan watch` on the real stack (docs/operations.md): a real `kplan watch` process scraped over HTTP and its
exposition parsed with prometheus-client's parser. A config changed by hand, a deleted topic and a FAILED connector
each show within two rounds and go after `kplan apply`; a stack whose Connect cannot be reached is down, never in
sync; SIGTERM in the middle of a read ends the process with 0 within 5 s; /metrics refuses a scrape without the
token; a secret canary appears in no metric."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import requests
import yaml
from confluent_kafka import Consumer, TopicPartition
from confluent_kafka.admin import AlterConfigOpType, ConfigEntry, ConfigResource, ResourceType
from kplan_helpers import base_stack, bench_peer, kplan, wait_for, write_stack
from prometheus_client.parser import text_string_to_metric_families
from test_cdc_health import pg  # noqa: F401 - the fixture (a unique source over its own table)
from test_secured_cluster import powerless  # noqa: F401 - the fixture (a SCRAM user granted nothing)

import localstack

ROOT = Path(__file__).resolve().parents[2]
KPLAN = str(Path(sys.executable).parent / "kplan")
TOKEN, CANARY = "watch-test-token", "watch-canary-5c1e9d0b"


class Watcher:
    """A `kplan watch` process: its address, scrapes, the end."""

    def __init__(self, *args: str, env: dict | None = None):
        self.proc = subprocess.Popen([KPLAN, "watch", "--metrics-addr", "127.0.0.1:0", *args], stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, env={**os.environ, **(env or {})})
        line = self.proc.stderr.readline()
        assert "metrics on http://" in line, line + self.proc.stderr.read()
        self.url = line.split("metrics on ", 1)[1].split()[0].rsplit("/metrics", 1)[0]
        self.told = ""

    def scrape(self, token: str | None = TOKEN) -> tuple[str, dict]:
        """The exposition's text, and each sample's value by (name, its labels as a sorted tuple)."""
        r = requests.get(f"{self.url}/metrics", headers={"Authorization": f"Bearer {token}"} if token else {},
                         timeout=10)
        r.raise_for_status()
        samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
                   for family in text_string_to_metric_families(r.text) for s in family.samples}
        return r.text, samples

    def value(self, name: str, **labels) -> float | None:
        return self.scrape()[1].get((name, tuple(sorted(labels.items()))))

    def rounds(self) -> float:
        return self.value("kplan_watch_rounds_total") or 0.0

    def stop(self) -> int:
        """SIGTERM, and its exit code; what it said on stderr after its first line is `told` then."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(30)
        finally:
            if self.proc.poll() is not None and not self.proc.stderr.closed:
                self.told = self.proc.stderr.read()
            self.proc.stderr.close()
            self.proc.stdout.close()


def audit_events(stack, topic: str, prefix: str) -> list[dict]:
    """Every event of the audit topic (its partition 0) from the start, read by a consumer group of its own."""
    consumer = Consumer({"bootstrap.servers": stack.bootstrap_servers, "group.id": f"{prefix}-reader-{time.time_ns()}",
                         "enable.auto.commit": False})
    try:
        consumer.assign([TopicPartition(topic, 0, 0)])
        out = []
        while (message := consumer.poll(2.0)) is not None:
            if not message.error():
                out.append(json.loads(message.value()))
        return out
    finally:
        consumer.close()


def end_watch(watcher: Watcher, path: Path, admin, audit: str) -> None:
    """A watch test's end: the watcher stops with 0, its stack is destroyed, its audit topic deleted (never created
    when the test failed early)."""
    assert watcher.stop() == 0, watcher.told
    kplan("destroy", str(path), "--auto-approve")
    for f in admin.delete_topics([audit]).values():
        try:
            f.result(30)
        except Exception:  # noqa: BLE001 - never created if the test failed early
            pass


def _within_two_rounds(watcher: Watcher, condition, what: str) -> None:
    """Wait until `condition(samples)` holds, and check it did within two rounds finished after the change: both
    read from the same scrape, the rounds by the watcher's own counter (a loaded machine's slowness does not
    decide). A round running when the change was made may miss it; the next one may not."""
    before = watcher.rounds()
    seen: list[float] = []

    def holds() -> bool:
        samples = watcher.scrape()[1]
        if condition(samples):
            seen.append(samples[("kplan_watch_rounds_total", ())])
        return bool(seen)

    wait_for(holds, 120, what)
    assert seen[0] - before <= 2, f"{what}: seen only {seen[0] - before:g} rounds after the change"


def _set_override(admin, topic: str, key: str, value: str) -> None:
    resource = ConfigResource(ResourceType.TOPIC, topic, incremental_configs=[
        ConfigEntry(key, value, incremental_operation=AlterConfigOpType.SET)])
    for f in admin.incremental_alter_configs([resource]).values():
        f.result(30)


@pytest.fixture
def watched(stack, admin, prefix, tmp_path):
    """A stack (a topic and a FileStreamSink reading it, restarted when FAILED; a secret canary in its config),
    applied, and a watcher on it every second."""
    sink_dir = tmp_path / "sink"
    sink_dir.mkdir()
    doc = base_stack(prefix, stack)
    doc["topics"] = [{"name": f"{prefix}.orders", "partitions": 1, "replication_factor": 1,
                      "config": {"retention.ms": "1d"}}]
    doc["connectors"] = [{"name": f"{prefix}-sink", "class": "FileStreamSink", "tasks_max": 1, "restart_failed": True,
                          "config": {"topics": f"{prefix}.orders", "file": str(sink_dir / "out.txt"),
                                     "x.canary.password": "${secret:env:WATCH_CANARY}"}}]
    directory = tmp_path / "stacks" / "shop"
    directory.mkdir(parents=True)
    path = write_stack(directory / "stack.yaml", doc)
    env = {"WATCH_CANARY": CANARY, "WATCH_TOKEN": TOKEN}
    r = kplan("apply", str(path), "--auto-approve", env=env)
    assert r.code == 0, r.text
    watcher = Watcher("--tree", str(tmp_path / "stacks"), "--interval", "1s", "--metrics-token-env", "WATCH_TOKEN",
                      env=env)
    try:
        wait_for(lambda: watcher.value("kplan_stack_up", stack=prefix) == 1.0, 60, "the first round")
        yield watcher, path, env, sink_dir
    finally:
        assert watcher.stop() == 0
        kplan("destroy", str(path), "--auto-approve", env=env)


def test_drift_a_deleted_topic_and_a_failed_connector_show_and_go_after_apply(watched, stack, admin, prefix):
    watcher, path, env, sink_dir = watched
    topic, connector = f"{prefix}.orders", f"{prefix}-sink"

    def count(samples, kind, state):
        return samples.get(("kplan_resources", (("kind", kind), ("stack", prefix), ("state", state))))

    first = watcher.scrape()[1]
    assert (count(first, "topic", "in_sync"), count(first, "connector", "in_sync")) == (1.0, 1.0)
    assert first[("kplan_connector_state", (("connector", connector), ("stack", prefix), ("state", "RUNNING")))] == 1.0
    text, _ = watcher.scrape()
    assert CANARY not in text and "retention" not in text  # no secret and no config value in any label or value

    # a config changed by hand
    _set_override(admin, topic, "retention.ms", "3600000")
    _within_two_rounds(watcher, lambda s: count(s, "topic", "drifted") == 1.0, "the hand-made change as drift")
    assert kplan("apply", str(path), "--auto-approve", env=env).code == 0
    _within_two_rounds(watcher, lambda s: count(s, "topic", "in_sync") == 1.0 and count(s, "topic", "drifted") == 0.0,
                       "the topic in sync again after apply")

    # a FAILED connector: its task restarted while it cannot open its file
    shutil.rmtree(sink_dir)
    requests.post(f"{stack.connect_url}/connectors/{connector}/tasks/0/restart", timeout=30).raise_for_status()
    wait_for(lambda: requests.get(f"{stack.connect_url}/connectors/{connector}/status", timeout=30).json()
             ["tasks"][0]["state"] == "FAILED", 120, "Connect to show the task FAILED")  # rounds count from here
    failed_task = ("kplan_connector_tasks", (("connector", connector), ("stack", prefix), ("state", "FAILED")))
    _within_two_rounds(watcher, lambda s: count(s, "connector", "unhealthy") == 1.0 and s.get(failed_task) == 1.0,
                       "the FAILED task as unhealthy, and counted as FAILED")
    sink_dir.mkdir()
    assert kplan("apply", str(path), "--auto-approve", env=env).code == 0  # restart_failed: apply restarts it
    wait_for(lambda: requests.get(f"{stack.connect_url}/connectors/{connector}/status", timeout=30).json()
             ["tasks"][0]["state"] == "RUNNING", 120, "Connect to show the task RUNNING again")
    _within_two_rounds(watcher, lambda s: count(s, "connector", "in_sync") == 1.0, "the connector in sync after apply")

    # a deleted topic
    admin.delete_topics([topic])[topic].result(30)
    wait_for(lambda: topic not in admin.list_topics(timeout=20).topics, 120, "the broker to stop listing the topic")
    _within_two_rounds(watcher, lambda s: count(s, "topic", "missing") == 1.0, "the deleted topic as missing")
    wait_for(lambda: kplan("apply", str(path), "--auto-approve", env=env).code == 0, 60, "the topic created again")
    _within_two_rounds(watcher, lambda s: count(s, "topic", "in_sync") == 1.0 and count(s, "topic", "missing") == 0.0,
                       "the topic in sync after apply")
    text, _ = watcher.scrape()
    assert CANARY not in text


@pytest.fixture(scope="session")
def promtool() -> Path:
    """promtool, built once from the Prometheus Go module (bench/peers/build.sh), as tests/unit/deploy checks with."""
    return bench_peer("promtool", timeout=3000)


def _alerts_firing(promtool: Path, samples: dict, tmp_path: Path) -> subprocess.CompletedProcess:
    """The shipped alert rules (deploy/prometheus/kplan-alerts.yaml) run by promtool over what the watcher exported:
    each scraped gauge held for two hours, and every alert expected NOT to fire then. promtool exits 1, naming the
    alert and its labels, when one does."""
    rules_file = ROOT / "deploy" / "prometheus" / "kplan-alerts.yaml"
    alerts = [r["alert"] for g in yaml.safe_load(rules_file.read_text())["groups"] for r in g["rules"]]
    held = sorted((name, labels, value) for (name, labels), value in samples.items()
                  if name.startswith(("kplan_stack_up", "kplan_resources", "kplan_connector_", "kplan_cdc_")))
    series = [{"series": name + "{" + ", ".join(f'{k}="{v}"' for k, v in labels) + "}", "values": f"{value:g}x120"}
              for name, labels, value in held]
    test = {"rule_files": [str(rules_file)], "evaluation_interval": "1m",
            "tests": [{"interval": "1m", "input_series": series,
                       "alert_rule_test": [{"eval_time": "2h", "alertname": a, "exp_alerts": []} for a in alerts]}]}
    path = tmp_path / "scraped.test.yaml"
    path.write_text(yaml.safe_dump(test, sort_keys=False))
    return subprocess.run([str(promtool), "test", "rules", str(path)], capture_output=True, text=True, timeout=120)


def _states(samples: dict, stack: str, kind: str) -> dict[str, float]:
    """kplan_resources of one stack and kind, by state."""
    return {dict(labels)["state"]: v for (name, labels), v in samples.items()
            if name == "kplan_resources" and ("stack", stack) in labels and ("kind", kind) in labels}


def test_values_left_alone_are_no_drift_for_plan_status_watch_nor_the_alerts(stack, admin, prefix, tmp_path,
                                                                            promtool):
    """An override set by hand on a topic whose stack does not declare it (left alone): `plan --detailed-exitcode`
    says "No changes" and exits 0, `status` exits 0, the watcher counts the topic as `left_alone` with 0 drifted,
    and the shipped alert rules fire nothing over what it exported (issue 67)."""
    doc = base_stack(prefix, stack)
    doc["topics"] = [{"name": f"{prefix}.t", "partitions": 1, "replication_factor": 1,
                      "config": {"retention.ms": "1d"}}]
    path = write_stack(tmp_path / "stack.yaml", doc)
    assert kplan("apply", str(path), "--auto-approve").code == 0
    _set_override(admin, f"{prefix}.t", "segment.ms", "3600000")
    planned = kplan("plan", str(path), "--detailed-exitcode")
    assert planned.code == 0, planned.text
    assert "No changes. The cluster matches the stack (1 with drift left alone)." in planned.out, planned.text
    status = kplan("status", str(path))
    assert status.code == 0 and "drifted (left alone)" in status.out, status.text
    watcher = Watcher(str(path), "--interval", "1s")  # started after the change: its first round sees it
    try:
        wait_for(lambda: watcher.scrape(token=None)[1].get(("kplan_watch_rounds_total", ())), 120, "a first round")
        _, samples = watcher.scrape(token=None)
    finally:
        assert watcher.stop() == 0
        kplan("destroy", str(path), "--auto-approve")
    fired = _alerts_firing(promtool, samples, tmp_path)
    assert fired.returncode == 0 and "SUCCESS" in fired.stdout, fired.stdout + fired.stderr
    assert samples[("kplan_stack_up", (("stack", prefix),))] == 1.0
    states = _states(samples, prefix, "topic")
    assert (states.get("left_alone"), states["drifted"], states["in_sync"]) == (1.0, 0.0, 0.0), states


def test_every_state_of_a_kind_from_the_first_round_and_while_down(stack, admin, prefix, tmp_path):
    """From the first round the stack's topic kind has every state, `unknown` 0 included; once its file breaks, it
    still has every state, all of them unknown (issue 67)."""
    from kplan.render.metrics import STATES

    doc = base_stack(prefix, stack)
    doc["topics"] = [{"name": f"{prefix}.t", "partitions": 1, "replication_factor": 1}]
    path = write_stack(tmp_path / "stack.yaml", doc)
    assert kplan("apply", str(path), "--auto-approve").code == 0
    watcher = Watcher(str(path), "--interval", "1s")
    try:
        wait_for(lambda: watcher.scrape(token=None)[1].get(("kplan_watch_rounds_total", ())), 120, "a first round")
        assert _states(watcher.scrape(token=None)[1], prefix, "topic") == {**{st: 0.0 for st in STATES},
                                                                          "in_sync": 1.0}
        path.write_text(path.read_text() + "topics: [\n")  # its file breaks: the stack is down, its topic unknown
        wait_for(lambda: watcher.scrape(token=None)[1].get(("kplan_stack_up", (("stack", prefix),))) == 0.0, 120,
                 "the stack down")
        assert _states(watcher.scrape(token=None)[1], prefix, "topic") == {**{st: 0.0 for st in STATES},
                                                                          "unknown": 1.0}
    finally:
        assert watcher.stop() == 0
        write_stack(path, doc)
        kplan("destroy", str(path), "--auto-approve")


def test_files_that_do_not_load_are_counted_under_stack_and_told_by_path_without_a_name(stack, prefix, tmp_path):
    """Three stacks whose files do not load: not YAML, invalid (`partitions: many`), and one whose `stack:` is no
    name (`[unclosed`). Each is down with its error counted under `stack` (its files), never `cluster`; the last is
    labelled with its path, never `[unclosed` (issue 67)."""
    tree = tmp_path / "stacks"
    cluster = f"cluster:\n  bootstrap_servers: {stack.bootstrap_servers}\n"
    broken = {"notyaml": f"stack: {prefix}-notyaml\n{cluster}topics: [\n",
              "invalid": f"stack: {prefix}-invalid\n{cluster}topics:\n  - name: {prefix}.x\n    partitions: many\n"
                         "    replication_factor: 1\n",
              "unclosed": f"stack: [unclosed\n{cluster}"}
    for directory, text in broken.items():
        (tree / directory).mkdir(parents=True)
        (tree / directory / "stack.yaml").write_text(text)
    watcher = Watcher("--tree", str(tree), "--interval", "1s")
    try:
        wait_for(lambda: watcher.scrape(token=None)[1].get(("kplan_watch_rounds_total", ())), 120, "a first round")
        _, first = watcher.scrape(token=None)
    finally:
        assert watcher.stop() == 0
    for down in (f"{prefix}-notyaml", f"{prefix}-invalid", str(tree / "unclosed" / "stack.yaml")):
        assert first[("kplan_stack_up", (("stack", down),))] == 0.0, (down, first)
        errors = {dict(labels)["cause"]: v for (name, labels), v in first.items()
                  if name == "kplan_stack_errors_total" and ("stack", down) in labels}
        assert errors == {"stack": 1.0}, (down, errors)
    assert not [k for k in first if ("stack", "[unclosed") in k[1]]


def test_partitions_added_by_hand_are_that_topic_s_drift_with_the_plan_s_reason(stack, admin, prefix, tmp_path):
    """Partitions added by hand to a watched topic, which apply cannot remove: the stack stays up, that topic is
    drifted and the other still in sync; the plan's reason is said on stderr, once; no error for `plan` is counted
    (issue 67). `kplan status` says the same (exit 2, drifted)."""
    from confluent_kafka.admin import NewPartitions

    doc = base_stack(prefix, stack)
    doc["topics"] = [{"name": f"{prefix}.{n}", "partitions": 1, "replication_factor": 1} for n in ("a", "b")]
    path = write_stack(tmp_path / "stack.yaml", doc)
    assert kplan("apply", str(path), "--auto-approve").code == 0
    watcher = Watcher(str(path), "--interval", "1s")
    try:
        wait_for(lambda: watcher.scrape(token=None)[1].get(("kplan_stack_up", (("stack", prefix),))) == 1.0, 120,
                 "a first round")
        for f in admin.create_partitions([NewPartitions(f"{prefix}.a", 3)]).values():
            f.result(30)
        _within_two_rounds(_NoToken(watcher), lambda s: (s.get(("kplan_stack_up", (("stack", prefix),))) == 1.0
                                                         and _states(s, prefix, "topic")["drifted"] == 1.0
                                                         and _states(s, prefix, "topic")["in_sync"] == 1.0),
                           "the topic drifted, the stack still up")
        start = _NoToken(watcher).rounds()
        wait_for(lambda: _NoToken(watcher).rounds() >= start + 2, 120, "two more rounds")
        _, samples = watcher.scrape(token=None)
        assert not [k for k in samples if k[0] == "kplan_stack_errors_total" and ("stack", prefix) in k[1]]
        status = kplan("status", str(path))
        assert status.code == 2 and status.out.splitlines()[-1] == "2 resources: 1 in sync, 1 drifted", status.text
    finally:
        assert watcher.stop() == 0
        kplan("destroy", str(path), "--auto-approve")
    said = [line for line in watcher.told.splitlines() if "differs in a way apply cannot undo" in line]
    assert said == [f"Warning: stack {prefix}: topic.{prefix}.a differs in a way apply cannot undo: cannot decrease "
                    f"partitions of topic '{prefix}.a' from 3 to 1: Kafka cannot remove partitions from a topic; a "
                    "migration can do it without losing a record: declare the topic under a new name with "
                    f"`migrate_from: {prefix}.a` in place of this entry (`- name: {prefix}.a.v2`, `partitions: 1`, "
                    f"`replication_factor: 1`, `migrate_from: {prefix}.a`; docs/migrations.md); or set allow_replace: "
                    "true to delete and re-create it (DATA LOSS)"], watcher.told


def test_a_port_outside_0_to_65535_is_refused_in_one_line_as_a_bad_option_value(stack, prefix, tmp_path):
    """`--metrics-addr 127.0.0.1:99999`: one clear line and the exit of a bad option value (as a bad --interval),
    never kplan's internal-error line (issue 67)."""
    doc = base_stack(prefix, stack)
    path = write_stack(tmp_path / "stack.yaml", doc)
    bad_value = subprocess.run([KPLAN, "watch", str(path), "--interval", "0s"], capture_output=True, text=True,
                               timeout=60)
    for port in ("99999", "65536"):
        r = subprocess.run([KPLAN, "watch", str(path), "--metrics-addr", f"127.0.0.1:{port}"], capture_output=True,
                           text=True, timeout=60)
        errors = [line for line in r.stderr.splitlines() if line.startswith("Error")]
        assert errors == [f"Error: Invalid value for '--metrics-addr': the port must be 0-65535 (0: any free port), "
                          f"got {port}"], r.stderr
        assert r.returncode == bad_value.returncode != 1 and "internal error" not in r.stderr, r.stderr


def test_the_token_and_the_probes(watched):
    watcher = watched[0]
    with pytest.raises(requests.HTTPError) as refused:
        watcher.scrape(token=None)
    assert refused.value.response.status_code == 401
    with pytest.raises(requests.HTTPError):
        watcher.scrape(token="wrong")
    assert requests.get(f"{watcher.url}/healthz", timeout=10).status_code == 200
    assert requests.get(f"{watcher.url}/readyz", timeout=10).status_code == 200


def test_a_stack_whose_connect_cannot_be_reached_is_down_never_in_sync(stack, prefix, tmp_path):
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))  # bound, never listening: connections are refused
    doc = base_stack(prefix, stack)
    doc["cluster"]["connect_url"] = f"http://127.0.0.1:{closed.getsockname()[1]}"
    doc["connectors"] = [{"name": f"{prefix}-sink", "class": "FileStreamSink", "tasks_max": 1,
                          "config": {"topics": f"{prefix}.t", "file": str(tmp_path / "out.txt")}}]
    write_stack(tmp_path / "stack.yaml", doc)
    watcher = Watcher(str(tmp_path / "stack.yaml"), "--interval", "1s")
    try:
        wait_for(lambda: (watcher.value("kplan_watch_rounds_total") or 0) >= 1, 120, "a round")
        _, samples = watcher.scrape(token=None)
        assert samples[("kplan_stack_up", (("stack", prefix),))] == 0.0
        assert samples[("kplan_stack_errors_total", (("cause", "cluster"), ("stack", prefix)))] >= 1
        assert not [k for k, v in samples.items() if k[0] == "kplan_resources" and ("state", "in_sync") in k[1]]
    finally:
        assert watcher.stop() == 0
        closed.close()


def test_sigterm_in_the_middle_of_a_read_ends_with_0_within_5_seconds(stack, prefix, tmp_path):
    silent = socket.create_server(("127.0.0.1", 0))  # a "broker" that accepts and never answers
    accepted = threading.Event()
    held = []

    def accept():
        while True:
            try:
                conn, _ = silent.accept()
            except OSError:
                return
            held.append(conn)
            accepted.set()

    threading.Thread(target=accept, daemon=True).start()
    doc = {"stack": prefix, "cluster": {"bootstrap_servers": f"127.0.0.1:{silent.getsockname()[1]}",
                                        "timeout": "60s"},
           "topics": [{"name": f"{prefix}.t", "partitions": 1, "replication_factor": 1}]}
    write_stack(tmp_path / "stack.yaml", doc)
    watcher = Watcher(str(tmp_path / "stack.yaml"), "--interval", "1s")
    try:
        assert accepted.wait(60), "the watcher never connected"
        time.sleep(0.5)  # well inside the read: it waits up to 60 s for an answer that never comes
        started = time.monotonic()
        watcher.proc.send_signal(signal.SIGTERM)
        code = watcher.proc.wait(30)
        assert code == 0 and time.monotonic() - started < 5, (code, time.monotonic() - started)
    finally:
        watcher.stop()
        silent.close()
        for conn in held:
            conn.close()


def test_it_listens_on_loopback_unless_told_otherwise(tmp_path):
    proc = subprocess.run([KPLAN, "watch", "--help"], capture_output=True, text=True, timeout=60)
    assert "[default: 127.0.0.1:9308]" in " ".join(proc.stdout.split()), proc.stdout
    r = subprocess.run([KPLAN, "watch", str(ROOT / "stacks"), "--metrics-token-env", "KPLAN_NO_SUCH_VARIABLE"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 1 and r.stderr.strip() == ("Error: --metrics-token-env KPLAN_NO_SUCH_VARIABLE: that "
                                                      "environment variable is empty or unset"), r.stderr
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen("http://127.0.0.1:9/metrics", timeout=2)  # nothing listens where none was asked


def test_drift_is_one_audit_event_once_not_every_round(stack, admin, prefix, tmp_path):
    """With --audit-topic, a hand-made change becomes exactly one event on the stack's cluster (not one a round),
    and a further change one more."""


    audit = f"{prefix}-audit"
    doc = base_stack(prefix, stack)
    doc["topics"] = [{"name": f"{prefix}.{n}", "partitions": 1, "replication_factor": 1,
                      "config": {"retention.ms": "1d"}} for n in ("a", "b")]
    path = write_stack(tmp_path / "stack.yaml", doc)
    assert kplan("apply", str(path), "--auto-approve").code == 0
    watcher = Watcher(str(path), "--interval", "1s", "--audit-topic", audit)

    def events():
        return audit_events(stack, audit, prefix)

    try:
        wait_for(lambda: watcher.rounds() >= 1, 120, "a first round")
        _set_override(admin, f"{prefix}.a", "retention.ms", "3600000")
        wait_for(lambda: audit in admin.list_topics(timeout=20).topics and len(events()) >= 1, 120, "a drift event")
        start = watcher.rounds()
        wait_for(lambda: watcher.rounds() >= start + 3, 120, "three more rounds")
        first = events()
        assert [(e["command"], e["outcome"], e["drift"]) for e in first] == [
            ("watch", "drift", [{"address": f"topic.{prefix}.a", "state": "drifted"}])]
        _set_override(admin, f"{prefix}.b", "retention.ms", "3600000")
        wait_for(lambda: len(events()) >= 2, 120, "a second drift event")
        assert events()[1]["drift"] == [{"address": f"topic.{prefix}.b", "state": "drifted"}]
    finally:
        end_watch(watcher, path, admin, audit)


def test_a_stopped_cdc_consumer_holding_back_wal_shows_and_goes_after_apply(stack, pg, tmp_path):  # noqa: F811
    """A PostgreSQL CDC source stopped by hand: its slot goes inactive and keeps the WAL written meanwhile; the
    watcher's CDC metrics (the connector kind's, from its status read) say so within two rounds, and the source is
    healthy again after `kplan apply` restarts it."""
    from test_cdc_health import PG_ENV, _pg_stack, _write_wal

    prefix, source, table, proxy = pg
    path = write_stack(tmp_path / "cdc.yaml", _pg_stack(stack, prefix, source, table, proxy.port,
                                                        slot_health={"max_retained_wal": "1GiB"}))
    assert kplan("apply", str(path), "--auto-approve", env=PG_ENV).code == 0
    watcher = Watcher(str(path), "--interval", "1s", env=PG_ENV)
    labels = (("connector", source), ("engine", "postgres"), ("stack", prefix))

    def cdc(samples, name):
        return samples.get((name, labels))

    try:
        wait_for(lambda: cdc(watcher.scrape(token=None)[1], "kplan_cdc_healthy") == 1.0, 120, "the source healthy")
        before = cdc(watcher.scrape(token=None)[1], "kplan_cdc_retained_wal_bytes")
        requests.put(f"{stack.connect_url}/connectors/{source}/stop", timeout=30).raise_for_status()
        wait_for(lambda: (localstack.psql(f"SELECT active FROM pg_replication_slots WHERE slot_name = "
                                          f"'{source.replace('-', '_')}'").strip() == "f"), 120, "the slot inactive")
        _write_wal(table, 4000)  # ~8 MB the inactive slot keeps

        def stopped(samples):
            return (cdc(samples, "kplan_cdc_healthy") == 0.0 and cdc(samples, "kplan_cdc_slot_active") == 0.0
                    and cdc(samples, "kplan_cdc_retained_wal_bytes") > before + 4 * 1024**2)

        _within_two_rounds(_NoToken(watcher), stopped, "the stopped consumer holding back WAL")
        assert kplan("apply", str(path), "--auto-approve", env=PG_ENV).code == 0  # declared running: resumed
        slot = source.replace("-", "_")
        wait_for(lambda: localstack.psql(f"SELECT active FROM pg_replication_slots WHERE slot_name = '{slot}'")
                 .strip() == "t", 120, "the slot active again")
        _within_two_rounds(_NoToken(watcher), lambda s: cdc(s, "kplan_cdc_healthy") == 1.0,
                           "the source healthy after apply")
        assert localstack.PG_PASSWORD not in watcher.scrape(token=None)[0]
    finally:
        assert watcher.stop() == 0


class _NoToken:
    """A watcher started without --metrics-token-env, scraped without a token."""

    def __init__(self, watcher: Watcher):
        self.watcher = watcher

    def scrape(self, token=None):
        return self.watcher.scrape(token=None)

    def rounds(self) -> float:
        return self.scrape()[1].get(("kplan_watch_rounds_total", ()), 0.0)


def test_the_endpoint_over_tls(stack, prefix, tmp_path):
    """With a certificate and key the endpoint speaks HTTPS only, verified against that certificate."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    made = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out",
                           str(cert), "-days", "1", "-subj", "/CN=127.0.0.1", "-addext",
                           "subjectAltName=IP:127.0.0.1"], capture_output=True, text=True, timeout=60)
    assert made.returncode == 0, made.stderr
    doc = base_stack(prefix, stack)
    doc["topics"] = [{"name": f"{prefix}.t", "partitions": 1, "replication_factor": 1}]
    write_stack(tmp_path / "stack.yaml", doc)
    proc = subprocess.Popen([KPLAN, "watch", str(tmp_path / "stack.yaml"), "--interval", "1s", "--metrics-addr",
                             "127.0.0.1:0", "--metrics-tls-cert", str(cert), "--metrics-tls-key", str(key)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stderr.readline()
        assert "metrics on https://" in line, line
        url = line.split("metrics on ", 1)[1].split()[0].rstrip(",")
        wait_for(lambda: "kplan_watch_rounds_total" in requests.get(url, verify=str(cert), timeout=10).text, 60,
                 "a scrape over TLS")
        with pytest.raises(requests.ConnectionError):
            requests.get(url.replace("https://", "http://"), timeout=10)
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
        proc.stderr.close()
        proc.stdout.close()


def test_the_lag_of_a_declared_consumer_group(stack, admin, prefix, tmp_path):
    """A consumer group the stack declares (a reset request, applied): its lag by topic is exported each round and
    follows what is produced."""
    from confluent_kafka import Producer

    topic, group = f"{prefix}.orders", f"{prefix}-billing"
    doc = base_stack(prefix, stack)
    doc["topics"] = [{"name": topic, "partitions": 2, "replication_factor": 1}]
    path = write_stack(tmp_path / "stack.yaml", doc)
    assert kplan("apply", str(path), "--auto-approve").code == 0
    producer = Producer({"bootstrap.servers": stack.bootstrap_servers, "acks": "all"})

    def produce(n):
        for i in range(n):
            producer.produce(topic, key=str(i).encode(), value=b"x")
        assert producer.flush(30) == 0

    produce(10)
    doc["consumer_groups"] = [{"name": group, "offsets": {"request": "r1", "reset": "earliest", "topics": [topic]}}]
    path = write_stack(path, doc)
    r = kplan("apply", str(path), "--auto-approve")  # the group's offsets set to the start: 10 records behind
    assert r.code == 0, r.text
    watcher = Watcher(str(path), "--interval", "1s")
    lag = ("kplan_consumer_group_lag", (("group", group), ("stack", prefix), ("topic", topic)))
    try:
        _within_two_rounds(_NoToken(watcher), lambda s: s.get(lag) == 10.0, "the group 10 records behind")
        produce(5)
        _within_two_rounds(_NoToken(watcher), lambda s: s.get(lag) == 15.0, "the group 15 records behind")
    finally:
        assert watcher.stop() == 0
        kplan("destroy", str(path), "--auto-approve")
        admin.delete_consumer_groups([group])


def test_read_rights_are_enough_to_watch(secured, powerless, unique, tmp_path):  # noqa: F811
    """A principal with read rights only (docs/operations.md, "What the watcher needs"): describe on the cluster,
    describe and its configs on the stack's topics, read on kplan's ownership record. `kplan plan` by it fails at
    plan-time validation (a validate-only create needs CREATE); the watcher, which validates nothing, reports the
    stack: one topic in sync, one missing."""
    from confluent_kafka.admin import (
        AclBinding,
        AclBindingFilter,
        AclOperation,
        AclPermissionType,
        AdminClient,
        NewTopic,
        ResourcePatternType,
    )
    from confluent_kafka.admin import ResourceType as AclResource

    from kplan.transport.kafka import dispose

    user, password = powerless
    name = unique("watchro")
    admin = AdminClient(secured.kafka_config())
    principal = f"User:{user}"
    grants = [AclBinding(AclResource.BROKER, "kafka-cluster", ResourcePatternType.LITERAL, principal, "*",
                         AclOperation.DESCRIBE, AclPermissionType.ALLOW)]
    grants += [AclBinding(AclResource.TOPIC, name, ResourcePatternType.PREFIXED, principal, "*", op,
                          AclPermissionType.ALLOW) for op in (AclOperation.DESCRIBE, AclOperation.DESCRIBE_CONFIGS)]
    grants += [AclBinding(AclResource.TOPIC, "__kplan_ownership", ResourcePatternType.LITERAL, principal, "*", op,
                          AclPermissionType.ALLOW) for op in (AclOperation.DESCRIBE, AclOperation.READ)]
    for f in admin.create_acls(grants).values():
        f.result(30)
    for f in admin.create_topics([NewTopic(f"{name}.there", 1, 1)]).values():
        f.result(30)
    doc = {"stack": name,
           "cluster": {"bootstrap_servers": secured.bootstrap_servers, "timeout": "20s",
                       "client": {"security.protocol": "SASL_SSL", "sasl.mechanisms": "SCRAM-SHA-512",
                                  "sasl.username": user, "sasl.password": "${secret:env:WATCH_RO_PASSWORD}",
                                  "ssl.ca.location": secured.ca_file}},
           "topics": [{"name": f"{name}.{t}", "partitions": 1, "replication_factor": 1} for t in ("there", "missing")]}
    path = write_stack(tmp_path / "stack.yaml", doc)
    env = {"WATCH_RO_PASSWORD": password}
    r = kplan("plan", str(path), env=env)
    assert r.code == 1 and "needs the CREATE permission" in r.text, r.text
    watcher = Watcher(str(path), "--interval", "1s", env=env)
    try:
        def seen(samples):
            count = {s: samples.get(("kplan_resources", (("kind", "topic"), ("stack", name), ("state", s))))
                     for s in ("in_sync", "missing")}
            return samples.get(("kplan_stack_up", (("stack", name),))) == 1.0 and count == {"in_sync": 1.0,
                                                                                           "missing": 1.0}
        wait_for(lambda: seen(watcher.scrape(token=None)[1]), 120, "the stack read by the read-only principal")
        assert password not in watcher.scrape(token=None)[0]
    finally:
        assert watcher.stop() == 0
        filters = [AclBindingFilter(g.restype, g.name, g.resource_pattern_type, g.principal, g.host, g.operation,
                                    g.permission_type) for g in grants]
        for f in admin.delete_acls(filters).values():
            f.result(30)
        for f in admin.delete_topics([f"{name}.there"]).values():
            f.result(30)
        dispose(admin)
