"""Per-table CDC expansion: engine templates, topic naming, schema history, signals, overrides, errors."""

import textwrap

import pytest

from kplan.stackfile import validate_stack
from kplan.stackfile.cdc import server_id_for

HEAD = textwrap.dedent("""\
    stack: s
    cluster: {bootstrap_servers: "k:9092", connect_url: "http://c:8083"}
    defaults:
      topic:
        partitions: 1
        replication_factor: 1
        config: {retention.ms: 7d, compression.type: snappy}
    """)


def run(tmp_path, body, env=None, environ=None, template_dirs=(), head=HEAD):
    p = tmp_path / "stack.yaml"
    p.write_text(head + textwrap.dedent(body))
    return validate_stack(p, env, environ or {}, template_dirs)


def ok(tmp_path, body, **kw):
    stack, diags = run(tmp_path, body, **kw)
    assert stack is not None, [d.located() for d in diags]
    return stack


def errs(tmp_path, body, **kw):
    _, diags = run(tmp_path, body, **kw)
    return [d for d in diags if d.severity == "error"]


def source(engine, tables="[users, orders]", extra="", connection=None):
    conn = connection or "{host: db, user: u, password: '${secret:env:PW}', database: app}"
    return textwrap.dedent(f"""\
        cdc:
          - name: src
            engine: {engine}
            connection: {conn}
            topic_prefix: pre
            tables: {tables}
        """) + textwrap.indent(textwrap.dedent(extra), "    ")


def topics(stack):
    return {t.name: t for t in stack.of("topics")}


def test_postgres(tmp_path):
    stack = ok(tmp_path, source("postgres", extra="snapshot_mode: initial\n"))
    (c,) = stack.of("connectors")
    assert c.name == "src"
    assert dict(c.config) == {
        "connector.class": "io.debezium.connector.postgresql.PostgresConnector",
        "database.dbname": "app", "database.hostname": "db", "database.password": "${secret:env:PW}",
        "database.port": "5432", "database.user": "u", "plugin.name": "pgoutput",
        "publication.autocreate.mode": "filtered", "publication.name": "src_pub", "slot.name": "src",
        "snapshot.mode": "initial", "table.include.list": "public.users,public.orders", "tasks.max": "1",
        "topic.prefix": "pre",
    }
    assert sorted(topics(stack)) == ["pre.public.orders", "pre.public.users"]
    assert c.requires_topics == ("pre.public.users", "pre.public.orders")
    assert c.captured_tables == ("public.users", "public.orders")
    assert c.sensitive_keys == frozenset({"database.password"})


def test_mysql_and_mariadb(tmp_path):
    for engine, cls in (("mysql", "io.debezium.connector.mysql.MySqlConnector"),
                        ("mariadb", "io.debezium.connector.mariadb.MariaDbConnector")):
        stack = ok(tmp_path, source(engine, tables="[users, other.events]"))
        (c,) = stack.of("connectors")
        assert c.config["connector.class"] == cls
        assert c.config["database.include.list"] == "app,other"
        assert c.config["table.include.list"] == "app.users,other.events"
        assert c.config["database.server.id"] == str(server_id_for("src"))
        assert c.config["schema.history.internal.kafka.topic"] == "schema-changes.src"
        assert c.config["schema.history.internal.kafka.bootstrap.servers"] == "k:9092"
        assert c.config["database.port"] == "3306"
        assert sorted(topics(stack)) == ["pre.app.users", "pre.other.events", "schema-changes.src"]


def test_mysql_table_without_a_database(tmp_path):
    (d,) = errs(tmp_path, source("mysql", connection="{host: db, user: u, password: p}"))
    assert "table users has no database" in d.message and d.address == "cdc[0].tables"


def test_sqlserver(tmp_path):
    stack = ok(tmp_path, source("sqlserver", tables="[customers, sales.orders]"))
    (c,) = stack.of("connectors")
    assert c.config["connector.class"] == "io.debezium.connector.sqlserver.SqlServerConnector"
    assert c.config["database.names"] == "app"
    assert c.config["table.include.list"] == "dbo.customers,sales.orders"
    assert sorted(topics(stack)) == ["pre.app.dbo.customers", "pre.app.sales.orders", "schema-changes.src"]
    assert c.captured_tables == ("app.dbo.customers", "app.sales.orders")


