"""Bad input never crashes kplan: every problem is one located line, never "internal error" or a traceback.

Two parts: the inputs issue 10 reported (each once crashed `validate` or `plan`), and a property-based fuzz test
(hypothesis, fixed seed, bounded budget) that mutates the example stacks in `stacks/` and runs `kplan validate`
and `kplan plan --live-state` on each mutant in-process; then the sections added since (several clusters and each
entry's `cluster:`, policy and shared policy files, subjects, offsets, ACLs, users, quotas), each fuzzed on its own
(issue 26). KPLAN_FUZZ_EXAMPLES=N raises their budget, KPLAN_FUZZ_RANDOM=1 draws new examples (a longer hunt).
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import math
import os
import re
import tempfile
import textwrap
from pathlib import Path
from unittest import mock

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kplan.cli import main

ROOT = Path(__file__).resolve().parents[3]
ENVIRON = {"KPLAN_PG_PASSWORD": "fuzz-secret", "SINK_PASSWORD": "fuzz-secret"}
LIVE = {"cluster_id": "c1", "broker_count": 3, "topics": {}, "connectors": {}, "owned_topics": [],
        "owned_connectors": []}


def run_kplan(*args: str) -> tuple[int, str]:
    """`kplan ARGS` in-process: (exit status, stdout + stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with mock.patch.dict(os.environ, ENVIRON), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(list(args))
            code = 0
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else 1
    return code, out.getvalue() + err.getvalue()


def assert_clean(code: int, output: str, stack_file: str) -> None:
    """No crash, a known exit status, and every error line located at the stack file."""
    assert "internal error" not in output and "Traceback" not in output, output
    assert code in (0, 1, 2), (code, output)
    located = re.compile(re.escape(stack_file) + r"(:\d+:\d+)?(:| \[)")
    for line in output.splitlines():
        if line.startswith("Error: "):
            assert located.match(line[len("Error: "):]), line
    if code == 1:
        assert any(located.match(line.removeprefix("Error: ")) for line in output.splitlines()), output


def check_stack(directory: Path, text: str, environment: str | None = None) -> tuple[list[tuple[int, str]], str]:
    """Write the stack, run validate and plan on it (in `environment` if given); every run is clean."""
    path = directory / "stack.yaml"
    path.write_text(text)
    live = directory / "live.json"
    live.write_text(json.dumps(LIVE))
    env = ["-e", environment] if environment else []
    runs = [run_kplan("validate", str(path), *env),
            run_kplan("plan", str(path), "--live-state", str(live), "--no-color", *env)]
    for code, output in runs:
        assert_clean(code, output, str(path))
    return runs, str(path)


# -- the inputs issue 10 reported --------------------------------------------------------------------------------

BASE = textwrap.dedent("""\
    stack: s
    cluster:
      bootstrap_servers: localhost:9092
      connect_url: http://localhost:8083
    defaults:
      topic: {partitions: 1, replication_factor: 1}
    topics:
      - name: t1
    connectors:
      - name: c1
        class: org.apache.kafka.connect.file.FileStreamSinkConnector
        config: {topics: t1, file: /tmp/out}
    cdc:
      - name: pg
        engine: postgres
        connection: {host: h, user: u, password: "${secret:env:KPLAN_PG_PASSWORD}", database: d}
        tables: [a]
    """)


def _with(path: tuple, value) -> str:
    doc = yaml.safe_load(BASE)
    node = doc
    for key in path[:-1]:
        node = node.setdefault(key, {}) if isinstance(key, str) else node[key]
    node[path[-1]] = value
    return yaml.safe_dump(doc, sort_keys=False)


REPORTED = [  # (id, path, value, the error's YAML path, a fragment of its message)
    ("overlay-topic-list", ("environments", "e", "topics", "t1"), [1], "environments.e.topics.t1", "must be a mapping"),
    ("overlay-topic-null", ("environments", "e", "topics", "t1"), None, "environments.e.topics.t1",
     "must be a mapping"),
    ("overlay-connector-list", ("environments", "e", "connectors", "c1"), [1], "environments.e.connectors.c1",
     "must be a mapping"),
    ("overlay-connector-null", ("environments", "e", "connectors", "c1"), None, "environments.e.connectors.c1",
     "must be a mapping"),
    ("overlay-cdc-list", ("environments", "e", "cdc", "pg"), [1], "environments.e.cdc.pg", "must be a mapping"),
    ("overlay-cdc-null", ("environments", "e", "cdc", "pg"), None, "environments.e.cdc.pg", "must be a mapping"),
    ("cdc-topic-defaults-string", ("cdc", 0, "topic_defaults"), "abc", "cdc[0].topic_defaults", "must be a mapping"),
    ("defaults-topic-config-list", ("defaults", "topic", "config"), [1], "defaults.topic.config",
     "must be a mapping"),
    ("overlay-defaults-topic-config-list", ("environments", "e", "defaults", "topic", "config"), [1],
     "environments.e.defaults.topic.config", "must be a mapping"),
    ("cdc-topic-defaults-config-list", ("cdc", 0, "topic_defaults"), {"config": [1]}, "cdc[0].topic_defaults.config",
     "must be a mapping"),
    ("timeout-infinite", ("cluster", "timeout"), math.inf, "cluster.timeout", "must be at most 300"),
    ("timeout-too-large", ("cluster", "timeout"), 1e9, "cluster.timeout", "must be at most 300"),
    ("partitions-int64-max", ("topics", 0, "partitions"), 2**63 - 1, "topics[0].partitions",
     "must be at most 10000"),
    ("partitions-million", ("topics", 0, "partitions"), 1_000_000, "topics[0].partitions", "must be at most 10000"),
    ("replication-factor-100000", ("topics", 0, "replication_factor"), 100_000, "topics[0].replication_factor",
     "must be at most 10000"),
]


@pytest.mark.parametrize("path,value,where,message", [r[1:] for r in REPORTED], ids=[r[0] for r in REPORTED])
def test_reported_input_is_one_located_error(tmp_path, path, value, where, message):
    env = "e" if path[0] == "environments" else None
    runs, stack_file = check_stack(tmp_path, _with(path, value), env)
    for code, output in runs:
        assert code == 1, output
        assert re.search(rf"^(Error: )?{re.escape(stack_file)}:\d+:\d+: {re.escape(where)}: .*{re.escape(message)}",
                         output, re.M), output


@pytest.mark.parametrize("text,message", [
    ("'1e400'", "at most 300 seconds"), ("nan", "at most 300 seconds"), (".nan", "at most 300 seconds"),
    ("10m", "at most 300 seconds"), ("'1" + "0" * 400 + "s'", "at most 300 seconds"), ("-1", "more than 0"),
])
def test_cluster_timeout_out_of_range_is_located(tmp_path, text, message):
    stack = BASE.replace("  connect_url: http://localhost:8083\n",
                         f"  connect_url: http://localhost:8083\n  timeout: {text}\n")
    runs, stack_file = check_stack(tmp_path, stack)
    for code, output in runs:
        where = rf"{re.escape(stack_file)}:5:\d+: cluster.timeout: .*"
        assert code == 1 and re.search(where + re.escape(message), output), output


def test_the_largest_accepted_values_still_validate(tmp_path):
    doc = yaml.safe_load(BASE)
    doc["cluster"]["timeout"] = "5m"
    doc["topics"][0].update(partitions=10000, replication_factor=3)
    doc["connectors"][0]["tasks_max"] = 2**31 - 1
    runs, _ = check_stack(tmp_path, yaml.safe_dump(doc))
    assert [code for code, _ in runs] == [0, 0], runs


def test_a_schema_error_in_one_resource_does_not_hide_the_problems_of_others(tmp_path):
    """The schema runs first; a resource it flags is not expanded, the others still are (every problem at once)."""
    doc = yaml.safe_load(_with(("environments", "e", "topics", "t1"), [1]))
    doc["topics"].append({"name": "t2", "config": {"retention.msec": 1}})
    runs, _ = check_stack(tmp_path, yaml.safe_dump(doc), "e")
    code, output = runs[0]
    assert code == 1
    assert "environments.e.topics.t1: must be a mapping" in output
    assert 'unknown topic config "retention.msec"' in output
    assert "which the stack does not declare" not in output


# -- the fuzz test ----------------------------------------------------------------------------------------------

CONNECTOR_SEED = textwrap.dedent("""\
    stack: sinks
    cluster: {bootstrap_servers: "localhost:9092", connect_url: "http://localhost:8083", timeout: 10s}
    vars: {dir: /tmp}
    defaults:
      topic: {partitions: 1, replication_factor: 1, config: {retention.ms: 1d}}
      connector: {tasks_max: 1, config: {errors.tolerance: none}}
    topics:
      - name: orders
        partitions: 3
        authoritative_config: false
    connectors:
      - name: orders-sink
        class: FileStreamSink
        state: running
        config: {topics: orders, file: "${dir}/orders.out", connection.password: "${secret:env:SINK_PASSWORD}"}
    environments:
      prod:
        authoritative_config: true
        topics: {orders: {partitions: 6}}
        connectors: {orders-sink: {state: paused, config: {file: /var/orders.out}}}
    """)
SEEDS = [yaml.safe_load(p.read_text()) for p in sorted((ROOT / "stacks").glob("*.yaml"))] + [
    yaml.safe_load(CONNECTOR_SEED)]
KEYS = sorted({"name", "partitions", "replication_factor", "config", "protect", "authoritative_config",
               "allow_replace", "class", "tasks_max", "state", "restart_on_change", "engine", "connection",
               "tables", "topic", "topic_defaults", "connector", "schema_history", "signal", "snapshot_new_tables",
               "prune_tables", "snapshot_mode", "timeout", "client", "bootstrap_servers", "connect_url", "topics",
               "connectors", "cdc", "defaults", "environments", "vars", "cluster", "template_dirs", "schema",
               "retention.ms", "cleanup.policy", "host", "port", "database", "password", "data_collection"})
NAMES = ["orders", "dc.workload", "office.requests", "demo.public.users", "demo-postgres", "orders-sink", "prod",
         "dev", "users", "x"]

scalars = st.one_of(
    st.none(), st.booleans(),
    st.sampled_from([0, -1, 1, 3, 300, 301, 10000, 10001, 2**15, 2**31 - 1, 2**31, 2**63 - 1, 2**63, 10**30]),
    st.integers(), st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["", "x", "7d", "1GiB", "1GB", "infinite", "${app}", "${UNDEFINED}", "${P:-3}", "$${x}",
                     "${secret:env:KPLAN_PG_PASSWORD}", "${secret:bogus}", "${file:/etc/x:${app}}", "inf", "nan",
                     "1e400", "compact,delete", "running", "Paused", "postgres", "FileStreamSink", "a b", "..",
                     "__x", "x" * 300, "\u00e9", "yes"]),
    st.text(max_size=12))
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(KEYS + NAMES), inner, max_size=3)), max_leaves=6)


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, prefix + (i,))


