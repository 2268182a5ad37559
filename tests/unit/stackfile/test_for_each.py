"""`for_each` (issue 43 item 5): an entry of any section expanded once per item of a list or mapping — names and
values from `${each.key}` / `${each.value...}`, per-item `overrides`, environment overlays by the expanded name,
every error located at the for_each entry and naming the item, `kplan render` showing the expansions."""

from __future__ import annotations

import json
import textwrap

import jsonschema
import pytest
from click.testing import CliRunner

from kplan.cli import cli
from kplan.stackfile import validate_stack
from kplan.stackfile.schema import load_schema, strict_schema

HEAD = textwrap.dedent("""\
    stack: s
    cluster:
      bootstrap_servers: localhost:9092
      connect_url: http://localhost:8083
      schema_registry: {url: "http://localhost:8081"}
    defaults:
      topic: {partitions: 1, replication_factor: 1}
    """)


def write(tmp_path, body: str, name: str = "stack.yaml"):
    path = tmp_path / name
    path.write_text(HEAD + textwrap.dedent(body))
    return path


def load(tmp_path, body: str, env: str | None = None, environ: dict | None = None):
    stack, diags = validate_stack(write(tmp_path, body), env, environ or {})
    assert stack is not None, [d.located() for d in diags]
    return stack


def errors(tmp_path, body: str, env: str | None = None, environ: dict | None = None) -> list[str]:
    """Each error as `line:column: path: message` (the file left out)."""
    stack, diags = validate_stack(write(tmp_path, body), env, environ or {})
    found = [d for d in diags if d.is_error]
    assert stack is None and found
    return [d.located().split(":", 1)[1] for d in found]


def topics(stack) -> dict:
    return {t.name: t for t in stack.of("topics")}


# -- lists, mappings, values --------------------------------------------------------------------------------------

def test_a_list_expands_into_one_entry_per_item(tmp_path):
    stack = load(tmp_path, """\
        vars:
          tenants: [acme, globex, initech]
        topics:
          - for_each: ${tenants}
            name: "orders.${each.key}"
            partitions: ${each.value.partitions:-6}
            config: {retention.ms: 7d}
            owner: "team-${each.value}"
          - name: plain
        """)
    got = topics(stack)
    assert sorted(got) == ["orders.acme", "orders.globex", "orders.initech", "plain"]
    assert got["orders.acme"].partitions == 6  # a list item has no keys: the default
    assert got["orders.globex"].config["retention.ms"] == "604800000"
    assert stack.metadata[("topics", "orders.initech")].owner == "team-initech"  # each.value: the item itself
    assert all(got[f"orders.{t}"].origin.line == 11 for t in ("acme", "globex", "initech"))


def test_a_mapping_gives_each_key_and_typed_values(tmp_path):
    stack = load(tmp_path, """\
        vars:
          tenants:
            acme: {partitions: 12, retention: 3d, rf: "1"}
            globex: {}
            initech:
        topics:
          - for_each: ${tenants}
            name: "orders.${each.key}"
            partitions: ${each.value.partitions:-3}
            replication_factor: ${each.value.rf:-1}
            config: {retention.ms: "${each.value.retention:-7d}"}
        """)
    got = topics(stack)
    assert {n: t.partitions for n, t in got.items()} == {"orders.acme": 12, "orders.globex": 3, "orders.initech": 3}
    assert got["orders.acme"].replication_factor == 1  # a plain reference is typed like a variable's
    assert got["orders.acme"].config["retention.ms"] == "259200000"
    assert got["orders.globex"].config["retention.ms"] == "604800000"


def test_nested_values_whole_mappings_and_dotted_keys(tmp_path):
    stack = load(tmp_path, """\
        vars:
          regions:
            eu: {kafka: {partitions: 4, config: {retention.ms: 1d, cleanup.policy: compact}}}
            us: {kafka: {partitions: 2, config: {retention.ms: 2d}}}
        topics:
          - for_each: ${regions}
            name: "events.${each.key}"
            partitions: ${each.value.kafka.partitions}
            config: ${each.value.kafka.config}
          - for_each: ${regions}
            name: "audit.${each.key}"
            config: {retention.ms: "${each.value.kafka.config.retention.ms}"}
        """)
    got = topics(stack)
    assert got["events.eu"].partitions == 4 and got["events.us"].partitions == 2
    assert dict(got["events.eu"].config) == {"retention.ms": "86400000", "cleanup.policy": "compact"}
    assert dict(got["events.us"].config) == {"retention.ms": "172800000"}
    assert got["audit.us"].config["retention.ms"] == "172800000"  # `retention.ms`: a key with a dot