def test_oracle(tmp_path):
    conn = "{host: db, user: u, password: p, database: ORCLCDB, pdb: ORCLPDB1}"
    stack = ok(tmp_path, source("oracle", tables="[INVENTORY.CUSTOMERS]", connection=conn))
    (c,) = stack.of("connectors")
    assert c.config["connector.class"] == "io.debezium.connector.oracle.OracleConnector"
    assert (c.config["database.dbname"], c.config["database.pdb.name"]) == ("ORCLCDB", "ORCLPDB1")
    assert c.config["table.include.list"] == "INVENTORY.CUSTOMERS"
    assert sorted(topics(stack)) == ["pre.INVENTORY.CUSTOMERS", "schema-changes.src"]
    assert c.captured_tables == ("ORCLPDB1.INVENTORY.CUSTOMERS",)
    (d,) = errs(tmp_path, source("oracle", tables="[CUSTOMERS]", connection=conn))
    assert "has no schema" in d.message


def test_schema_history_topic(tmp_path):
    stack = ok(tmp_path, source("mysql", extra="""\
        topic_defaults: {replication_factor: 3, config: {min.insync.replicas: 2}}
        """))
    h = topics(stack)["schema-changes.src"]
    # protected by its source (destroy deletes it with the connector), not by the user's protect: true
    assert (h.partitions, h.replication_factor, h.protect, h.protected_by) == (1, 3, False, "src")
    assert dict(h.config) == {"cleanup.policy": "delete", "min.insync.replicas": "2", "retention.bytes": "-1",
                              "retention.ms": "-1"}
    assert (h.origin.cdc_source, h.origin.role, h.origin.table) == ("src", "schema-history", None)


def test_schema_history_settings(tmp_path):
    stack = ok(tmp_path, source("mysql", extra="""\
        schema_history: {topic: dbhistory.src, bootstrap_servers: [kafka:29092]}
        """))
    (c,) = stack.of("connectors")
    assert c.config["schema.history.internal.kafka.topic"] == "dbhistory.src"
    assert c.config["schema.history.internal.kafka.bootstrap.servers"] == "kafka:29092"
    assert "dbhistory.src" in topics(stack)


def test_topic_settings_precedence(tmp_path):
    stack = ok(tmp_path, """\
        environments:
          prod:
            topics:
              app.public.orders: {partitions: 12}
        cdc:
          - name: pg
            engine: postgres
            connection: {host: h, user: u, password: p, database: app}
            topic_prefix: app
            topic_defaults: {config: {retention.ms: 1d}}
            tables:
              - users
              - name: orders
                topic:
                  partitions: 6
                  config: {compression.type: zstd, retention.ms: 3d}
        """, env="prod")
    t = topics(stack)
    assert (t["app.public.users"].partitions, dict(t["app.public.users"].config)) == (
        1, {"compression.type": "snappy", "retention.ms": "86400000"})
    assert (t["app.public.orders"].partitions, dict(t["app.public.orders"].config)) == (
        12, {"compression.type": "zstd", "retention.ms": "259200000"})
    o = t["app.public.orders"].origin
    assert (o.line, o.cdc_source, o.table, o.role) == (20, "pg", "public.orders", "table")


def test_connector_config_precedence(tmp_path):
    head = 'stack: s\ncluster: {bootstrap_servers: "k:9092", connect_url: "http://c:8083"}\n'
    stack = ok(tmp_path, """\
        defaults:
          topic: {partitions: 1, replication_factor: 1}
          connector:
            config: {errors.tolerance: all, plugin.name: decoderbufs}
        cdc:
          - name: pg
            engine: postgres
            connection: {host: h, user: u, password: p, database: app}
            tables: [t]
            connector:
              tasks_max: 1
              state: paused
              protect: true
              config: {slot.name: custom_slot, heartbeat.interval.ms: 10s}
        """, head=head)
    (c,) = stack.of("connectors")
    assert c.config["errors.tolerance"] == "all"  # defaults apply
    assert c.config["plugin.name"] == "pgoutput"  # generated beats defaults
    assert c.config["slot.name"] == "custom_slot"  # declared beats generated
    assert c.config["heartbeat.interval.ms"] == "10000"
    assert c.config["topic.prefix"] == "pg"  # defaults to the source name
    assert c.state.value == "paused" and c.protect


