"""The connector kind's shape (`kplan.kinds.shape`): the keys of its three sections, one row each — `connectors`,
and the `cdc` sources and `mirrors` that expand into connectors — with the definitions they share, their
environment overlays and `defaults.connector`, and a connector as a plan shows it. Its parts of the stack and plan
schemas follow from it. Pure.

What the rows mean to Kafka Connect stays hand code: the config document Connect stores (`section.build_connector`:
class and tasks_max as its keys, the layers merged) and a CDC source's Debezium config (`kplan.stackfile.cdc`).
"""

from __future__ import annotations

from kplan.kinds.shape import (
    BOOLEAN,
    CLUSTER,
    NOTHING,
    Attr,
    Change,
    Shape,
    Type,
    choice,
    either,
    list_of,
    map_of,
    named,
    nullable,
    record,
    ref,
    row,
    scalars,
    text,
    whole,
)

FLAG, CONFIG = ref("flag"), ref("configMap")
NAME_PATTERN = "^[A-Za-z0-9][A-Za-z0-9._-]*$"  # a Connect cluster's name, a mirror's source cluster's
PRINCIPAL = text(pattern="^[A-Za-z][A-Za-z0-9]*:[^*|]+$")
CONNECTOR_NAME = named("connectorName", either(text(1, 249, "^[^/\\\\\\u0000-\\u001f]+$"), ref("varRef")),
                       "Any text without '/', '\\' or control characters.", ("orders-archive",))
TASKS_MAX = named("tasksMax", either(whole(1, 2147483647), ref("varRef")),
                  "tasks.max: 1 to 2,147,483,647 (a Java int in Connect).", (2,), default=1)
STATE = named("connectorState", either(Type({"type": "string", "enum": ["running", "paused", "stopped"]}),
                                       ref("varRef")),
              "The state kplan keeps the connector in: running, paused, or stopped (Kafka Connect's STOPPED: no tasks "
              "run, the config is kept).", ("stopped",), default="running")
PLUGIN_VERSION = named("pluginVersion", Type({**text(1).schema, "x-kafka-versions": "Kafka Connect 4.1 or newer "
                                              "(KIP-891); refused at plan on older workers (any pin but latest)"}),
                       "The version of the connector's plugin to run (connector.plugin.version, KIP-891; Kafka "
                       "Connect 4.1+): a version (exactly that one), a Maven range such as \"[3.6,3.8)\" (the newest "
                       "installed within it) or \"latest\". Plan checks it against the versions installed on the "
                       "Connect worker. Quote it: 4.10 unquoted is the number 4.1. See docs/stack-format.md.",
                       ("3.7.0.Final",))
PORT = named("port", either(whole(1, 65535), ref("varRef")), "A TCP port: 1 to 65,535.", (5432,))
FORMATS = choice(("json", "avro"))
FORMAT = named("cdcFormat", either(FORMATS, record((
    Attr("type", FORMATS, "json or avro.", ("avro",), required=True),
    Attr("converter", choice(("apicurio", "confluent")), "The Avro converters Debezium is given: apicurio or "
         "confluent (default: the registry's own, apicurio for a URL with /apis/ccompat/, else confluent).",
         ("confluent",))))),
    "How Debezium writes change events: json (Connect's default converters) or avro through the stack's schema "
    "registry; converter: apicurio or confluent (default: apicurio for an /apis/ccompat/ URL). See docs/schemas.md.",
    ("avro", {"type": "avro", "converter": "confluent"}))

# -- connectors -------------------------------------------------------------------------------------------------

RESTART_ON_CHANGE = Attr("restart_on_change", FLAG, "Restart the connector and its tasks after apply changes its "
                         "config (otherwise Connect applies the new config as it does on its own).", default=False)
RESTART_FAILED = Attr("restart_failed", FLAG, "Plan a restart of the connector's FAILED connector and tasks (apply "
                      "restarts only those and waits for RUNNING).", change=Change.STEP)
DURATION = named("restartDelay", either(whole(0), text(1)), "A duration: 30s, 5m, 1h, 500ms, or whole milliseconds.",
                 ("30s",))
# what `auto_restart: true` means (Strimzi's autoRestart has no backoff settings: these defaults are kplan's)
BACKOFF = (Attr("initial", DURATION, "The wait before the first restart, doubled before each next one.",
                default="30s"),
           Attr("max", DURATION, "The longest wait.", ("10m",), default="10m"))
