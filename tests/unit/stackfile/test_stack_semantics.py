"""Semantic checks beyond the schema: names, duplicates, topic configs, cross-field rules, connectors, cluster,
environments, directory stacks, and the loaded model (defaults, overlays, origins, digest)."""

import textwrap

import pytest

from kplan.model.desired import ConnectorState
from kplan.stackfile import StackError, load_stack, validate_stack

HEAD = textwrap.dedent("""\
    stack: s
    cluster: {bootstrap_servers: "k:9092", connect_url: "http://c:8083"}
    defaults:
      topic: {partitions: 1, replication_factor: 1}
    """)


def write(tmp_path, body, head=HEAD, name="stack.yaml"):
    p = tmp_path / name
    p.write_text(head + textwrap.dedent(body))
    return p


def run(tmp_path, body, env=None, environ=None, head=HEAD):
    return validate_stack(write(tmp_path, body, head), env, environ or {})


def errors(tmp_path, body, **kw):
    _, diags = run(tmp_path, body, **kw)
    return [d.message for d in diags if d.severity == "error"]


def warnings(tmp_path, body, **kw):
    _, diags = run(tmp_path, body, **kw)
    return [d.message for d in diags if d.severity == "warning"]


def one_error(tmp_path, body, **kw):
    _, diags = run(tmp_path, body, **kw)
    errs = [d for d in diags if d.severity == "error"]
    assert len(errs) == 1, [d.located() for d in diags]
    return errs[0]


# ---- topic names, duplicates, collisions -------------------------------------------------------------------

def test_reserved_topic_names(tmp_path):
    assert "reserved for Kafka's internal topics" in one_error(tmp_path, "topics: [{name: __consumer_offsets}]").message
    assert "Kafka Connect storage topic" in one_error(tmp_path, "topics: [{name: connect-offsets}]").message


def test_topic_name_problems():
    from kplan.rules.names import topic_name_problem

    assert topic_name_problem("orders.v1_x-y") is None
    assert "at most 249" in topic_name_problem("x" * 250)
    assert topic_name_problem(".") == '"." is not a legal topic name'
    assert topic_name_problem("..") == '".." is not a legal topic name'
    assert "contains ' ', '/'" in topic_name_problem("a b/c")
    assert topic_name_problem("") == "a topic name must not be empty"


def test_duplicate_topics_name_both_places(tmp_path):
    d = one_error(tmp_path, "topics:\n  - name: a\n  - name: b\n  - name: a\n")
    assert d.line == 8 and d.address == "topics[2]"
    assert d.message == ('duplicate topic "a": the topic collides with the topic at '
                         + str(tmp_path / "stack.yaml") + ":6")


def test_dot_underscore_collision_is_an_error_as_in_plan(tmp_path):
    d = one_error(tmp_path, "topics:\n  - name: a.b\n  - name: a_b\n")
    assert (d.line, d.address) == (7, "topics[1]")
    assert d.message.startswith('topic "a_b" collides with "a.b" (' + str(tmp_path / "stack.yaml") + ":6)")
    assert "'.' and '_'" in d.message
    assert warnings(tmp_path, "topics:\n  - name: a.b\n  - name: a_b\n") == []


# ---- topic configs -------------------------------------------------------------------------------------------

def test_unknown_config_key_is_located_at_the_key(tmp_path):
    d = one_error(tmp_path, "topics:\n  - name: a\n    config:\n      retention.msec: 1d\n")
    assert (d.line, d.column, d.address) == (8, 7, "topics[0].config.retention.msec")
    assert d.message == 'unknown topic config "retention.msec" (did you mean "retention.ms"?)'


def test_removed_keys(tmp_path):
    body = "topics:\n  - name: a\n    config: {message.format.version: '3.0', message.downconversion.enable: true}\n"
    assert [m for m in errors(tmp_path, body)] == [
        "message.format.version was removed in Kafka 4.0: "
        "the message format is always v2 since Kafka 4.0; delete the key",
        "message.downconversion.enable was removed in Kafka 4: down-conversion is gone and the broker refuses "
        "the key (INVALID_CONFIG); delete it"]
    assert warnings(tmp_path, body) == []


