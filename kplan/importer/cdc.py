"""Debezium connectors back as `cdc:` sources (`kplan import --cdc`): the candidate source a connector's config
suggests, its refinement once kplan's own expansion of it is known, and the decision (`recognised`).

Pure. A candidate replaces the plain connector and its per-table topics only when its expansion reproduces them
*exactly*: expanded with the real loader (handed in by the edge, `kplan/commands/import_.py`, which writes the
probe file) and planned against the live state, its plan has no change.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Callable, Mapping

from kplan.importer.build import Imported
from kplan.kinds.connector.importer import replaced_secrets, written_value
from kplan.kinds.topic.importer import topic_entry
from kplan.model.desired import DEFAULT_CONNECT, Stack, freeze
from kplan.model.live import LiveConnector, LiveState, LiveTopic
from kplan.model.metadata import EMPTY, Meta
from kplan.model.plan import ResourceType
from kplan.plan.planner import make_plan
from kplan.secrets import SecretValues, imported_value

# The real loader over a `cdc:` entry: (the stack it expands to, None), or (None, why kplan cannot load it).
Load = Callable[[dict], "tuple[Stack | None, str | None]"]

ENGINES = {
    "io.debezium.connector.postgresql.PostgresConnector": "postgres",
    "io.debezium.connector.mysql.MySqlConnector": "mysql",
    "io.debezium.connector.mariadb.MariaDbConnector": "mariadb",
}
# connector config key -> where the candidate source carries it (so it is not repeated in `connector.config`)
_CARRIED = ("connector.class", "name", "tasks.max", "database.hostname", "database.port", "database.user",
            "database.password", "topic.prefix", "table.include.list", "snapshot.mode", "connector.plugin.version")
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
                   "engine": engine, **({"plugin_version": config["connector.plugin.version"]}
                                        if config.get("connector.plugin.version") else {}),
                   "connection": connection, "topic_prefix": prefix}
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
    live = connector.config
    extra: dict = {key: written_value(connector.name, key, live[key], variables, f"CDC source {connector.name}")
                   for key in sorted(live) if key not in _CARRIED and generated.get(key) != live[key]}
    extra.update({key: None for key in sorted(generated) if key not in live and key not in ("name", "tasks.max")})
    if not extra:
        return entry
    return {**entry, "connector": {**entry.get("connector", {}), "config": extra}}


def metadata_differs(candidate: Stack, recorded: Mapping[str, Meta]) -> list[str]:
    """The addresses of the resources the loaded candidate declares whose owner, description or labels differ from
    those the record keeps (`recorded`, by address): a cdc source gives everything it generates its own, so a
    connector whose topics' differ cannot become one without the plan changing them."""
    declared = [("topic", "topics", t.name) for t in candidate.of("topics")]
    declared += [("connector", "connectors", c.name) for c in candidate.of("connectors")]
    return [f"{word}.{name}" for word, section, name in declared
            if candidate.meta(section, name) != recorded.get(f"{word}.{name}", EMPTY)]


def recognised(imported: Imported, live: LiveState, load: Load) -> Imported:
    """`imported` with each Debezium connector (and its table topics) replaced by a `cdc:` source when kplan's own
    expansion of the candidate source (`load`), planned against the live state, changes nothing; otherwise kept
    plain, with a note saying why."""
    # The probe plans as a stack that owns nothing, so only "is it the same" counts (not ownership).
    probe_live = replace(live, foreign_owners=freeze({}), unfinished_run=None, locked=False,
                         kinds=freeze({t: replace(k, owned=frozenset(), protected=frozenset())
                                       for t, k in live.kinds.items()}))
    variables = dict(imported.variables)
    notes = list(imported.notes)
    sources: list[dict] = []
    drop_connectors: set[str] = set()
    drop_topics: set[str] = set()
    for written in imported.connectors:
        connector = live.of(ResourceType.CONNECTOR).resources[written["name"]]
        wanted: dict[str, str] = {}
        entry, table_topics, why = cdc_candidate(connector, live.of(ResourceType.TOPIC).resources, wanted,
                                                 Meta.from_json(written))
        if entry is None:
            if why:
                notes.append(f"connector {connector.name!r} kept as a plain connector, not a cdc source: {why}")
            continue
        entry, candidate, reason = _expanded(entry, connector, wanted, load)
        if candidate is None:
            notes.append(f"connector {connector.name!r} kept as a plain connector: kplan cannot load it as a "
                         f"cdc source ({reason})")
            continue
        differs = metadata_differs(candidate, live.metadata)
        if differs:
            notes.append(f"connector {connector.name!r} kept as a plain connector: as a cdc source it would give "
                         f"its owner, description and labels to {', '.join(differs)}, whose metadata differ")
            continue
        # the references stand for the live values: compare as the plan of the written file will
        secrets = {f"${{secret:env:{variable}}}": value for variable, value in replaced_secrets(connector).values()}
        if "database.password" in connector.config:
            secrets[entry["connection"]["password"]] = connector.config["database.password"]
        plan = make_plan(candidate, probe_live, secrets=SecretValues(values=secrets))
        changed = [f"{c.address} ({', '.join('.'.join(map(str, a.path)) for a in c.attributes) or c.action.value})"
                   for c in plan.changes if c.is_change]
        if changed or plan.has_errors:
            what = ", ".join(changed) or plan.errors[0].message
            notes.append(f"connector {connector.name!r} kept as a plain connector: as a cdc source its plan "
                         f"would change {what}")
            continue
        sources.append(entry)
        variables.update(wanted)
        drop_connectors.add(connector.name)
        drop_topics.update(t.name for t in candidate.of("topics"))
        drop_topics.update(table_topics)
    if not sources:
        return replace(imported, notes=tuple(notes))
    connectors = tuple(c for c in imported.connectors if c["name"] not in drop_connectors)
    kept = json.dumps([connectors, sources])  # keep the variables the written entries still reference
    return replace(imported, topics=tuple(t for t in imported.topics if t["name"] not in drop_topics),
                   connectors=connectors, cdc=tuple(sources), notes=tuple(notes),
                   variables={k: v for k, v in variables.items() if f"${{secret:env:{k}}}" in kept})


def _expanded(entry: dict, connector: LiveConnector, variables: dict[str, str], load: Load
              ) -> tuple[dict, Stack | None, str | None]:
    """(the refined entry, the stack it loads as, None), or (…, None, why it cannot be loaded): loaded once to learn
    the connector config kplan generates, refined by it (`refined`), and loaded again."""
    first, why = load(entry)
    if first is None:
        return entry, None, why
    generated = next(c.config for c in first.of("connectors") if c.name == connector.name)
    entry = refined(entry, generated, connector, variables)
    candidate, why = load(entry)
    return entry, candidate, why