@st.composite
def mutated_stacks(draw):
    doc = copy.deepcopy(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 3))):
        paths = [p for p in _paths(doc) if p]
        path = draw(st.sampled_from(paths))
        parent = doc
        for key in path[:-1]:
            parent = parent[key]
        how = draw(st.sampled_from(["replace", "replace", "delete", "add"]))
        if how == "delete" and isinstance(parent, dict):
            del parent[path[-1]]
        elif how == "add" and isinstance(parent, dict):
            parent[draw(st.sampled_from(KEYS + NAMES))] = draw(values)
        elif how == "add" and isinstance(parent, list):
            parent.append(draw(values))
        else:
            parent[path[-1]] = draw(values)
    envs = doc.get("environments") if isinstance(doc, dict) else None
    environment = draw(st.sampled_from([None, *envs])) if isinstance(envs, dict) and envs else None
    return doc, environment


@settings(max_examples=150, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large])
@given(mutated_stacks())
def test_mutated_stacks_never_crash(case):
    doc, environment = case
    text = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)
    if not isinstance(environment, str):
        environment = None
    with tempfile.TemporaryDirectory() as d:
        check_stack(Path(d), text, environment)


# -- the sections added since (issue 26 defect 4): each fuzzed on its own ----------------------------------------
# The mutants above are spread over every seed and every key; here each newer section gets its own budget, with its
# own vocabulary, so that wrong-typed values in it are tried many times: one located error line, never a crash.