@pytest.mark.parametrize("config,fragment", [
    ("{retention.ms: 7 days}", "invalid duration '7 days'"),
    ("{segment.bytes: 1GB}", "ambiguous size unit in '1GB'"),
    ("{segment.bytes: 1KiB}", "must be at least 1048576 (got 1024)"),
    ("{compression.type: brotli}", "must be one of uncompressed"),
    ("{cleanup.policy: [compact, delet]}", "items must be among compact, delete"),
    ("{preallocate: maybe}", "must be true or false"),
    ("{min.insync.replicas: 0}", "must be at least 1 (got 0)"),
    ("{retention.ms: '${file:/x:y}'}", "topic configs cannot hold ${...} references"),
])
def test_config_value_errors(tmp_path, config, fragment):
    assert fragment in one_error(tmp_path, f"topics:\n  - name: a\n    config: {config}\n").message


def test_units_are_normalized(tmp_path):
    stack, diags = run(tmp_path, """\
        topics:
          - name: a
            config:
              retention.ms: 7d
              segment.bytes: 512MiB
              cleanup.policy: [compact, delete]
              min.compaction.lag.ms: 1h
              unclean.leader.election.enable: false
              min.cleanable.dirty.ratio: 0.25
        """)
    assert diags == []
    assert dict(stack.of("topics")[0].config) == {
        "cleanup.policy": "compact,delete", "min.cleanable.dirty.ratio": "0.25", "min.compaction.lag.ms": "3600000",
        "retention.ms": "604800000", "segment.bytes": "536870912", "unclean.leader.election.enable": "false"}


# ---- cross-field rules ---------------------------------------------------------------------------------------

def test_min_compaction_lag_must_not_exceed_max(tmp_path):
    d = one_error(tmp_path,
                  "topics:\n  - name: a\n    config: {min.compaction.lag.ms: 2h, max.compaction.lag.ms: 1h}\n")
    assert d.message == "min.compaction.lag.ms (7200000) must not exceed max.compaction.lag.ms (3600000) (topic a)"


def test_min_insync_replicas_vs_replication_factor_is_reported_once_for_defaults(tmp_path):
    body = """\
        environments:
          prod:
            defaults:
              topic:
                config: {min.insync.replicas: 2}
        topics: [{name: a}, {name: b}, {name: c, replication_factor: 3}]
        """
    assert errors(tmp_path, body) == []
    _, diags = run(tmp_path, body, env="prod")
    (d,) = diags
    assert d.address == "environments.prod.defaults.topic.config.min.insync.replicas"
    assert d.message.startswith("min.insync.replicas (2) must not exceed the replication factor (1)")
    assert d.message.endswith("(topics a, b)")


def test_compression_level_without_its_codec_warns(tmp_path):
    (w,) = warnings(tmp_path, "topics:\n  - name: a\n    config: {compression.type: lz4, compression.zstd.level: 3}\n")
    assert w == "compression.zstd.level has no effect unless compression.type is zstd (it is lz4) (topic a)"


def test_tiered_storage_rules(tmp_path):
    msgs = errors(tmp_path, """\
        topics:
          - name: a
            config: {remote.storage.enable: true, cleanup.policy: compact}
          - name: b
            config: {remote.storage.enable: true, retention.ms: 1d, local.retention.ms: 2d}
        """)
    assert any("requires cleanup.policy=delete" in m for m in msgs)
    assert any("local.retention.ms (172800000) must not exceed retention.ms (86400000)" in m for m in msgs)


# ---- defaults, settings --------------------------------------------------------------------------------------

def test_missing_partitions_and_replication_factor(tmp_path):
    head = 'stack: s\ncluster: {bootstrap_servers: "k:9092"}\n'
    d = one_error(tmp_path, "topics:\n  - name: a\n", head=head)
    assert d.message == "partitions and replication_factor are not set (set them on the topic or in defaults.topic)"
    d = one_error(tmp_path, "topics:\n  - name: a\n    partitions: 3\n", head=head)
    assert d.message == "replication_factor is not set (set it on the topic or in defaults.topic)"


def test_defaults_merge_under_topics_and_null_removes(tmp_path):
    stack, diags = run(tmp_path, """\
        topics:
          - name: a
            partitions: 6
            config: {retention.ms: null, compression.type: zstd}
          - name: b
            protect: true
        """, head=HEAD.replace("{partitions: 1, replication_factor: 1}",
                               "{partitions: 1, replication_factor: 1, "
                               "config: {retention.ms: 1d, compression.type: snappy}}"))
    assert diags == []
    a, b = stack.of("topics")
    assert (a.partitions, dict(a.config)) == (6, {"compression.type": "zstd"})
    assert (b.partitions, b.protect, dict(b.config)) == (
        1, True, {"compression.type": "snappy", "retention.ms": "86400000"})
    assert a.config_origins["compression.type"].line == 8
    assert b.config_origins["retention.ms"].line == 4