RESTART_POLICY = (
    Attr("enabled", FLAG, "false turns a policy off (e.g. in one environment).", (False,), default=True),
    Attr("max_restarts", whole(1, 1000), "Restarts before kplan watch gives up and calls the connector exhausted "
         "(Strimzi's autoRestart.maxRestarts).", (5,), default=7),
    Attr("backoff", either(record(BACKOFF), list_of(DURATION, min_items=1)),
         "The wait before each restart, counted from when the failure was first seen (the first) or from the previous "
         "restart: initial doubled up to max, or a list of waits (the last repeats).",
         ({"initial": "30s", "max": "10m"}, ["10s", "1m", "5m"])),
    Attr("reset_after", DURATION, "How long the connector and its tasks must run healthy after a restart before "
         "the attempts are given back.", default="10m"))
AUTO_RESTART = Attr("auto_restart", either(BOOLEAN, record(RESTART_POLICY)),
    "Let `kplan watch` restart the connector's FAILED connector and tasks (Connect's restart of the failed "
    "instances) on a backoff, at most max_restarts times (true: the defaults). Never a connector declared paused or "
    "stopped. See docs/auto-restart.md.", (True, {"max_restarts": 5, "backoff": {"initial": "30s", "max": "10m"},
                                                  "reset_after": "15m"}))
# The keys a connector's entry, defaults.connector, a CDC source's `connector` and an overlay have alike.
COMMON = (Attr("tasks_max", TASKS_MAX), Attr("state", STATE, plan="Lower-case; live states may also be failed, "
                                             "unassigned, restarting; null when Connect did not report it.",
                                             plan_type=nullable(text()), plan_required=True),
          RESTART_ON_CHANGE, RESTART_FAILED, AUTO_RESTART, Attr("protect", FLAG, "Never delete this connector."),
          Attr("ignore_changes", ref("ignoreChanges")))
OFFSETS = Attr("offsets", ref("offsets"), change=Change.STEP)
SETTINGS = named("connectorSettings", record((*COMMON, Attr(
    "config", CONFIG, "Extra Kafka Connect config: under every connector's own config in defaults.connector; over "
    "the generated keys in a CDC source's connector (`key: null` removes a generated key).",
    ({"heartbeat.interval.ms": "10s", "errors.tolerance": "all"},)))),
    examples=({"tasks_max": 1, "restart_failed": True, "config": {"heartbeat.interval.ms": "10s"}},))
CLASS = Attr("class", text(1), "connector.class", ("io.confluent.connect.jdbc.JdbcSinkConnector",))
PINNED = Attr("plugin_version", PLUGIN_VERSION)


def _connect(runs: str, example: str) -> Attr:
    """Another Connect cluster's connector is another resource (its key names its Connect cluster)."""
    return Attr("connect", text(pattern=NAME_PATTERN), f"With cluster.connect naming several Connect clusters: the "
                f"one {runs}", (example,), change=Change.REPLACE)


OVERLAY = named("connectorOverlay", record((
    CLASS.but(description="The connector's class in this environment (a full class name or a Connect alias, as a "
              "connector's class).", examples=("io.confluent.connect.s3.S3SinkConnector",)), PINNED,
    *(a.but(default=NOTHING, description=f"{a.description[:-1]} (set in this environment).")
      if a.key == "protect" else a.but(default=NOTHING) for a in COMMON), OFFSETS,
    Attr("config", CONFIG, "Config merged over the connector's own in this environment (`key: null` removes a key).",
         ({"flush.size": 1000, "file": None},)))))

# -- CDC sources ------------------------------------------------------------------------------------------------

CONNECTION = named("connection", record((
    Attr("host", text(1), "The database host, as the Connect workers reach it.", ("pg-primary",)),
    Attr("port", PORT, "The database port (default: the engine's)."),
    Attr("user", text(1), "The database user the connector logs in as.", ("debezium",)),
    Attr("password", scalars("string"), "Use ${secret:env:NAME} or a Connect provider reference like "
         "${file:/path:key}.", ("${secret:env:PG_PASSWORD}",)),
    Attr("database", text(1), "The database: PostgreSQL's and Oracle's database.dbname, SQL Server's database.names "
         "(required for those three); for MySQL and MariaDB the database of tables listed without one.", ("shop",)),
), others=ref("scalar")), "How the connector reaches the database. Extra keys are passed to the engine template.",
    ({"host": "db", "port": 5432, "user": "debezium", "password": "${secret:env:PG_PASSWORD}", "database": "shop"},))