def test_inline_lists_and_mappings_and_variables_inside_them(tmp_path):
    stack = load(tmp_path, """\
        vars:
          extra: initech
          big: 9
        topics:
          - for_each: [acme, "${extra}"]
            name: "a.${each.key}"
          - for_each: {eu: {partitions: "${big}"}, us: {partitions: 2}}
            name: "b.${each.key}"
            partitions: ${each.value.partitions}
        """)
    got = topics(stack)
    assert sorted(got) == ["a.acme", "a.initech", "b.eu", "b.us"]
    assert got["b.eu"].partitions == 9 and got["b.us"].partitions == 2


def test_integer_items(tmp_path):
    stack = load(tmp_path, """\
        broker_configs:
          - for_each: [1, 2, 3]
            broker: ${each.key}
            configs: {log.cleaner.threads: 2}
        """)
    assert [b.name for b in stack.of("broker_configs")] == ["1", "2", "3"]


def test_an_empty_list_or_mapping_makes_no_resources(tmp_path):
    stack = load(tmp_path, """\
        vars:
          none: []
        topics:
          - for_each: ${none}
            name: "x.${each.key}"
          - for_each: {}
            name: "y.${each.key}"
          - name: kept
        """)
    assert list(topics(stack)) == ["kept"]


def test_escapes_and_secret_references_are_left_for_later(tmp_path):
    stack = load(tmp_path, """\
        vars:
          tenants: {ACME: {}, GLOBEX: {}}
        users:
          - for_each: ${tenants}
            name: "${each.key}"
            password: "${secret:env:${each.key}_PASSWORD}"
        connectors:
          - for_each: ${tenants}
            name: "sink-${each.key}"
            class: FileStreamSink
            config:
              topics: "t.${each.key}"
              file: /tmp/out
              connection.password: ${secret:env:SHARED_PASSWORD}
              literal: "$${each.key} and ${file:/etc/x.properties:k}"
        """, environ={"ACME_PASSWORD": "never-shown", "SHARED_PASSWORD": "nor-this"})
    users = {u.name: u for u in stack.of("users")}
    assert users["ACME"].password == "${secret:env:ACME_PASSWORD}"  # built per item, resolved at the edge
    assert users["GLOBEX"].password == "${secret:env:GLOBEX_PASSWORD}"
    conns = {c.name: c for c in stack.of("connectors")}
    assert conns["sink-ACME"].config["connection.password"] == "${secret:env:SHARED_PASSWORD}"
    assert conns["sink-ACME"].config["literal"] == "${each.key} and ${file:/etc/x.properties:k}"  # substituted once


def test_a_variable_may_use_the_item(tmp_path):
    stack = load(tmp_path, """\
        vars:
          tenants: [acme]
          topic_of: "orders.${each.key}"
        topics:
          - for_each: ${tenants}
            name: ${topic_of}
        """)
    assert list(topics(stack)) == ["orders.acme"]


# -- overrides ------------------------------------------------------------------------------------------------------

def test_overrides_merge_over_one_items_expansion(tmp_path):
    stack = load(tmp_path, """\
        vars:
          tenants: [acme, globex, initech]
        topics:
          - for_each: ${tenants}
            name: "orders.${each.key}"
            partitions: 3
            config: {retention.ms: 7d, cleanup.policy: delete}
            overrides:
              acme: {partitions: 24, config: {retention.ms: 30d}}
              globex: {config: {cleanup.policy: null}, protect: true}
              initech: {name: "legacy-${each.key}"}
        """)
    got = topics(stack)
    assert sorted(got) == ["legacy-initech", "orders.acme", "orders.globex"]
    assert got["orders.acme"].partitions == 24
    assert dict(got["orders.acme"].config) == {"retention.ms": "2592000000", "cleanup.policy": "delete"}
    assert dict(got["orders.globex"].config) == {"retention.ms": "604800000"}  # null removes the key
    assert got["orders.globex"].protect and not got["orders.acme"].protect
    assert got["legacy-initech"].partitions == 3


def test_an_error_in_an_override_is_located_at_the_override(tmp_path):
    assert errors(tmp_path, """\
        topics:
          - for_each: [acme, globex]
            name: "o.${each.key}"
            overrides:
              globex: {partitions: 0}
        """) == ['12:28: topics[0] (for_each item "globex").partitions: must be at least 1 (got 0)']