# ---- connectors ----------------------------------------------------------------------------------------------

def test_connector_model(tmp_path):
    stack, diags = run(tmp_path, """\
        defaults:
          connector:
            config: {errors.tolerance: all}
        connectors:
          - name: sink
            class: org.apache.kafka.connect.file.FileStreamSinkConnector
            tasks_max: 2
            state: paused
            restart_on_change: true
            config:
              topics: [a, b]
              file: /tmp/out
              poll.interval.ms: 5s
              database.password: ${secret:env:PW}
        """, head=HEAD.replace("defaults:\n  topic: {partitions: 1, replication_factor: 1}\n", ""))
    assert diags == []
    (c,) = stack.of("connectors")
    assert dict(c.config) == {
        "connector.class": "org.apache.kafka.connect.file.FileStreamSinkConnector",
        "database.password": "${secret:env:PW}",
        "errors.tolerance": "all", "file": "/tmp/out", "poll.interval.ms": "5000", "tasks.max": "2", "topics": "a,b"}
    assert c.state is ConnectorState.PAUSED and c.restart_on_change and not c.protect
    assert c.sensitive_keys == frozenset({"database.password"})
    assert c.origin.line == 7 and c.origin.cdc_source is None


def test_connector_errors(tmp_path):
    assert 'connector "c" has no class' in one_error(tmp_path, "connectors: [{name: c}]").message
    assert "contradicts class" in one_error(
        tmp_path, "connectors: [{name: c, class: A, config: {connector.class: B}}]").message
    assert "contradicts tasks_max" in one_error(
        tmp_path, "connectors: [{name: c, class: A, tasks_max: 2, config: {tasks.max: 3}}]").message
    assert "differs from the connector name" in one_error(
        tmp_path, "connectors: [{name: c, class: A, config: {name: d}}]").message
    assert "duplicate connector" in one_error(
        tmp_path, "connectors: [{name: c, class: A}, {name: c, class: A}]").message


def test_connectors_need_a_connect_url(tmp_path):
    head = 'stack: s\ncluster: {bootstrap_servers: "k:9092"}\n'
    assert "cluster.connect_url is not set" in one_error(
        tmp_path, "connectors: [{name: c, class: A}]", head=head).message


def test_plaintext_secrets_warn(tmp_path):
    ws = warnings(tmp_path, "connectors: [{name: c, class: A, config: {database.password: hunter2, user: u}}]")
    assert ws == ["database.password holds a plaintext secret: use ${secret:env:NAME} or a Connect config provider "
                  "reference such as ${file:/path:key}"]
    assert warnings(tmp_path, "connectors: [{name: c, class: A, config: {database.password: '${file:/s:pw}'}}]") == []


def test_a_variable_inside_a_provider_reference_is_substituted_and_not_a_plaintext_secret(tmp_path):
    body = ("vars: {env: prod}\n"
            "connectors: [{name: c, class: A, config: {database.password: '${file:/etc/${env}/db.properties:pw}'}}]\n")
    stack, diags = run(tmp_path, body)
    assert diags == []
    assert stack.of("connectors")[0].config["database.password"] == "${file:/etc/prod/db.properties:pw}"


# ---- cluster -------------------------------------------------------------------------------------------------

def test_cluster(tmp_path):
    head = textwrap.dedent("""\
        stack: s
        cluster:
          bootstrap_servers: [a:1, b:2]
          connect_url: http://c:8083/
          timeout: 30s
          client:
            security.protocol: SASL_SSL
            sasl.password: ${secret:env:KP}
            socket.timeout.ms: 10s
        """)
    stack, diags = run(tmp_path, "", head=head)
    assert diags == []
    c = stack.cluster
    assert (c.bootstrap_servers, c.connect_url, c.timeout_s) == ("a:1,b:2", "http://c:8083", 30.0)
    assert dict(c.client_properties) == {"sasl.password": "${secret:env:KP}", "security.protocol": "SASL_SSL",
                                         "socket.timeout.ms": "10000"}


@pytest.mark.parametrize("cluster,fragment", [
    ("{connect_url: 'http://c'}", "cluster.bootstrap_servers is not set"),
    ("{bootstrap_servers: '  '}", "cluster.bootstrap_servers is blank"),
    ("{bootstrap_servers: [' ']}", "cluster.bootstrap_servers is blank"),
    ("{bootstrap_servers: k, timeout: soon}", "invalid duration 'soon'"),
    ("{bootstrap_servers: k, timeout: 0}", "timeout must be more than 0"),
    ("{bootstrap_servers: k, connect_url: 'c:8083'}", "connect_url must be an http:// or https:// URL"),
])
def test_cluster_errors(tmp_path, cluster, fragment):
    assert fragment in one_error(tmp_path, "", head=f"stack: s\ncluster: {cluster}\n").message