TABLE_ROWS = record((
    Attr("name", text(1), "The table's name, or schema.table.", ("orders",), required=True),
    Attr("schema", text(1), "The table's schema (default: the source's schema, else the engine's: public for "
         "PostgreSQL, dbo for SQL Server; Oracle has none).", ("sales",)),
    Attr("topic", ref("topicSettings"), "Settings of this table's topic, over the source's topic_defaults (an "
         "environment's topics.<name> wins over them).",
         ({"partitions": 6, "config": {"compression.type": "zstd", "retention.ms": "3d"}},))))
# a name, or an object of rows: one JSON type list, as the schema has always said it
TABLE = named("table", Type({**TABLE_ROWS.schema, "type": ["string", "object"], "minLength": 1}),
              "A table name (optionally schema.table), or a mapping with name, schema and per-table topic settings.",
              ("orders", {"name": "orders", "schema": "sales", "topic": {"partitions": 6,
                                                                         "config": {"retention.ms": "3d"}}}))
SCHEMA_HISTORY = named("schemaHistory", record((
    Attr("topic", ref("topicName")),
    Attr("bootstrap_servers", Type({"type": ["string", "array"], "minLength": 1, "minItems": 1,
                                    "items": text(1).schema}),
         "Kafka as the Connect worker reaches it (defaults to cluster.bootstrap_servers).",
         ("kafka-1:9092,kafka-2:9092", ["kafka-1:9092", "kafka-2:9092"])))),
    "The schema-history topic of the engines that keep one (MySQL, MariaDB, SQL Server, Oracle): its name (default "
    "schema-changes.<source name>) and the bootstrap servers Debezium writes it through. kplan creates it with 1 "
    "partition and infinite retention; it is protected by its source.",
    ({"topic": "schema-changes.shop-mysql", "bootstrap_servers": "kafka-1:9092,kafka-2:9092"},))
SIGNAL = named("signal", record((
    Attr("topic", ref("topicName")),
    Attr("data_collection", text(1), "signal.data.collection: the signaling table.", ("public.debezium_signal",)))),
    "With snapshot_new_tables: the Kafka signal topic (default <topic_prefix>.signal) and the signaling table, "
    "data_collection (for PostgreSQL default <schema>.debezium_signal; other engines must name it; the table must "
    "exist in the database).", ({"topic": "shop.signal", "data_collection": "public.debezium_signal"},))
SLOT_HEALTH = named("slotHealth", record((
    Attr("max_retained_wal", either(whole(1), text(1)), "The WAL the slot may keep on the server "
         "(pg_current_wal_lsn() - restart_lsn) before status reports it unhealthy: a size such as 512MiB or 1GiB, or "
         "bytes. Default 1GiB.", ("512MiB",)),)),
    "PostgreSQL only: when kplan status calls the source's replication slot unhealthy. See docs/cdc-health.md.",
    ({"max_retained_wal": "512MiB"},))
_DROPS = "(irreversible, after the connector is deleted)."
ON_DESTROY = Attr("on_destroy", record((
    Attr("drop_replication_slot", FLAG, f"Destroy also drops the source's PostgreSQL replication slot {_DROPS}"),
    Attr("drop_publication", FLAG, f"Destroy also drops the source's PostgreSQL publication {_DROPS}"))),
    "PostgreSQL only: what kplan destroy also drops in the database after deleting the connector (irreversible; needs "
    "connection.password as a ${secret:...} reference). Without it, destroy prints the SQL to run.",
    ({"drop_replication_slot": True, "drop_publication": True},), change=Change.IRREVERSIBLE)
PREFLIGHT = Attr("preflight", choice(("required", "warn", "off")), "What plan does before creating or changing this "
                 "source's connector: log in to the database with the connection settings and check what Debezium "
                 "needs (required: findings are errors; warn: findings are warnings and an unreachable database is "
                 "one warning; off: not checked). Default required. See docs/cdc-preflight.md.", ("warn",),
                 default="required")
