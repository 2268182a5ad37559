"""The stack format against the real broker and Connect worker: the most specific authoritative_config wins,
connector class aliases, template directories on every command, removed topic configs, and the largest values
the schema accepts."""

from __future__ import annotations

import json

import requests
from by_hand import set_topic_configs
from confluent_kafka.admin import ConfigResource, ConfigSource
from kplan_helpers import kplan, stack_doc, wait_for, write_stack


def _overrides(admin, topic: str) -> dict[str, str]:
    res = ConfigResource(ConfigResource.Type.TOPIC, topic)
    entries = admin.describe_configs([res])[res].result(30)
    return {k: e.value for k, e in entries.items() if e.source == ConfigSource.DYNAMIC_TOPIC_CONFIG.value}


def _attributes(plan_json: str, address: str) -> dict[tuple, dict]:
    change = next(c for c in json.loads(plan_json)["resource_changes"] if c["address"] == address)
    return {tuple(a["path"]): a for a in change["attributes"]}


def test_a_topics_own_authoritative_false_wins_over_the_stack(stack, admin, prefix, tmp_path):
    t = f"{prefix}.keep"
    doc = stack_doc(stack, prefix, [{"name": t, "partitions": 1, "replication_factor": 1,
                                     "config": {"retention.ms": "1d"}}])
    path = write_stack(tmp_path / "s.yaml", doc)
    assert kplan("apply", str(path), "--auto-approve").code == 0
    set_topic_configs(admin, t, {"max.message.bytes": "2097152"})  # an override set by hand, not in the stack

    # Stack-wide authoritative, the topic says nothing: the override is planned for removal (the control).
    write_stack(path, {**doc, "authoritative_config": True})
    r = kplan("plan", str(path), "--format", "json")
    assert r.code == 0, r.text
    assert _attributes(r.out, f"topic.{t}")[("config", "max.message.bytes")]["kind"] == "remove"

    # The topic's own false wins: drift, left alone, by plan and by apply.
    doc["topics"][0]["authoritative_config"] = False
    write_stack(path, {**doc, "authoritative_config": True})
    r = kplan("plan", str(path), "--format", "json")
    assert r.code == 0, r.text
    attr = _attributes(r.out, f"topic.{t}")[("config", "max.message.bytes")]
    assert (attr["kind"], attr["changed"], attr["note"]) == ("drift", False, "override not declared; left alone")
    r = kplan("apply", str(path), "--auto-approve")
    assert r.code == 0, r.text
    assert "No changes to apply." in r.out
    assert _overrides(admin, t) == {"retention.ms": "86400000", "max.message.bytes": "2097152"}


def test_a_connector_class_alias_plans_applies_and_then_matches(stack, admin, prefix, tmp_path):
    t = f"{prefix}.in"
    doc = stack_doc(stack, prefix, [{"name": t, "partitions": 1, "replication_factor": 1}], [
        {"name": f"{prefix}-sink", "class": "FileStreamSink",
         "config": {"topics": t, "file": str(tmp_path / "out.txt")}}])
    path = write_stack(tmp_path / "s.yaml", doc)
    r = kplan("plan", str(path))
    assert r.code == 0, r.text
    assert "Plan: 2 to add, 0 to change, 0 to destroy." in r.out
    r = kplan("apply", str(path), "--auto-approve")
    assert r.code == 0, r.text
    stored = requests.get(f"{stack.connect_url}/connectors/{prefix}-sink/config", timeout=30).json()
    assert stored["connector.class"] == "FileStreamSink"  # Connect stores what was written
    r = kplan("plan", str(path), "--detailed-exitcode")
    assert r.code == 0, r.text
    assert "No changes." in r.out


FILE_TEMPLATE = """\
tables:
{% for t in tables %}
  - id: {{ t.name | q }}
    topic: {{ (topic_prefix ~ "." ~ t.name) | topic_name | q }}
{% endfor %}
config:
  connector.class: org.apache.kafka.connect.file.FileStreamSourceConnector
  file: {{ required(connection.path, "connection.path") | q }}
  topic: {{ (topic_prefix ~ "." ~ tables[0].name) | q }}
"""


