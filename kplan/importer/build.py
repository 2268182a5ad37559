"""Live state -> the documents of a stack file (plain dicts, in the stack format's key order).

Selection: Kafka's, Connect's and kplan's internal topics are never imported, nor is anything another kplan stack
owns (it is already declared somewhere). `--include`/`--exclude`/`--prefix` select by name: a topic's, a
connector's, and each other kind's entry name as its `importer.py` gives it (an ACL principal without `User:`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Mapping

from kplan.errors import KplanError
from kplan.kinds import UNITS
from kplan.kinds.importing import ImportContext
from kplan.model.desired import DEFAULT_CONNECT
from kplan.model.live import LiveConnector, LiveState, LiveTopic
from kplan.model.plan import ResourceType
from kplan.rules.names import is_platform_topic
from kplan.rules.stack_values import connector_config_value, topic_config_value
from kplan.secrets import MIN_SCRUB_LENGTH, imported_value

_STATES = {"PAUSED": "paused", "STOPPED": "stopped"}  # RUNNING (and FAILED: a fault, not a wish) is the default


@dataclass(frozen=True)
class ImportOptions:
    stack: str
    include: tuple[str, ...] = ()   # regular expressions; a name must match one (search) when any is given
    exclude: tuple[str, ...] = ()   # regular expressions; a name matching one is left out
    prefixes: tuple[str, ...] = ()  # a name must start with one when any is given
    topics: bool = True
    connectors: bool = True
    skip: frozenset[str] = frozenset()  # the kinds not imported, by their section word (`Kind.section`)
    registry_flavour: str | None = None  # the stack's schema registry: "apicurio", "confluent" or None (none)

    def selects(self, name: str) -> bool:
        if self.prefixes and not name.startswith(self.prefixes):
            return False
        if self.include and not any(re.search(p, name) for p in self.include):
            return False
        return not any(re.search(p, name) for p in self.exclude)


@dataclass(frozen=True)
class Imported:
    """The stack's parts (`topics`, `connectors`, `cdc`, and each other kind's by its section: lists of entries in
    the stack format), the environment variables its secret references need (name -> what it holds, never a
    value), and notes for the person importing (what was left out and why)."""

    topics: tuple[dict, ...] = ()
    connectors: tuple[dict, ...] = ()
    cdc: tuple[dict, ...] = ()  # Debezium connectors recognised as `cdc:` sources (`kplan import --cdc`)
    kinds: Mapping[str, tuple[dict, ...]] = field(default_factory=dict)  # section word -> entries
    variables: Mapping[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def documents(self, stack: str, cluster: Mapping[str, Any], *, split: bool) -> dict[str, dict]:
        """File name -> document: one `stack.yaml`, or (split) the stack and cluster there and one file per kind."""
        parts = {k: list(v) for k, v in (("topics", self.topics), ("connectors", self.connectors),
                                          ("cdc", self.cdc), *self.kinds.items()) if v}
        head: dict = {"stack": stack, "cluster": dict(cluster)}
        if not split:
            return {"stack.yaml": {**head, **parts}}
        return {"stack.yaml": head, **{f"{kind}.yaml": {kind: entries} for kind, entries in parts.items()}}


def build_import(live: LiveState, options: ImportOptions) -> Imported:
    notes: list[str] = []
    variables: dict[str, str] = {}
    foreign = live.foreign_owners

    def owned_elsewhere(kind: str, name: str) -> bool:
        owner = foreign.get(f"{kind}.{name}")
        if owner is not None:
            notes.append(f"{kind} {name!r} left out: the kplan stack {owner!r} owns it")
        return owner is not None

    topics = []
    parts = {t: r for u in UNITS if u.importer is not None and u.importer.topics_of is not None
             and u.kind.section not in options.skip for t, r in u.importer.topics_of(live).items()}
    if options.topics:
        skipped = 0
        for name in sorted(live.of(ResourceType.TOPIC).resources):
            if not options.selects(name) or name in parts:  # a part of another kind's resource: imported with it
                continue
            if is_platform_topic(name):
                skipped += 1
                continue
            if not owned_elsewhere("topic", name):
                topics.append(topic_entry(live.of(ResourceType.TOPIC).resources[name]))
        if skipped:
            notes.append(f"{skipped} internal topic(s) of Kafka, Connect, the schema registry or kplan left out")
    connectors = []
    if options.connectors:
        found = live.of(ResourceType.CONNECTOR).resources
        for name in sorted(found):
            if options.selects(found[name].connect_name) and not owned_elsewhere("connector", name):
                connectors.append(connector_entry(found[name], variables, notes))
    ctx = ImportContext(options.selects, owned_elsewhere, notes, options.registry_flavour)
    kinds = {u.kind.section: tuple(_with_meta(live, u.kind.type.value, e, u.importer.name_of(e))
                                   for e in u.importer.entries(live, ctx))
             for u in UNITS if u.importer is not None and u.kind.section not in options.skip}
    return Imported(tuple(_with_meta(live, "topic", e, e["name"]) for e in topics),
                    tuple(_with_meta(live, "connector", e, e["name"]) for e in connectors), kinds=kinds,
                    variables=variables, notes=tuple(notes))


def _with_meta(live: LiveState, word: str, entry: dict, name: str | None) -> dict:
    """The entry with the owner, description and labels kplan's record keeps for it (kplan.model.metadata: Kafka
    keeps none), after its name; unchanged without."""
    meta = live.metadata.get(f"{word}.{name}") if name is not None else None
    if meta is None or meta.empty:
        return entry
    keys = list(entry)
    head = keys[:1]
    return {**{k: entry[k] for k in head}, **meta.to_json(), **{k: entry[k] for k in keys[1:]}}




def topic_entry(topic: LiveTopic) -> dict:
    entry: dict = {"name": topic.name, "partitions": topic.partitions, "replication_factor": topic.replication_factor}
    if topic.overrides:
        entry["config"] = {k: topic_config_value(k, v) for k, v in sorted(topic.overrides.items())}
    return entry


def _connect_of(connector: LiveConnector) -> dict:
    """`connect: <name>` for a connector read from a named Connect cluster (the `default` one's need none)."""
    return {} if connector.connect == DEFAULT_CONNECT else {"connect": connector.connect}


def connector_entry(connector: LiveConnector, variables: dict[str, str], notes: list[str]) -> dict:
    config = dict(connector.config)
    config.pop("name", None)
    entry: dict = {"name": connector.connect_name, **_connect_of(connector)}
    cls = config.pop("connector.class", None)
    if cls is not None:
        entry["class"] = cls
    tasks = config.get("tasks.max")
    if tasks is not None and re.fullmatch(r"[1-9]\d{0,9}", tasks) and int(tasks) <= 2**31 - 1:
        entry["tasks_max"] = int(config.pop("tasks.max"))
    elif tasks is None:
        notes.append(f"connector {connector.name!r} has no tasks.max: kplan declares the default, 1, so the plan "
                     "will add tasks.max=1 (Connect's own default: nothing changes for the connector)")
    state = _STATES.get((connector.state or "").upper())
    if state:
        entry["state"] = state
    written: dict[str, str] = {}
    for key in sorted(config):
        value, variable = imported_value(connector.name, key, config[key])
        if variable is not None:
            variables[variable] = f"connector {connector.name}: {key}"
            written[key] = value
        else:
            written[key] = connector_config_value(key, value)
    if written:
        entry["config"] = written
    return entry


def refuse_plaintext(live: LiveState, imported: Imported, texts: Mapping[str, str]) -> None:
    """The last check before the files are written (`texts`: their text by name): no secret value that was replaced
    by a reference appears anywhere (the same password in a second, innocently named key would otherwise be written
    out)."""
    for entry in imported.connectors:
        connector = live.of(ResourceType.CONNECTOR).resources[entry["name"]]
        for key, value in connector.config.items():
            if imported_value(connector.name, key, value)[1] is None:
                continue
            if len(value) >= MIN_SCRUB_LENGTH and any(value in text for text in texts.values()):
                raise KplanError(f"connector {connector.name!r}: the secret of {key!r} also appears in another "
                                 "value of the imported stack; nothing was written — exclude the connector "
                                 "(--exclude) and declare it by hand")