def test_environment_overlay_of_a_source(tmp_path):
    body = source("postgres") + textwrap.dedent("""\
        environments:
          prod:
            cdc:
              src: {connection: {host: prod-db}, snapshot_mode: when_needed}
        """)
    stack = ok(tmp_path, body, env="prod")
    (c,) = stack.of("connectors")
    assert (c.config["database.hostname"], c.config["snapshot.mode"]) == ("prod-db", "when_needed")
    assert c.config["database.dbname"] == "app"  # the rest of the connection stays


def test_snapshot_new_tables_adds_a_signal_topic(tmp_path):
    stack = ok(tmp_path, source("postgres", extra="""\
        snapshot_new_tables: true
        prune_tables: true
        signal: {data_collection: public.debezium_signal}
        """))
    (c,) = stack.of("connectors")
    assert c.snapshot_new_tables and c.prune_tables
    assert c.config["signal.enabled.channels"] == "source,kafka"
    assert c.config["signal.kafka.topic"] == "pre.signal"
    assert c.config["signal.kafka.bootstrap.servers"] == "k:9092"
    assert c.config["signal.data.collection"] == "public.debezium_signal"
    assert dict(c.signal) == {"bootstrap_servers": "k:9092", "data_collection": "public.debezium_signal",
                              "kind": "kafka", "topic": "pre.signal", "key": "pre",
                              "table_topic": "pre.public.debezium_signal"}
    sig = topics(stack)["pre.signal"]
    assert (sig.partitions, sig.origin.role) == (1, "signal")
    assert "pre.signal" in c.requires_topics
    # the signaling table's own topic: Debezium writes its snapshot watermarks there
    table = topics(stack)["pre.public.debezium_signal"]
    assert (table.partitions, table.origin.role) == (1, "signal-table")
    assert "pre.public.debezium_signal" in c.requires_topics


def test_snapshot_new_tables_defaults_the_postgres_signaling_table_and_requires_it_elsewhere(tmp_path):
    stack = ok(tmp_path, source("postgres", extra="snapshot_new_tables: true\n"))
    (c,) = stack.of("connectors")
    assert c.config["signal.data.collection"] == "public.debezium_signal"
    assert "pre.public.debezium_signal" in topics(stack)
    (d,) = errs(tmp_path, source("mysql", extra="snapshot_new_tables: true\n"))
    assert "snapshot_new_tables needs signal.data_collection" in d.message


def test_tables_forms_and_errors(tmp_path):
    stack = ok(tmp_path, source("postgres", tables="[a, s2.b, {name: c, schema: s3}]", extra="schema: s1\n"))
    assert stack.of("connectors")[0].captured_tables == ("s1.a", "s2.b", "s3.c")
    (d,) = errs(tmp_path, source("postgres", tables="[a, public.a]"))
    assert d.message == 'table "public.a" is listed twice (first at line 13)'
    (d,) = errs(tmp_path, source("postgres", tables="[a, b, a]"))
    assert d.message == 'table "a" is listed twice (first at line 13)'
    (d,) = errs(tmp_path, source("postgres", tables="['a,b']"))
    assert "include lists cannot express" in d.message
    (d,) = errs(tmp_path, source("postgres", tables="[x.y.z]"))
    assert "write a table as name or schema.name" in d.message


def test_empty_table_list(tmp_path):
    (d,) = errs(tmp_path, source("postgres", tables="[]"))
    assert (d.address, d.message) == ("cdc[0].tables", "must not be empty")


def test_unknown_engine(tmp_path):
    (d,) = errs(tmp_path, source("postgress"))
    assert d.message == ('unknown CDC engine "postgress" (known: mariadb, mysql, oracle, postgres, sqlserver); '
                         'did you mean "postgres"?')
    assert d.address == "cdc[0].engine"


def test_engine_alias(tmp_path):
    assert ok(tmp_path, source("postgresql")).of("connectors")[0].config["plugin.name"] == "pgoutput"


def test_invalid_snapshot_mode_is_located(tmp_path):
    (d,) = errs(tmp_path, source("postgres", extra="snapshot_mode: schema_only_recovery\n"))
    assert d.address == "cdc[0].snapshot_mode"
    assert d.message.startswith("must be one of always, initial") and "for the postgres engine" in d.message