def test_override_errors(tmp_path):
    assert errors(tmp_path, """\
        topics:
          - for_each: [acme, globex]
            name: "o.${each.key}"
            overrides:
              acmee: {partitions: 2}
              globex: 3
          - name: p
            overrides: {acme: {partitions: 2}}
          - for_each: [a]
            name: "q.${each.key}"
            overrides: [a]
        """) == [
        '12:7: topics[0].overrides.acmee: overrides names "acmee", which is not a for_each item (items: "acme", '
        '"globex") (did you mean "acme"?)',
        "13:15: topics[0].overrides.globex: the override of \"globex\" must be a mapping of the entry's keys (not "
        "for_each or overrides)",
        "15:5: topics[1].overrides: overrides is only allowed in an entry with for_each (it overrides keys of one "
        "item's expansion)",
        "18:16: topics[2].overrides: overrides must be a mapping of for_each items to the keys they override (got a "
        "list)"]



def test_stray_overrides_in_a_section_without_for_each(tmp_path):
    assert errors(tmp_path, """\
        topics:
          - name: p
            overrides: {acme: {partitions: 2}}
          - name: q
        """) == ["10:5: topics[0].overrides: overrides is only allowed in an entry with for_each (it overrides keys "
                 "of one item's expansion)"]

# -- errors, each at the for_each entry and naming the item ---------------------------------------------------------

def test_a_schema_error_names_the_entry_and_the_item(tmp_path):
    assert errors(tmp_path, """\
        vars:
          tenants: {acme: {partitions: 0}, globex: {partitions: 2}, initech: {partitions: -1}}
        topics:
          - name: first
          - for_each: ${tenants}
            name: "orders.${each.key}"
            partitions: ${each.value.partitions}
            replicas: 3
        """) == [
        '14:17: topics[1] (for_each item "acme").partitions: must be at least 1 (got 0)',
        '14:17: topics[1] (for_each item "initech").partitions: must be at least 1 (got -1)',
        '15:5: topics[1] (for_each item "acme").replicas: unknown key "replicas"',
        '15:5: topics[1] (for_each item "globex").replicas: unknown key "replicas"',
        '15:5: topics[1] (for_each item "initech").replicas: unknown key "replicas"']


def test_a_semantic_error_names_the_entry_and_the_item(tmp_path):
    assert errors(tmp_path, """\
        topics:
          - for_each: [ok, "bad name"]
            name: "${each.key}"
            config: {retention.msec: 1}
        """) == [
        '10:11: topics[0] (for_each item "bad name").name: may only contain letters, digits, \'.\', \'_\' and \'-\' '
        '(got string "bad name")',
        '11:14: topics[0] (for_each item "bad name").config.retention.msec: unknown topic config "retention.msec" '
        '(did you mean "retention.ms"?)',
        '11:14: topics[0] (for_each item "ok").config.retention.msec: unknown topic config "retention.msec" '
        '(did you mean "retention.ms"?)']


def test_a_missing_value_of_an_item(tmp_path):
    assert errors(tmp_path, """\
        topics:
          - for_each: {acme: {partitions: 2}, globex: {}}
            name: "orders.${each.key}"
            partitions: ${each.value.partitions}
        """) == ['11:17: topics[0] (for_each item "globex").partitions: the for_each item\'s value has no '
                 "'partitions' for ${each.value.partitions} (give a default: ${each.value.partitions:-value})"]


@pytest.mark.parametrize("value,message", [
    ("acme", '10:15: topics[0].for_each: for_each must be a list or a mapping of items (got string "acme"), e.g. '
             "[acme, globex] or {acme: {partitions: 12}, globex: {}}"),
    ("${one}", "10:15: topics[0].for_each: for_each must be a list or a mapping of items (got integer 1), e.g. "
               "[acme, globex] or {acme: {partitions: 12}, globex: {}}"),
    ("", "10:5: topics[0].for_each: for_each must be a list or a mapping of items (got null), e.g. [acme, globex] "
         "or {acme: {partitions: 12}, globex: {}}"),
    ("${missing}", '10:15: topics[0].for_each: undefined variable "missing" (set it in vars or in the environment, or '
                   "give a default: ${missing:-value})"),
    ("[a, {b: 1}]", "10:19: topics[0].for_each[1]: for_each list items must be strings or integers (item 1 is a "
                    "mapping); for values per item use a mapping: {acme: {partitions: 12}}"),
    ("[a, b, a]", '10:22: topics[0].for_each[2]: for_each lists "a" twice (items 0 and 2): each item makes its own '
                  "entries, so items must be unique"),
    ("${dup}", '10:15: topics[0].for_each[2]: for_each lists "x" twice (items 0 and 2): each item makes its own '
               "entries, so items must be unique"),
])
def test_a_for_each_that_is_no_list_or_mapping_is_one_located_error(tmp_path, value, message):
    assert errors(tmp_path, f"""\
        vars: {{one: 1, dup: [x, y, x]}}
        topics:
          - for_each: {value}
            name: "t.${{each.key}}"
        """) == [message]