def test_a_stack_that_needs_a_template_dir_plans_applies_and_destroys_with_T(stack, admin, prefix, tmp_path):
    (tmp_path / "tpl").mkdir()
    (tmp_path / "tpl" / "filesrc.j2").write_text(FILE_TEMPLATE)
    (tmp_path / "in.txt").write_text("one\n")
    doc = {**stack_doc(stack, prefix, []), "defaults": {"topic": {"partitions": 1, "replication_factor": 1}},
           "cdc": [{"name": f"{prefix}-lines", "engine": "filesrc", "topic_prefix": prefix,
                    "connection": {"host": "localhost", "path": str(tmp_path / "in.txt")}, "tables": ["lines"]}]}
    del doc["topics"]
    path = str(write_stack(tmp_path / "s.yaml", doc))
    tpl = str(tmp_path / "tpl")
    r = kplan("plan", path)
    assert r.code == 1 and 'unknown CDC engine "filesrc"' in r.text, r.text
    assert kplan("validate", path, "-T", tpl).code == 0
    r = kplan("plan", path, "-T", tpl)
    assert r.code == 0 and "Plan: 2 to add, 0 to change, 0 to destroy." in r.out, r.text
    r = kplan("apply", path, "-T", tpl, "--auto-approve")
    assert r.code == 0, r.text
    assert f"{prefix}.lines" in admin.list_topics(timeout=20).topics
    wait_for(lambda: kplan("status", path, "--template-dir", tpl).code == 0, what="status in sync")
    r = kplan("destroy", path, "-T", tpl, "--auto-approve")
    assert r.code == 0, r.text
    assert requests.get(f"{stack.connect_url}/connectors/{prefix}-lines", timeout=30).status_code == 404


# A value the broker accepts for each key of kplan's topic-config catalogue (kplan.rules.topic_configs).
CATALOGUE_SAMPLES = {
    "cleanup.policy": "compact,delete", "compression.type": "producer", "compression.gzip.level": "9",
    "compression.lz4.level": "9", "compression.zstd.level": "3", "delete.retention.ms": "86400000",
    "file.delete.delay.ms": "60000", "flush.messages": "1000", "flush.ms": "1000",
    "follower.replication.throttled.replicas": "*", "index.interval.bytes": "4096",
    "leader.replication.throttled.replicas": "*", "local.retention.bytes": "-2", "local.retention.ms": "-2",
    "max.compaction.lag.ms": "86400000", "max.message.bytes": "1048588", "message.timestamp.after.max.ms": "3600000",
    "message.timestamp.before.max.ms": "3600000", "message.timestamp.type": "LogAppendTime",
    "min.cleanable.dirty.ratio": "0.5", "min.compaction.lag.ms": "0", "min.insync.replicas": "1",
    "preallocate": "false", "remote.log.copy.disable": "false", "remote.log.delete.on.disable": "false",
    "remote.storage.enable": "false", "retention.bytes": "-1", "retention.ms": "604800000",
    "segment.bytes": "1048576", "segment.index.bytes": "10485760", "segment.jitter.ms": "0", "segment.ms": "3600000",
    "unclean.leader.election.enable": "false",
}


def test_the_topic_config_catalogue_agrees_with_the_broker(stack, admin, prefix):
    """What kplan validate accepts the broker accepts, and the keys validate calls removed the broker refuses."""
    from confluent_kafka.admin import NewTopic

    from kplan.rules.topic_configs import REMOVED_TOPIC_CONFIGS, TOPIC_CONFIGS, check_topic_config

    assert set(CATALOGUE_SAMPLES) == set(TOPIC_CONFIGS)
    samples = {**CATALOGUE_SAMPLES, **{key: "true" for key in REMOVED_TOPIC_CONFIGS}}
    topics = {f"{prefix}.c{i}": (key, value) for i, (key, value) in enumerate(sorted(samples.items()))}
    futures = admin.create_topics([NewTopic(name, 1, 1, config={key: value})
                                   for name, (key, value) in topics.items()], validate_only=True)
    verdicts = {}
    for name, (key, value) in topics.items():
        try:
            futures[name].result(30)
            broker = "accepted"
        except Exception as e:  # noqa: BLE001 - a KafkaException: the broker's verdict
            broker = "refused" if "INVALID_CONFIG" in str(e) else f"other: {e}"
        kplan_says = "refused" if any(s == "error" for s, _ in check_topic_config(key, value)) else "accepted"
        verdicts[key] = (kplan_says, broker)
    assert {k: v for k, v in verdicts.items() if v[0] != v[1]} == {}
    assert verdicts["message.downconversion.enable"] == ("refused", "refused")


def test_the_largest_values_validate_accepts_get_located_answers_from_the_real_cluster(stack, prefix, tmp_path):
    """At the schema's limits `plan` talks to the real broker without crashing: 9,999 partitions pass the
    broker's check, 10,000 (with the topic's own metadata record, over the controller's 10,000-record batch) is
    refused as a located plan error; a 5-minute timeout is a valid client setting."""
    doc = stack_doc(stack, prefix, [{"name": f"{prefix}.wide", "partitions": 9999, "replication_factor": 1}])
    doc["cluster"]["timeout"] = "5m"
    path = str(write_stack(tmp_path / "s.yaml", doc))
    assert kplan("validate", path).code == 0
    r = kplan("plan", path)
    assert r.code == 0 and "Plan: 1 to add, 0 to change, 0 to destroy." in r.out, r.text
    doc["topics"][0]["partitions"] = 10000
    write_stack(tmp_path / "s.yaml", doc)
    assert kplan("validate", path).code == 0
    r = kplan("plan", path)
    assert r.code == 1 and "internal error" not in r.text, r.text
    assert f"Error: {path}:" in r.out and "POLICY_VIOLATION" in r.out, r.text
    doc["topics"][0]["partitions"] = 10001
    write_stack(tmp_path / "s.yaml", doc)
    for command in ("validate", "plan"):
        r = kplan(command, path)
        assert r.code == 1 and "topics[0].partitions: must be at most 10000 (got 10001)" in r.text, r.text