def test_missing_connection_setting(tmp_path):
    (d,) = errs(tmp_path, source("postgres", connection="{host: db, user: u, password: p}"))
    assert (d.message, d.address, d.line) == (
        "connection.database is required for this engine", "cdc[0].connection", 11)


def test_generated_topic_collides_with_a_declared_one(tmp_path):
    (d,) = errs(tmp_path, "topics: [{name: pre.public.users}]\n" + source("postgres"))
    assert d.message.startswith('duplicate topic "pre.public.users": the topic of table public.users generated by '
                                'cdc source "src" collides with the topic at')


def test_connector_name_collision(tmp_path):
    (d,) = errs(tmp_path, "connectors: [{name: src, class: X}]\n" + source("postgres"))
    assert d.message.startswith('duplicate connector "src"')


def test_unsafe_table_characters_are_sanitized_like_debezium(tmp_path):
    stack = ok(tmp_path, source("postgres", tables="['weird$table']"))
    assert "pre.public.weird_table" in topics(stack)


# ---- user templates ------------------------------------------------------------------------------------------

def test_user_template_adds_an_engine(tmp_path):
    d = tmp_path / "tpl"
    d.mkdir()
    (d / "db2.j2").write_text(textwrap.dedent("""\
        tables:
        {% for t in tables %}
          - id: {{ (t.schema ~ "." ~ t.name) | q }}
            topic: {{ (topic_prefix ~ "." ~ t.schema ~ "." ~ t.name) | q }}
        {% endfor %}
        config:
          connector.class: io.debezium.connector.db2.Db2Connector
          database.hostname: {{ required(connection.host, "connection.host") | q }}
        """))
    stack = ok(tmp_path, source("db2", tables="[S.T]"), template_dirs=[d])
    assert stack.of("connectors")[0].config["connector.class"] == "io.debezium.connector.db2.Db2Connector"
    assert "pre.S.T" in topics(stack)


def test_template_dirs_in_the_stack_override_builtins(tmp_path):
    d = tmp_path / "templates"
    d.mkdir()
    (d / "postgres.j2").write_text('tables:\n{% for t in tables %}\n'
                                   '  - {id: "x.{{ t.name }}", topic: "custom.{{ t.name }}"}\n'
                                   '{% endfor %}\nconfig: {connector.class: my.Postgres}\n')
    stack = ok(tmp_path, "template_dirs: [templates]\n" + source("postgres"))
    assert stack.of("connectors")[0].config["connector.class"] == "my.Postgres"
    assert sorted(topics(stack)) == ["custom.orders", "custom.users"]


def test_missing_template_dir(tmp_path):
    ds = errs(tmp_path, "template_dirs: [nope]\n")
    assert [d.message for d in ds] == [f"template directory not found: {tmp_path / 'nope'}"]


@pytest.mark.parametrize("template,fragment", [
    ("{{ nope.x }}", "'nope' is undefined"),
    ("{% for %}", "syntax error"),
    ("{{ ''.__class__.__mro__ }}", "unsafe operation refused by the sandbox"),
    ("{{ fail('custom refusal') }}", "custom refusal"),
    ("config: [", "its output is not YAML"),
    ("config: {a: b}", "config has no connector.class"),
    ("tables: []\nconfig: {connector.class: X}", "tables must list one entry per table (2)"),
    ("tables: [{id: a}, {id: b}]\nconfig: {connector.class: X}", "each tables entry needs an id and a topic"),
    ("just text", "it must render a mapping with a config mapping"),
])
def test_bad_user_templates_are_diagnostics(tmp_path, template, fragment):
    d = tmp_path / "tpl"
    d.mkdir(exist_ok=True)
    (d / "custom.j2").write_text(template)
    (e,) = errs(tmp_path, source("custom"), template_dirs=[d])
    assert fragment in e.message, e.message
    assert e.address.startswith("cdc[0]")


def test_generated_config_points_at_the_source_fields(tmp_path):
    stack, diags = run(tmp_path,
                       source("postgres", connection="{host: db, user: u, password: plaintext, database: app}"))
    (w,) = [d for d in diags if d.severity == "warning"]
    assert w.address == "cdc[0].connection.password"
    assert w.message.startswith("database.password holds a plaintext secret")
    c = stack.of("connectors")[0]
    assert c.config_origins["database.hostname"].line == 11
    assert c.config_origins["plugin.name"].line == 10  # generated: the engine line