def test_each_outside_a_for_each_entry_is_one_located_error(tmp_path):
    assert errors(tmp_path, """\
        topics:
          - name: "orders.${each.key}"
          - name: orders
            partitions: ${each.value.partitions:-3}
        environments:
          prod:
            topics: {orders: {partitions: "${each.value}"}}
        """, env="prod") == [
        "9:11: topics[0].name: ${each.key} is only defined in an entry with for_each (the item it expands for)",
        "11:17: topics[1].partitions: ${each.value.partitions} is only defined in an entry with for_each (the item it "
        "expands for)",
        "14:35: environments.prod.topics.orders.partitions: ${each.value} is only defined in an entry with for_each "
        "(the item it expands for)"]


def test_a_malformed_each_reference(tmp_path):
    assert errors(tmp_path, """\
        topics:
          - for_each: [a]
            name: "t.${each.item}"
        """) == ['10:11: topics[0] (for_each item "a").name: invalid reference ${each.item}: a for_each entry\'s item '
                 "is ${each.key}, ${each.value} or ${each.value.<key>}"]


def test_a_list_variable_inside_a_string_is_an_error(tmp_path):
    assert errors(tmp_path, """\
        vars: {tenants: [a, b]}
        topics:
          - name: "t.${tenants}"
        """) == ["10:11: topics[0].name: ${tenants} is a list: it can only be a whole value (e.g. `for_each: "
                 "${tenants}`), not part of a string"]


def test_the_expansion_is_limited(tmp_path, monkeypatch):
    from kplan.stackfile import for_each

    monkeypatch.setattr(for_each, "MAX_VALUES", 20)
    assert errors(tmp_path, """\
        topics:
          - for_each: [a, b, c, d, e, f]
            name: "t.${each.key}"
            config: {retention.ms: 1d, cleanup.policy: delete}
        """) == ["9:15: topics[0].for_each: the for_each entries expand to more than 20 values (this one: 6 items "
                 "of 5 values each): use fewer items, or split the stack"]


# -- duplicates -----------------------------------------------------------------------------------------------------

def test_two_items_expanding_to_one_name_point_at_the_entry_and_name_both_items(tmp_path):
    assert errors(tmp_path, """\
        topics:
          - name: orders.globex
          - for_each: [acme, globex]
            name: "orders.${each.key}"
          - for_each: [x, y]
            name: same
        acls:
          - for_each: [x, y]
            principal: User:same
            produce: [same]
        """) == [
        '10:5: topics[1] (for_each item "globex"): duplicate topic "orders.globex": the topic (for_each item '
        f'"globex") collides with the topic at {tmp_path / "stack.yaml"}:9',
        '12:5: topics[2] (for_each item "y"): duplicate topic "same": the topic (for_each item "y") collides with the '
        f'topic (for_each item "x") at {tmp_path / "stack.yaml"}:12',
        f'15:5: acls[0] (for_each item "y"): principal "User:same" is declared twice (also at {tmp_path / "stack.yaml"}'
        ":15); declare each principal's ACLs in one entry"]


# -- environments, directories, render ------------------------------------------------------------------------------

ENVS = """\
    vars:
      tenants: [acme, globex]
    topics:
      - for_each: ${tenants}
        name: "orders.${each.key}"
        partitions: 3
    environments:
      prod:
        vars: {tenants: [acme, globex, initech]}
        topics:
          orders.initech: {partitions: 12}
      dev:
        topics:
          orders.initech: {partitions: 1}
    """