def test_a_value_matching_none_of_its_forms_is_told_without_its_contents(tmp_path):
    cluster = ("{bootstrap_servers: k, connect: {url: 'http://c:8083', bogus: 1,"
               " auth: {basic: {username: u, password: hunter2SECRET}}}}")
    message = one_error(tmp_path, "", head=f"stack: s\ncluster: {cluster}\n").message
    assert message == "matches none of the forms allowed here (got a mapping)"


def test_plaintext_client_secret_warns(tmp_path):
    (w,) = warnings(tmp_path, "", head="stack: s\ncluster: {bootstrap_servers: k, client: {sasl.password: pw}}\n")
    assert w.startswith("sasl.password holds a plaintext secret")


def test_stack_needs_a_name(tmp_path):
    d = one_error(tmp_path, "", head="cluster: {bootstrap_servers: k}\n")
    assert d.message.startswith('the stack has no name: add "stack: <name>"')


# ---- environments --------------------------------------------------------------------------------------------

ENVS = """\
    topics:
      - name: orders
        partitions: 3
    environments:
      dev: {}
      prod:
        cluster: {bootstrap_servers: "p1:9092,p2:9092"}
        authoritative_config: true
        defaults:
          topic: {replication_factor: 3, config: {min.insync.replicas: 2}}
        topics:
          orders: {partitions: 12}
    """


def test_overlay_changes_only_what_it_says(tmp_path):
    base, _ = run(tmp_path, ENVS)
    prod, diags = run(tmp_path, ENVS, env="prod")
    assert diags == []
    (b,), (p,) = base.of("topics"), prod.of("topics")
    assert (b.partitions, b.replication_factor, dict(b.config)) == (3, 1, {})
    assert (p.partitions, p.replication_factor, dict(p.config)) == (12, 3, {"min.insync.replicas": "2"})
    assert prod.cluster.bootstrap_servers == "p1:9092,p2:9092" and prod.cluster.connect_url == "http://c:8083"
    assert prod.authoritative_config and not base.authoritative_config
    assert (base.environment, prod.environment) == (None, "prod")


AUTHORITATIVE = """\
    authoritative_config: true
    topics:
      - name: says-nothing
      - name: says-false
        authoritative_config: false
      - name: says-true
        authoritative_config: true
      - name: overlay-says-false
    environments:
      prod:
        topics:
          overlay-says-false: {authoritative_config: false}
          says-false: {partitions: 2}
      lax:
        authoritative_config: false
        defaults:
          topic: {authoritative_config: true}
    """


def test_authoritative_config_not_set_is_not_false(tmp_path):
    """A topic's own authoritative_config (declared, from an overlay, or from defaults.topic) wins over the
    stack-wide switch; a topic that does not say follows it (None)."""
    def flags(env):
        stack, diags = run(tmp_path, AUTHORITATIVE, env=env)
        assert [d for d in diags if d.severity == "error"] == []
        return stack.authoritative_config, {t.name: t.authoritative_config for t in stack.of("topics")}

    assert flags(None) == (True, {"says-nothing": None, "says-false": False, "says-true": True,
                                  "overlay-says-false": None})
    assert flags("prod") == (True, {"says-nothing": None, "says-false": False, "says-true": True,
                                    "overlay-says-false": False})
    assert flags("lax") == (False, {"says-nothing": True, "says-false": False, "says-true": True,
                                    "overlay-says-false": True})


def test_unknown_environment(tmp_path):
    d = one_error(tmp_path, ENVS, env="prd")
    assert d.message == 'unknown environment "prd" (declared: dev, prod) (did you mean "prod"?)'
    assert d.address == "environments"
    assert "(declared: none)" in one_error(tmp_path, "", env="dev").message


def test_overlay_of_an_undeclared_resource(tmp_path):
    d = one_error(tmp_path, ENVS.replace("orders: {partitions: 12}", "order: {partitions: 12}"), env="prod")
    assert d.message == ('environment "prod" overrides topic "order", which the stack does not declare '
                         '(did you mean "orders"?)')
    assert d.address == "environments.prod.topics.order"


# ---- directory stacks ----------------------------------------------------------------------------------------