SECTIONS_SEED = textwrap.dedent("""\
    stack: sections
    cluster:
      bootstrap_servers: localhost:9092
      connect_url: http://localhost:8083
      schema_registry: {url: "http://localhost:8081"}
    policy:
      rules:
        - {rule: topic-partitions, min: 1, max: 48}
        - {rule: topic-replication-factor, min: 1, environments: {dev: 1}}
        - {rule: topic-name-pattern, pattern: '[a-z.]+', severity: warning, message: lower case}
        - {rule: topic-required-config, keys: [cleanup.policy], values: [delete, compact]}
        - {rule: topic-max-retention, max: 30d, exclude: '.*\\\\.dlq'}
        - {rule: connector-allowed-classes, classes: [FileStreamSink]}
    defaults:
      topic: {partitions: 1, replication_factor: 1, config: {cleanup.policy: delete}}
    topics:
      - name: shop.orders
        value_schema: {schema: '"string"', compatibility: BACKWARD}
    subjects:
      - name: shop.address
        schema: '{"type": "record", "name": "A", "fields": [{"name": "s", "type": "string"}]}'
        type: AVRO
        compatibility: FULL
      - name: shop.order
        schema: '{"type": "record", "name": "O", "fields": [{"name": "a", "type": "A"}]}'
        references: [{name: A, subject: shop.address, version: latest}]
    connectors:
      - name: orders-sink
        class: FileStreamSink
        config: {topics: shop.orders, file: /tmp/o.out}
        offsets:
          request: "2026-11-23"
          set: [{topic: shop.orders, partition: 0, offset: 12}]
      - name: orders-sink2
        class: FileStreamSink
        config: {topics: shop.orders, file: /tmp/o2.out}
        offsets: {request: r1, reset: true}
    users:
      - name: orders-service
        password: ${secret:env:SINK_PASSWORD}
        mechanisms: [SCRAM-SHA-512]
        iterations: 8192
        rotation: "1"
    quotas:
      - {user: orders-service, producer_byte_rate: 1MiB, request_percentage: 50}
      - {client_id: reporting, consumer_byte_rate: 2097152}
    acls:
      - principal: User:orders-service
        produce: [shop.orders, "prefix:shop.orders."]
        consume: {topics: [shop.payments], groups: [orders-service]}
      - principal: User:auditor
        authoritative: true
        allow:
          - {resource: cluster, operations: [DESCRIBE_CONFIGS]}
          - {resource: group, name: audit-, pattern: prefixed, operations: [READ], host: "*"}
        deny:
          - {resource: topic, name: shop.payments, operations: [READ]}
    environments:
      dev:
        topics: {shop.orders: {partitions: 2}}
        connectors: {orders-sink: {offsets: {request: dev-1}}}
    """)