def test_an_overlay_names_the_expanded_resource_and_may_change_the_list(tmp_path):
    base = load(tmp_path, ENVS.replace("  dev:\n    topics:\n      orders.initech: {partitions: 1}\n", ""))
    assert sorted(topics(base)) == ["orders.acme", "orders.globex"]
    prod = load(tmp_path, ENVS, env="prod")
    assert {n: t.partitions for n, t in topics(prod).items()} == {"orders.acme": 3, "orders.globex": 3,
                                                                 "orders.initech": 12}
    # dev has no initech: overriding it is the usual error for an overlay of an undeclared resource
    assert errors(tmp_path, ENVS, env="dev") == [
        '21:7: environments.dev.topics.orders.initech: environment "dev" overrides topic "orders.initech", which the '
        'stack does not declare (did you mean "orders.acme"?)']


def test_the_process_environment_and_directory_stacks(tmp_path):
    (tmp_path / "a.yaml").write_text(HEAD + "vars:\n  tenants: {acme: {partitions: 2}}\n")
    (tmp_path / "b.yaml").write_text(textwrap.dedent("""\
        topics:
          - for_each: ${tenants}
            name: "${PREFIX:-t}.${each.key}"
            partitions: ${each.value.partitions}
        """))
    stack, diags = validate_stack(tmp_path, environ={"PREFIX": "p"})
    assert diags == [] and {t.name: t.partitions for t in stack.of("topics")} == {"p.acme": 2}
    assert stack.of("topics")[0].origin.file.endswith("b.yaml")


def test_owners_per_item(tmp_path):
    stack = load(tmp_path, """\
        vars:
          tenants: [acme, globex]
        topics:
          - for_each: ${tenants}
            name: "orders.${each.key}"
            owner: "team-${each.key}"
        quotas:
          - for_each: ${tenants}
            user: "${each.key}"
            producer_byte_rate: 1MiB
            owner: "team-${each.key}"
        acls:
          - for_each: ${tenants}
            principal: "User:${each.key}"
            produce: ["orders.${each.key}"]
            labels: {tenant: "${each.key}"}
        """)
    meta = {k: v for k, v in stack.metadata.items()}
    assert meta[("topics", "orders.acme")].owner == "team-acme"
    assert meta[("topics", "orders.globex")].owner == "team-globex"
    assert meta[("quotas", "user=acme")].owner == "team-acme"
    assert meta[("quotas", "user=globex")].owner == "team-globex"
    assert dict(meta[("acls", "User:globex")].labels) == {"tenant": "globex"}