def test_a_list_where_a_cluster_name_belongs_is_one_located_error_and_nothing_changes(stack, admin, prefix, tmp_path):
    """Issue 26 defect 4: `cluster: [b]` under `clusters:` crashed the loader (`internal error: TypeError:
    unhashable type: 'list'`). Against the real cluster, plan and apply answer one located line and create nothing."""
    t = f"{prefix}.placed"
    cluster = {"bootstrap_servers": stack.bootstrap_servers, "timeout": "20s"}
    doc = {"stack": f"{prefix}-clusters", "clusters": {"a": cluster, "b": cluster},
           "topics": [{"name": t, "cluster": ["b"], "partitions": 1, "replication_factor": 1}]}
    path = write_stack(tmp_path / "s.yaml", doc)
    for args in (("plan", str(path)), ("apply", str(path), "--auto-approve")):
        r = kplan(*args)
        assert r.code == 1, r.text
        errors = [line for line in r.text.splitlines() if "error" in line.lower()]
        assert len(errors) == 1 and errors[0].startswith(f"Error: {path}:10:"), r.text
        assert "cluster" in errors[0] and "internal error" not in r.text and "Traceback" not in r.text, r.text
    assert t not in admin.list_topics(timeout=10).topics


def _line_of(path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def test_a_nul_byte_in_a_schema_file_path_is_one_located_error_beside_the_others(stack, admin, prefix, tmp_path):
    """Issue 41 (11): `internal error: ValueError: embedded null byte`, without a location, hiding every other
    error of the stack."""
    doc = stack_doc(stack, prefix, [{"name": f"{prefix}.bad", "partitions": 0, "replication_factor": 1}])
    doc["cluster"]["schema_registry"] = {"url": stack.schema_registry_url}
    doc["subjects"] = [{"name": f"{prefix}-value", "schema_file": "schemas/a\0b.avsc"}]
    path = write_stack(tmp_path / "s.yaml", doc)
    line = _line_of(path, "schema_file")
    for command in ("validate", "plan"):
        r = kplan(command, str(path))
        assert r.code == 1 and "internal error" not in r.text and "Traceback" not in r.text, r.text
        nul = [x for x in r.text.splitlines() if "NUL byte" in x]
        assert len(nul) == 1 and f"s.yaml:{line}:" in nul[0] and f"subject '{prefix}-value'" in nul[0], r.text
        assert "\0" not in r.text
        assert "must be at least 1 (got 0)" in r.text, r.text  # the stack's other error is still reported
    assert not [t for t in admin.list_topics(timeout=20).topics if t.startswith(prefix)]


def test_a_nul_byte_in_a_secret_file_path_is_one_located_error_beside_the_others(stack, admin, prefix, tmp_path):
    """Issue 41 (11): likewise for `${secret:file:...}`: plan ended in `internal error: ValueError`."""
    missing = tmp_path / "missing-secret"
    doc = stack_doc(stack, prefix, [{"name": f"{prefix}.in", "partitions": 1, "replication_factor": 1}], [{
        "name": f"{prefix}-sink", "class": "org.apache.kafka.connect.file.FileStreamSinkConnector",
        "config": {"topics": f"{prefix}.in", "file": str(tmp_path / "out.txt"),
                   "connection.password": "${secret:file:/tmp/h41\0secret}",
                   "other.password": f"${{secret:file:{missing}}}"}}])
    path = write_stack(tmp_path / "s.yaml", doc)
    line = _line_of(path, "connection.password")
    r = kplan("plan", str(path))
    assert r.code == 1 and "internal error" not in r.text and "Traceback" not in r.text, r.text
    errors = [x for x in r.text.splitlines() if x.startswith("Error: ")]
    nul = [x for x in errors if f"s.yaml:{line}:" in x]
    assert len(nul) == 1 and f"connector.{prefix}-sink.config.connection.password" in nul[0], r.text
    assert "NUL byte" in nul[0] and "\0" not in nul[0], r.text
    assert any(f"s.yaml:{_line_of(path, 'other.password')}:" in x and "cannot read the file" in x
               for x in errors), r.text  # the other reference's problem is still reported
    assert not [t for t in admin.list_topics(timeout=20).topics if t.startswith(prefix)]