CLUSTERS_SEED = textwrap.dedent("""\
    stack: two
    clusters:
      a:
        bootstrap_servers: localhost:9092
        connect_url: http://localhost:8083
        schema_registry: {url: "http://localhost:8081"}
      b:
        bootstrap_servers: [localhost:9093, localhost:9094]
        timeout: 10s
    defaults:
      topic: {partitions: 1, replication_factor: 1}
    topics:
      - {name: t1, cluster: a}
      - {name: t1, cluster: b, partitions: 3}
    connectors:
      - {name: c1, cluster: a, class: FileStreamSink, config: {topics: t1, file: /tmp/c1}}
    subjects:
      - {name: s1, cluster: a, schema: '"string"'}
    users:
      - {name: u1, cluster: b, password: "${secret:env:SINK_PASSWORD}"}
    quotas:
      - {user: u1, cluster: b, producer_byte_rate: 1MiB}
    acls:
      - {principal: "User:u1", cluster: b, produce: [t1]}
    environments:
      dev:
        clusters: {b: {bootstrap_servers: localhost:9095}}
    """)
SECTION_KEYS = sorted({
    "cluster", "clusters", "bootstrap_servers", "connect_url", "schema_registry", "url", "timeout", "files", "rules",
    "rule", "name", "min", "max", "severity", "message", "pattern", "keys", "values", "classes", "environments",
    "exclude", "prefixes", "schema", "schema_file", "type", "references", "subject", "version", "compatibility",
    "request", "reset", "set", "topic", "partition", "offset", "password", "mechanisms", "iterations", "rotation",
    "user", "client_id", "producer_byte_rate", "consumer_byte_rate", "request_percentage", "principal",
    "authoritative", "produce", "consume", "topics", "groups", "allow", "deny", "resource", "operations", "host",
    "transactional_ids", "idempotent", "offsets", "value_schema", "key_schema"})