def test_directory_stack_concatenates(tmp_path):
    (tmp_path / "00-stack.yaml").write_text(HEAD + "vars: {app: shop}\n")
    (tmp_path / "10-orders.yaml").write_text(
        "topics:\n  - name: ${app}.orders\n---\ntopics:\n  - name: ${app}.returns\n")
    (tmp_path / "20-audit.yml").write_text("topics:\n  - name: audit\n")
    stack, diags = validate_stack(tmp_path, environ={})
    assert diags == []
    assert [t.name for t in stack.of("topics")] == ["audit", "shop.orders", "shop.returns"]
    assert stack.files == tuple(str(tmp_path / n) for n in ("00-stack.yaml", "10-orders.yaml", "20-audit.yml"))
    assert stack.of("topics")[1].origin.file == str(tmp_path / "10-orders.yaml")


def test_directory_stack_conflicts(tmp_path):
    (tmp_path / "a.yaml").write_text(HEAD + "vars: {x: 1}\n")
    (tmp_path / "b.yaml").write_text('stack: other\ncluster: {bootstrap_servers: "z:1"}\nvars: {x: 2}\n')
    _, diags = validate_stack(tmp_path, environ={})
    msgs = [d.message for d in diags]
    assert any(m.startswith('stack name "other" differs from "s"') for m in msgs)
    assert any(m.startswith("cluster is declared in more than one place") for m in msgs)
    assert any(m.startswith('variable "x" is set twice (first set at') for m in msgs)


def test_same_stack_name_may_repeat(tmp_path):
    (tmp_path / "a.yaml").write_text(HEAD)
    (tmp_path / "b.yaml").write_text("stack: s\ntopics: [{name: t}]\n")
    stack, diags = validate_stack(tmp_path, environ={})
    assert diags == [] and stack.name == "s"


# ---- load_stack, digest --------------------------------------------------------------------------------------

def test_load_stack_raises_with_every_problem(tmp_path):
    p = write(tmp_path, "topics:\n  - name: a\n    partitions: 0\n  - name: b\n    config: {retention.msec: 1}\n")
    with pytest.raises(StackError) as e:
        load_stack(p, environ={})
    assert len(e.value.diagnostics) == 2
    assert str(e.value).count("\n") == 1


def test_load_stack_keeps_warnings(tmp_path):
    body = "topics: [{name: a, config: {compression.type: lz4, compression.gzip.level: 5}}]\n"
    stack = load_stack(write(tmp_path, body), environ={})
    assert len(stack.warnings) == 1 and ": warning: " in stack.warnings[0]


def test_environ_defaults_to_the_process_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("KPLAN_TEST_TOPIC", "from-env")
    stack = load_stack(write(tmp_path, "topics: [{name: '${KPLAN_TEST_TOPIC}'}]\n"))
    assert stack.of("topics")[0].name == "from-env"


def test_inputs_digest(tmp_path):
    p = write(tmp_path, ENVS)
    a = load_stack(p, environ={}).inputs_digest
    assert a == load_stack(p, environ={}).inputs_digest and len(a) == 64
    assert load_stack(p, "prod", environ={}).inputs_digest != a
    p.write_text(p.read_text() + "# a comment changes the bytes\n")
    assert load_stack(p, environ={}).inputs_digest != a


def test_an_empty_environment_changes_nothing(tmp_path):
    base, _ = run(tmp_path, "topics: [{name: a}]\nenvironments:\n  dev:\n")
    dev, diags = run(tmp_path, "topics: [{name: a}]\nenvironments:\n  dev:\n", env="dev")
    assert diags == [] and dev.of("topics") == base.of("topics") and dev.environment == "dev"


def test_connector_overlay(tmp_path):
    body = """\
        connectors:
          - name: sink
            class: FileStreamSink
            config: {file: /tmp/a, topics: t}
        environments:
          prod:
            connectors:
              sink: {tasks_max: 4, state: stopped, config: {file: /data/a}}
        """
    prod, diags = run(tmp_path, body, env="prod")
    assert diags == []
    (c,) = prod.of("connectors")
    assert (c.config["file"], c.config["topics"], c.config["tasks.max"], c.state) == (
        "/data/a", "t", "4", ConnectorState.STOPPED)
    assert c.config_origins["file"].line == 12 and c.config_origins["topics"].line == 8
    d = one_error(tmp_path, body.replace("sink: {tasks", "snk: {tasks"), env="prod")
    assert d.message.endswith('overrides connector "snk", which the stack does not declare (did you mean "sink"?)')