# The keys a source and its environment overlay have alike (words and examples of the source's).
SOURCE = (
    Attr("engine", text(1), "postgres, mysql, mariadb, sqlserver, oracle, or a user template's name.", ("postgres",),
         required=True),
    PINNED.but(description="The version of the Debezium connector plugin to run (its connector's "
               "connector.plugin.version, KIP-891; Kafka Connect 4.1+): a version, a Maven range or \"latest\". Plan "
               "checks it against the versions installed on the Connect worker. See docs/stack-format.md."),
    Attr("connection", CONNECTION, required=True),
    Attr("topic_prefix", ref("resourceName"), "Debezium topic.prefix (defaults to the source name)."),
    Attr("schema", text(1), "Schema of tables given without one (for MySQL/MariaDB: the database).", ("public",)),
    Attr("tables", list_of(TABLE, min_items=1), "The tables to capture (table.include.list): a table's name "
         "(schema.table), or a mapping with its name, schema and topic settings. Each table gets a topic, named as "
         "Debezium names it.", (["users", {"name": "orders", "topic": {"partitions": 6}}],), required=True),
    Attr("snapshot_mode", text(1), "Debezium's snapshot.mode, checked against the engine's modes: always, initial, "
         "initial_only, no_data, when_needed, configuration_based, custom (custom also needs "
         "snapshot.mode.custom.name in connector.config); recovery for the engines with a schema history, never for "
         "MariaDB only.", ("initial",)),
    Attr("snapshot_new_tables", FLAG, "Incremental snapshots of newly added tables through a Kafka signal topic."),
    Attr("prune_tables", FLAG, "Delete the topics of tables removed from the list."),
    RESTART_FAILED.but(description="Plan a restart of the source's FAILED connector and tasks (as "
                       "connector.restart_failed)."),
    Attr("format", FORMAT), PREFLIGHT, ON_DESTROY,
    Attr("connector", SETTINGS, "The source connector's settings (tasks_max, state, restart_on_change, "
         "restart_failed, protect) and extra Kafka Connect config, which wins over the generated keys (`key: null` "
         "removes a generated key). defaults.connector lies under it; ignore_changes is refused here: a CDC "
         "connector is kplan's to configure."),
    Attr("topic_defaults", ref("topicSettings"), "Topic settings for the topics of this source's tables: over "
         "defaults.topic, under each table's own topic settings.",
         ({"partitions": 3, "config": {"retention.ms": "7d"}},)),
    Attr("schema_history", SCHEMA_HISTORY),
    Attr("principal", PRINCIPAL, "The Kafka principal the source's Debezium connector's clients authenticate as "
         "(User:cdc-shop): kplan adds the ACL bindings its generated topics need to this principal's acls entry. See "
         "docs/stack-format.md (CDC connector principal).", ("User:cdc-shop",)),
    OFFSETS, Attr("signal", SIGNAL), Attr("slot_health", SLOT_HEALTH),
)
_IN_ENV = {  # an overlay's own words for a key: (description, examples)
    "engine": ("The engine in this environment.", ("mysql",)),
    "topic_prefix": ("Debezium's topic.prefix in this environment.", ()),
    "schema": ("The schema of tables listed without one, in this environment.", ("public",)),
    "tables": ("The tables in this environment (the list replaces the source's).", (["orders", "customers"],)),
    "snapshot_mode": ("Debezium's snapshot.mode in this environment (the engine's modes, as the source's "
                      "snapshot_mode).", ("when_needed",)),
    "snapshot_new_tables": ("Incremental snapshots of newly added tables through a Kafka signal topic, in this "
                            "environment.", ()),
    "prune_tables": ("Delete the topics of tables removed from the list, in this environment.", ()),
    "restart_failed": ("Plan a restart of the source's FAILED connector and tasks, in this environment.", ()),
    "preflight": (PREFLIGHT.description, ("off",)),
    "on_destroy": (ON_DESTROY.description, ({"drop_replication_slot": True},)),
    "connector": ("The source connector's settings in this environment, merged over the source's (as the source's "
                  "connector).", ()),
    "topic_defaults": ("Topic settings for this source's table topics in this environment, merged over the source's "
                       "topic_defaults.", ({"replication_factor": 3},)),
}
CDC_OVERLAY = named("cdcOverlay", record(tuple(
    PINNED if a.key == "plugin_version" else a.but(required=False, default=NOTHING) if a.key not in _IN_ENV else
    a.but(required=False, default=NOTHING, description=_IN_ENV[a.key][0], examples=_IN_ENV[a.key][1])
    for a in SOURCE)))