SECTION_NAMES = ["a", "b", "c", "t1", "shop.orders", "User:x", "User:orders-service", "prefix:shop.", "*", "latest",
                 "AVRO", "PROTOBUF", "JSON", "BACKWARD", "NONE", "SCRAM-SHA-256", "SCRAM-SHA-512", "READ", "WRITE",
                 "ALL", "cluster", "group", "topic", "prefixed", "literal", "warning", "error", "dev"]
section_scalars = st.one_of(scalars, st.sampled_from(SECTION_NAMES))
section_values = st.recursive(section_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3),
    st.dictionaries(st.sampled_from(SECTION_KEYS + SECTION_NAMES), inner, max_size=3)), max_leaves=6)

# section -> (seed, the document paths under which it is mutated: a key at the top, or (list, key) for the key of
# every entry of a list, e.g. each resource's `cluster:`)
SECTIONS = {
    "clusters": (CLUSTERS_SEED, [("clusters",), ("environments", "dev", "clusters")]),
    "cluster-of-an-entry": (CLUSTERS_SEED, [(lst, "cluster") for lst in
                                            ("topics", "connectors", "subjects", "users", "quotas", "acls")]),
    "policy": (SECTIONS_SEED, [("policy",)]),
    "subjects": (SECTIONS_SEED, [("subjects",), ("topics", "value_schema")]),
    "offsets": (SECTIONS_SEED, [("connectors", "offsets"), ("environments", "dev", "connectors")]),
    "acls": (SECTIONS_SEED, [("acls",)]),
    "users": (SECTIONS_SEED, [("users",)]),
    "quotas": (SECTIONS_SEED, [("quotas",)]),
}


def _targets(doc: dict, where: tuple) -> list[tuple]:
    """The paths in `doc` under `where`: a path of mapping keys, or (list, key) for that key of each entry."""
    if len(where) == 2 and isinstance(doc.get(where[0]), list):
        return [(where[0], i, where[1]) for i, entry in enumerate(doc[where[0]]) if isinstance(entry, dict)]
    node = doc
    for key in where:
        if not isinstance(node, dict) or key not in node:
            return []
        node = node[key]
    return [where]


# Each seed parsed once (pure-Python PyYAML: parsing SECTIONS_SEED for every example was half of a section's draw)
SECTION_DOCS = {section: yaml.safe_load(seed) for section, (seed, _) in SECTIONS.items()}


@st.composite
def mutated_section(draw, section: str):
    wheres = SECTIONS[section][1]
    doc = copy.deepcopy(SECTION_DOCS[section])
    for _ in range(draw(st.integers(1, 3))):
        roots = [t for w in wheres for t in _targets(doc, w)]
        if not roots:
            break
        root = draw(st.sampled_from(roots))
        node = doc
        for key in root[:-1]:
            node = node[key]
        if root[-1] not in node:  # e.g. an entry's `cluster:` a mutation removed: set it again
            node[root[-1]] = draw(section_values)
            continue
        paths = [root + p for p in _paths(node[root[-1]])]
        path = draw(st.sampled_from(paths))
        parent = doc
        for key in path[:-1]:
            parent = parent[key]
        how = draw(st.sampled_from(["replace", "replace", "delete", "add"]))
        if how == "delete" and isinstance(parent, dict) and len(path) > 1:
            del parent[path[-1]]
        elif how == "add" and isinstance(parent[path[-1]], dict):
            parent[path[-1]][draw(st.sampled_from(SECTION_KEYS + SECTION_NAMES))] = draw(section_values)
        elif how == "add" and isinstance(parent[path[-1]], list):
            parent[path[-1]].append(draw(section_values))
        else:
            parent[path[-1]] = draw(section_values)
    return doc, draw(st.sampled_from([None, "dev"]))


