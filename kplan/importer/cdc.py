"""Debezium connectors back as `cdc:` sources (`kplan import --cdc`): the candidate source a connector's config
suggests, and its refinement once kplan's own expansion of it is known.

Pure. Whether the expansion reproduces the connector and its per-table topics *exactly* is decided at the edge
(`kplan/commands/import_.py`), by expanding the candidate with the real loader and planning it against the live
state: only a candidate whose plan has no change replaces the plain connector and topics.
"""

from __future__ import annotations

from typing import Mapping

from kplan.importer.build import topic_entry
from kplan.model.desired import DEFAULT_CONNECT, Stack
from kplan.model.live import LiveConnector, LiveTopic
from kplan.model.metadata import EMPTY, Meta
from kplan.rules.stack_values import connector_config_value
from kplan.secrets import imported_value

ENGINES = {
    "io.debezium.connector.postgresql.PostgresConnector": "postgres",
    "io.debezium.connector.mysql.MySqlConnector": "mysql",
    "io.debezium.connector.mariadb.MariaDbConnector": "mariadb",
}
# connector config key -> where the candidate source carries it (so it is not repeated in `connector.config`)
_CARRIED = ("connector.class", "name", "tasks.max", "database.hostname", "database.port", "database.user",
            "database.password", "topic.prefix", "table.include.list", "snapshot.mode")
_PORTS = {"postgres": 5432, "mysql": 3306, "mariadb": 3306}


def cdc_candidate(connector: LiveConnector, topics: Mapping[str, LiveTopic], variables: dict[str, str],
                  meta: Meta = EMPTY) -> tuple[dict | None, tuple[str, ...], str | None]:
    """(the candidate `cdc:` entry, the names of the table topics it declares, None) — or (None, (), why not) for a
    Debezium connector kplan cannot express, or (None, (), None) for a connector that is not a Debezium one. `meta`:
    the connector's owner, description and labels (its record's), the source's."""
    config = connector.config
    engine = ENGINES.get(config.get("connector.class", ""))
    if engine is None:
        return None, (), None
    need = ["database.hostname", "database.user", "topic.prefix", "table.include.list"]
    if engine == "postgres":
        need.append("database.dbname")
    missing = [k for k in need if not config.get(k)]
    if missing:
        return None, (), f"its config has no {', '.join(missing)}"
    prefix = config["topic.prefix"]
    connection: dict = {"host": config["database.hostname"], "user": config["database.user"]}
    port = config.get("database.port", str(_PORTS[engine]))
    connection["port"] = int(port) if port.isdigit() else port
    if "database.password" in config:
        password, variable = imported_value(connector.name, "database.password", config["database.password"])
        if variable is not None:
            variables[variable] = f"CDC source {connector.name}: connection.password"
        connection["password"] = password
    if engine == "postgres":
        connection["database"] = config["database.dbname"]
    tables, names = [], []
    for table_id in (t.strip() for t in config["table.include.list"].split(",")):
        schema, dot, table = table_id.rpartition(".")
        if not dot or any(ch in table_id for ch in "*?[]()\\^$+|"):
            return None, (), f"table.include.list entry {table_id!r} is not a plain schema.table name"
        topic = f"{prefix}.{table_id}"
        if topic not in topics:
            return None, (), f"its table topic {topic!r} does not exist (yet)"
        settings = topic_entry(topics[topic])
        settings.pop("name")
        tables.append({"name": table, "schema": schema, "topic": settings})
        names.append(topic)
    entry: dict = {"name": connector.connect_name, **meta.to_json(),
                   **({} if connector.connect == DEFAULT_CONNECT else {"connect": connector.connect}),
                   "engine": engine, "connection": connection, "topic_prefix": prefix}
    if config.get("snapshot.mode"):
        entry["snapshot_mode"] = config["snapshot.mode"]
    shared = [t["topic"] for t in tables]
    if all(s == shared[0] for s in shared):  # one setting for every table's topic: said once
        entry["topic_defaults"] = shared[0]
        entry["tables"] = [f"{t['schema']}.{t['name']}" for t in tables]
    else:
        entry["tables"] = tables
    settings = {}
    tasks = config.get("tasks.max")
    if tasks is not None and tasks.isdigit() and tasks != "1":
        settings["tasks_max"] = int(tasks)
    state = {"PAUSED": "paused", "STOPPED": "stopped"}.get((connector.state or "").upper())
    if state:
        settings["state"] = state
    if settings:
        entry["connector"] = settings
    return entry, tuple(names), None


def refined(entry: dict, generated: Mapping[str, str], connector: LiveConnector, variables: dict[str, str]) -> dict:
    """The candidate with `connector.config` holding what the expansion (`generated`: the loaded connector's
    config) does not produce as Connect has it: live keys it lacks or sets otherwise, and `null` for generated keys
    the live connector does not have (a null removes a key in a merge)."""
    extra: dict = {}
    live = connector.config
    for key in sorted(live):
        if key in _CARRIED or generated.get(key) == live[key]:
            continue
        value, variable = imported_value(connector.name, key, live[key])
        if variable is not None:
            variables[variable] = f"CDC source {connector.name}: {key}"
        extra[key] = value if variable is not None else connector_config_value(key, value)
    for key in sorted(generated):
        if key not in live and key not in ("name", "tasks.max"):
            extra[key] = None
    if not extra:
        return entry
    connector_settings = dict(entry.get("connector", {}))
    connector_settings["config"] = extra
    return {**entry, "connector": connector_settings}


def metadata_differs(candidate: Stack, recorded: Mapping[str, Meta]) -> list[str]:
    """The addresses of the resources the loaded candidate declares whose owner, description or labels differ from
    those the record keeps (`recorded`, by address): a cdc source gives everything it generates its own, so a
    connector whose topics' differ cannot become one without the plan changing them."""
    declared = [("topic", "topics", t.name) for t in candidate.of("topics")]
    declared += [("connector", "connectors", c.name) for c in candidate.of("connectors")]
    return [f"{word}.{name}" for word, section, name in declared
            if candidate.meta(section, name) != recorded.get(f"{word}.{name}", EMPTY)]