CDC = Shape(
    "cdc", "cdcSource", "CDC sources: each expands into one Debezium connector and one topic per captured table (plus "
    "the schema-history topic where the engine uses one).",
    [{"name": "shop-postgres", "engine": "postgres",
      "connection": {"host": "pg-primary", "port": 5432, "user": "debezium", "password": "${secret:env:PG_PASSWORD}",
                     "database": "shop"}, "topic_prefix": "shop", "tables": ["orders", "customers"]}],
    (
        _connect("this source's connector runs on (by default the only one). See docs/stack-format.md.", "cdc"),
        Attr("name", ref("resourceName"), "The source's name, also the connector's name.", required=True),
        Attr("moved_from", CONNECTOR_NAME, "The source's previous name: its connector is renamed with its offsets "
             "carried over (as connector.moved_from). Keep topic_prefix, connection.slot_name and "
             "connection.publication_name as they were, or plan refuses the rename. See docs/many-teams.md.",
             change=Change.STEP),
        *SOURCE,
    ),
)

# -- mirrors ----------------------------------------------------------------------------------------------------

ALIAS = text(pattern="^[A-Za-z0-9][A-Za-z0-9_-]*$")
PATTERNS = list_of(text(1))
INLINE_SOURCE = record((
    Attr("alias", ALIAS, "Its name in MirrorMaker (source.cluster.alias): the prefix of replicated topics' names.",
         ("main",), required=True),
    Attr("bootstrap_servers", either(text(1), list_of(text(1), min_items=1)), "The source cluster's bootstrap servers "
         "as the target's Connect workers reach them: host:port[,host:port...] or a list.",
         ("kafka-main-1:9092,kafka-main-2:9092",), required=True)))
SECONDS = scalars("string", "integer")
MIRRORS = Shape(
    "mirrors", "mirror", "MirrorMaker 2 mirrors: each expands into the MirrorSource, MirrorCheckpoint (with groups) "
    "and MirrorHeartbeat connectors, run on the target cluster's Connect. See docs/replication.md.",
    [{"name": "orders-dr", "cluster": "dr", "source": "main", "topics": ["orders\\..*"], "groups": ["billing"]}],
    (
        _connect("that runs the mirror (it must write to the target cluster).", "dr-connect"),
        Attr("name", ref("resourceName"), "The mirror's name: its connectors are <name>-source, <name>-checkpoint, "
             "<name>-heartbeat.", required=True),
        Attr("source", either(text(pattern=NAME_PATTERN), INLINE_SOURCE), "The cluster copied from: a cluster of "
             "`clusters:` by name, or inline (a one-cluster stack, or a cluster kplan does not manage).",
             ("main", {"alias": "main", "bootstrap_servers": "kafka-main-1:9092,kafka-main-2:9092"}), required=True),
        Attr("target_alias", ALIAS, "The target's name in MirrorMaker (target.cluster.alias); default: the target "
             "cluster's name in `clusters:`, else `target`.", ("dr",)),
        Attr("topics", list_of(text(1), min_items=1), "Regular expressions of the source's topics to replicate "
             "(matched against whole names).", (["orders\\..*"],), required=True),
        Attr("topics_exclude", PATTERNS, "Regular expressions of topics not to replicate.", (["orders\\.tmp"],)),
        Attr("groups", PATTERNS, "Regular expressions of the consumer groups whose committed offsets are translated "
             "to the target (the checkpoint connector); none: no checkpoint connector.", (["billing"],)),
        Attr("replication_policy", choice(("prefixed", "identity")), "prefixed: a replica is named <source "
             "alias>.<topic>; identity: the same name (DefaultReplicationPolicy / IdentityReplicationPolicy).",
             ("identity",), default="prefixed"),
        Attr("sync_topic_configs", FLAG, "Copy topic configs to the replicas.", default=True),
        Attr("sync_topic_acls", FLAG, "Copy topic ACLs to the target.", default=False),
        Attr("sync_group_offsets", FLAG, "Commit the translated offsets of the listed groups on the target.",
             default=True),
        Attr("checkpoint_interval", SECONDS, "How often group offsets are translated (whole seconds).", ("30s",),
             default="60s"),
        Attr("refresh_topics_interval", SECONDS, "How often the source's topic list is read again (whole seconds).",
             ("60s",), default="600s"),
        Attr("replication_factor", whole(1), "Of the replicas and of MirrorMaker's own topics on the target (default: "
             "MirrorMaker's, 2 and 3).", (3,)),
        Attr("heartbeats", FLAG, "Run the heartbeat connector.", default=True),
        Attr("schemas", FLAG, "Register the replicated topics' subjects (<topic>-key, <topic>-value) on the target's "
             "schema registry under the replicas' names, with the source registry's schemas and levels (both "
             "clusters need schema_registry). See docs/replication.md.", default=False),
        Attr("tasks_max", TASKS_MAX), Attr("state", STATE),
        Attr("config", CONFIG, "MirrorMaker settings laid over all three connectors' (e.g. "
             "source.cluster.security.protocol).", ({"source.cluster.security.protocol": "SASL_SSL"},)),
    ),
    cluster=CLUSTER.but(description="With `clusters:` (several clusters): the TARGET cluster, whose Connect runs the "
                        "mirror's connectors. See docs/clusters.md.", examples=("dr",)),
)