@pytest.mark.parametrize("section", sorted(SECTIONS))
def test_mutated_sections_never_crash(section):
    @settings(max_examples=int(os.environ.get("KPLAN_FUZZ_EXAMPLES", "60")), deadline=None,
              derandomize=not os.environ.get("KPLAN_FUZZ_RANDOM"),
              database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large])
    @given(mutated_section(section))
    def run(case):
        doc, environment = case
        with tempfile.TemporaryDirectory() as d:
            check_stack(Path(d), yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), environment)

    run()


@pytest.mark.parametrize("section", sorted(SECTIONS))
def test_each_section_seed_is_valid(tmp_path, section):
    """The seeds are valid stacks: the mutants' errors come from the mutations."""
    runs, _ = check_stack(tmp_path, SECTIONS[section][0])
    assert runs[0][0] == 0, runs[0][1]


POLICY_FILE_SEED = yaml.safe_load((ROOT / "stacks" / "policies" / "platform.yaml").read_text())


@st.composite
def mutated_policy_files(draw):
    doc = copy.deepcopy(POLICY_FILE_SEED)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(list(_paths(doc))))
        if not path:
            doc = draw(section_values) if draw(st.integers(0, 9)) == 0 else doc
            if not isinstance(doc, dict):
                break
            continue
        parent = doc
        for key in path[:-1]:
            parent = parent[key]
        how = draw(st.sampled_from(["replace", "replace", "delete", "add"]))
        if how == "delete" and isinstance(parent, dict):
            del parent[path[-1]]
        elif how == "add" and isinstance(parent[path[-1]], dict):
            parent[path[-1]][draw(st.sampled_from(SECTION_KEYS + SECTION_NAMES))] = draw(section_values)
        elif how == "add" and isinstance(parent[path[-1]], list):
            parent[path[-1]].append(draw(section_values))
        else:
            parent[path[-1]] = draw(section_values)
    return doc


@settings(max_examples=int(os.environ.get("KPLAN_FUZZ_EXAMPLES", "60")), deadline=None,
          derandomize=not os.environ.get("KPLAN_FUZZ_RANDOM"),
          database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large])
@given(mutated_policy_files())
def test_mutated_policy_files_never_crash(policy):
    """A shared policy file (`policy: {files: [...]}`) with wrong-typed values: its errors are located in it."""
    with tempfile.TemporaryDirectory() as d:
        directory = Path(d)
        (directory / "platform.yaml").write_text(yaml.safe_dump(policy, sort_keys=False, allow_unicode=True))
        path = directory / "stack.yaml"
        path.write_text("stack: s\ncluster: {bootstrap_servers: 'localhost:9092'}\npolicy: {files: [platform.yaml]}\n"
                        "topics:\n  - {name: shop.orders, partitions: 1, replication_factor: 1}\n")
        (directory / "live.json").write_text(json.dumps(LIVE))
        for code, output in (run_kplan("validate", str(path)),
                             run_kplan("plan", str(path), "--live-state", str(directory / "live.json"))):
            assert "internal error" not in output and "Traceback" not in output, output
            assert code in (0, 1, 2), (code, output)
            located = re.compile(rf"({re.escape(str(path))}|{re.escape(str(directory / 'platform.yaml'))})"
                                 r"(:\d+:\d+)?(:| \[)")
            for line in output.splitlines():
                if line.startswith("Error: "):
                    assert located.match(line[len("Error: "):]), line