def test_render_shows_the_expanded_entries(tmp_path):
    path = write(tmp_path, """\
        vars:
          tenants: {acme: {partitions: 4}, globex: {}}
        topics:
          - for_each: ${tenants}
            name: "orders.${each.key}"
            partitions: ${each.value.partitions:-1}
        acls:
          - for_each: ${tenants}
            principal: "User:${each.key}"
            consume: {topics: ["orders.${each.key}"], groups: ["${each.key}"]}
        """)
    r = CliRunner().invoke(cli, ["render", str(path), "--format", "json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.output)
    assert [(t["name"], t["partitions"], t["origin"]["at"]) for t in doc["topics"]] == [
        ("orders.acme", 4, f"{path}:11"), ("orders.globex", 1, f"{path}:11")]
    assert {a["principal"]: a["bindings"] for a in doc["acls"]} == {
        "User:acme": ["allow READ on group acme", "allow DESCRIBE on topic orders.acme",
                      "allow READ on topic orders.acme"],
        "User:globex": ["allow READ on group globex", "allow DESCRIBE on topic orders.globex",
                        "allow READ on topic orders.globex"]}
    assert "for_each" not in r.output and "each." not in r.output


# -- every section --------------------------------------------------------------------------------------------------

EVERY = """\
    vars:
      tenants: {acme: {}, globex: {}}
    topics:
      - for_each: ${tenants}
        name: "orders.${each.key}"
    connectors:
      - for_each: ${tenants}
        name: "sink-${each.key}"
        class: FileStreamSink
        config: {topics: "orders.${each.key}", file: "/tmp/${each.key}.out"}
    cdc:
      - for_each: ${tenants}
        name: "src-${each.key}"
        engine: postgres
        connection: {host: db, user: u, password: "${secret:env:PG_PASSWORD}", database: "${each.key}"}
        topic_prefix: "${each.key}"
        tables: [users]
    acls:
      - for_each: ${tenants}
        principal: "User:${each.key}"
        produce: ["orders.${each.key}"]
    users:
      - for_each: ${tenants}
        name: "${each.key}"
        password: "${secret:env:PASSWORD}"
    quotas:
      - for_each: ${tenants}
        user: "${each.key}"
        producer_byte_rate: 1MiB
    consumer_groups:
      - for_each: ${tenants}
        name: "${each.key}-group"
        delete: {request: r1}
    streams_apps:
      - for_each: ${tenants}
        application_id: "${each.key}-app"
        principal: "User:${each.key}-streams"
        inputs: ["orders.${each.key}"]
    subjects:
      - for_each: ${tenants}
        name: "orders.${each.key}-value"
        schema: '"string"'
    broker_configs:
      - for_each: [1, 2]
        broker: ${each.key}
        configs: {log.cleaner.threads: 2}
    claims:
      - for_each: ${tenants}
        prefix: "${each.key}."
    """


def test_every_section_expands(tmp_path):
    stack = load(tmp_path, EVERY)
    names = {k: sorted(s.name for s in stack.of(k)) for k in stack.kinds}
    assert names == {
        "topics": ["acme.public.users", "globex.public.users", "orders.acme", "orders.globex"],
        "connectors": ["sink-acme", "sink-globex", "src-acme", "src-globex"],
        "acls": ["User:acme", "User:globex"],
        "users": ["acme", "globex"],
        "quotas": ["user=acme", "user=globex"],
        "consumer_groups": ["acme-group", "globex-group"],
        "streams_apps": ["acme-app", "globex-app"],
        "subjects": ["orders.acme-value", "orders.globex-value"],
        "broker_configs": ["1", "2"]}
    assert sorted(c.prefix for c in stack.claims) == ["acme.", "globex."]
    src = {c.name: c for c in stack.of("connectors")}["src-globex"]
    assert src.config["database.dbname"] == "globex" and src.config["database.password"] == "${secret:env:PG_PASSWORD}"


def test_the_editor_schema_accepts_for_each_in_every_section_and_the_strict_one_never(tmp_path):
    import yaml

    doc = yaml.safe_load(HEAD + textwrap.dedent(EVERY))
    doc["topics"][0]["overrides"] = {"acme": {"partitions": 3}}
    doc["topics"][0]["partitions"] = "${each.value.partitions:-6}"
    doc["topics"][0]["config"] = {"retention.ms": "${each.value.retention.ms}"}
    editor = jsonschema.Draft202012Validator(load_schema())
    assert [e.message for e in editor.iter_errors(doc)] == []
    strict = jsonschema.Draft202012Validator(strict_schema(load_schema()))
    flagged = {tuple(e.absolute_path)[:1] for e in strict.iter_errors(doc) if e.validator == "additionalProperties"}
    assert {p[0] for p in flagged} >= {"topics", "connectors", "cdc", "acls", "users", "quotas", "consumer_groups",
                                       "streams_apps", "subjects", "broker_configs", "claims"}
    bad = {**doc, "topics": [{"for_each": 3, "name": "x"}]}
    assert [e.json_path for e in editor.iter_errors(bad)] == ["$.topics[0].for_each"]


def test_regions_on_several_clusters(tmp_path):
    path = tmp_path / "stack.yaml"
    path.write_text(textwrap.dedent("""\
        stack: regions
        vars:
          regions: {eu: {partitions: 6}, us: {partitions: 3}}
        clusters:
          eu: {bootstrap_servers: "eu:9092"}
          us: {bootstrap_servers: "us:9092"}
        defaults:
          topic: {replication_factor: 1}
        topics:
          - for_each: ${regions}
            cluster: ${each.key}
            name: orders
            partitions: ${each.value.partitions}
          - for_each: ${regions}
            cluster: ${each.key}
            name: orders
            partitions: 1
        """))
    stack, diags = validate_stack(path, environ={})
    assert [d.located().split(":", 1)[1] for d in diags] == [
        '14:5: topics[1] (for_each item "eu"): duplicate topic "orders": the topic (for_each item "eu") collides with '
        f'the topic (for_each item "eu") at {path}:10',
        '14:5: topics[1] (for_each item "us"): duplicate topic "orders": the topic (for_each item "us") collides with '
        f'the topic (for_each item "us") at {path}:10']
    path.write_text(path.read_text().rsplit("  - for_each", 1)[0])
    stack, diags = validate_stack(path, environ={})
    assert diags == []
    assert {(m.cluster_name, t.name, t.partitions) for m in stack.members for t in m.of("topics")} == {
        ("eu", "orders", 6), ("us", "orders", 3)}