CONNECTOR_ROWS = (
    _connect("this connector runs on (by default the only one). See docs/stack-format.md.", "analytics"),
    Attr("name", CONNECTOR_NAME, required=True, change=Change.REPLACE, plan="The connector's name.",
         plan_type=text(), plan_required=True),  # renamed keeping its offsets: moved_from
    Attr("moved_from", CONNECTOR_NAME, "The connector's previous name on the same Connect cluster: apply renames "
         "it, carrying its offsets over (stopped, offsets copied, the old one deleted, then started) instead of "
         "deleting it and starting from scratch. Does nothing once the old name is gone. See docs/many-teams.md.",
         change=Change.STEP),
    CLASS, PINNED, *COMMON, OFFSETS,
    Attr("config", CONFIG, "The connector's Kafka Connect config, key: value, as Connect stores it "
         "(connector.class and tasks.max come from class and tasks_max; declaring them here too is allowed only "
         "with the same value). Secrets as ${secret:...} or Connect config-provider references (${file:...}); "
         "human units are converted as in topic configs.",
         ({"topics": "orders.events", "connection.password": "${secret:env:JDBC_PASSWORD}"},),
         plan="Its config as Connect stores it (sensitive values masked).", plan_type=map_of(text()),
         plan_required=True),
)


def connectors(rows: tuple[Attr, ...] = CONNECTOR_ROWS) -> Shape:
    """The kind's shape, a connector entry's keys being `rows` (a test's with one more)."""
    return Shape("connectors", "connector", "Kafka Connect connectors, each merged over defaults.connector.",
                 [{"name": "orders-archive", "class": "FileStreamSink",
                   "config": {"topics": "orders.events", "file": "/data/orders-archive.txt"}}], rows,
                 planned=PLANNED, planned_description=PLANNED_WORDS, more=(CDC, MIRRORS), extend=EXTEND)


PLANNED = (
    row("config_changed", BOOLEAN, "Create or update: whether apply writes the config."),
    row("changed_keys", list_of(text()), "The config keys whose values change (names only)."),
    row("state_changed", BOOLEAN, "Whether apply sets the connector's state."),
    row("snapshot_tables", list_of(text()), "The newly captured tables an incremental snapshot is asked for "
        "(snapshot_new_tables)."),
    row("restart_failed", BOOLEAN, "Whether the failed connector and tasks are restarted after (restart_failed)."),
    row("restart_connector", BOOLEAN, "A restart: whether the connector instance is restarted."),
    row("restart_tasks", list_of(whole(0)), "A restart: the ids of the tasks restarted."),
    row("drop_database_objects", BOOLEAN, "A delete: whether the source's on_destroy drops database objects."),
    row("drop_slot", nullable(text()), "The PostgreSQL replication slot dropped, or null."),
    row("drop_publication", nullable(text()), "The PostgreSQL publication dropped, or null."),
    row("moved_from", text(), "A move only: the key of the connector it renames.", required=False),
)
PLANNED_WORDS = (
    "What apply does to a connector. Never a config value (the config may hold secrets): create/update say whether "
    "the config is written and which keys change, whether the state is set, the newly captured tables an incremental "
    "snapshot is asked for and whether failed instances are restarted after; restart: the failed instances to "
    "restart; delete: whether the source's on_destroy drops its PostgreSQL slot and publication; move: the key of the "
    "connector it renames (moved_from), whose offsets apply copies to it.")
EXTEND = {
    "environment": (
        Attr("connectors", map_of(OVERLAY), "Per-connector overrides by connector name.",
             ({"orders-archive": {"state": "paused", "config": {"file": "/data/staging/orders-archive.txt"}}},)),
        Attr("cdc", map_of(CDC_OVERLAY), "Per-source overrides by CDC source name.",
             ({"shop-postgres": {"connection": {"host": "pg-primary", "port": 5432},
                                 "snapshot_mode": "when_needed"}},))),
    "defaults": (Attr("connector", SETTINGS, "Connector settings merged under every connector, CDC sources' connectors "
                      "included (their ignore_changes excepted)."),),
}
CONNECTORS = connectors()
