"""Connector plugin version pins (KIP-891, Kafka Connect 4.1+), checked at plan against the versions installed on
the connector's own Connect cluster (`ConnectFacts.plugin_versions`, from `GET /connector-plugins`), and said when a
change moves a running connector to another version.

A pin no installed version satisfies is one error at the line that declares it, naming the installed versions:
Connect would refuse the config at apply. The pin keys and version matching are `kplan.rules.plugin_versions`'s;
a worker older than 4.1 is refused, once per connector at its first pin's line (a 3.9 worker stores the key and
ignores it). Where kplan cannot tell (the class a converter pin pins is the worker's default, the plugin is not
listed, the spec is not one kplan reads), the check is Connect's own config/validate at plan."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable, Mapping

from kplan.kinds.connector.live import facts_of
from kplan.kinds.connector.model import ConnectorSpec
from kplan.model.desired import connect_of
from kplan.model.diagnostics import Severity
from kplan.model.plan import (
    Action,
    AttributeChange,
    PlanDiagnostic,
    ResourceChange,
    ResourceType,
    address_of,
    error,
)
from kplan.rules.connect_versions import parse_version
from kplan.rules.plugin_versions import CONNECTOR_PIN, LATEST, chosen, class_key, pins, satisfies

if TYPE_CHECKING:  # pragma: no cover
    from kplan.model.live import LiveConnector, LiveState

MISSING = "plugin-version-missing"
PINS_SINCE = (4, 1)  # Kafka Connect 4.1 runs a pinned version (KIP-891)


def alias_matches(alias: str, plugins: Iterable[str]) -> list[str]:
    """The plugins `alias` names, as Connect resolves it (Plugins.newConnector): an alias one plugin alone has
    (its simple class name, or that name up to its last "Connector"), else the plugins whose simple name is the
    alias or the alias + "Connector". Resolved when exactly one is returned."""
    def simple(cls: str) -> str:
        return cls.replace("$", ".").rsplit(".", 1)[-1]  # Class.getSimpleName(), nested classes too

    def pruned(cls: str) -> str:
        pos = simple(cls).rfind("Connector")
        return simple(cls)[:pos] if pos > 0 else simple(cls)

    by_alias = sorted(p for p in plugins if alias in (simple(p), pruned(p)))
    if len(by_alias) == 1:
        return by_alias
    return sorted(p for p in plugins if simple(p) in (alias, alias + "Connector")) or by_alias


def _installed_class(name: str, installed: Mapping[str, tuple[str, ...]]) -> str | None:
    if name in installed:
        return name
    matches = alias_matches(name, installed)
    return matches[0] if len(matches) == 1 else None


def pin_checks(specs: Iterable[ConnectorSpec], live: "LiveState") -> list[PlanDiagnostic]:
    """One error per connector whose Connect worker is older than 4.1 and so cannot pin (it would store the key
    and run the newest version anyway), else one per pin no version installed on its Connect cluster satisfies."""
    out, facts = [], facts_of(live)
    for spec in specs:
        keys = [k for k in pins(spec.config) if spec.config[k].strip() != LATEST]
        if not keys:
            continue
        refusal = _too_old(spec, keys, facts.versions.get(connect_of(spec.name)))
        if refusal is not None:
            out.append(refusal)
            continue
        installed = facts.plugin_versions.get(connect_of(spec.name))
        if installed is None:
            continue  # that Connect cluster was not read (or the live state says nothing of its plugins)
        for key in keys:
            wanted = spec.config[key].strip()
            named = spec.config.get(class_key(key) or "")
            if not named:
                continue  # a converter pin of the worker's default converter: Connect's own validation judges it
            cls = _installed_class(named.strip(), installed)
            versions = installed.get(cls) if cls else None
            if not versions or satisfies(wanted, versions[-1]) is None:
                continue  # not installed (the class check says so), no versions reported, or a spec kplan cannot read
            if chosen(wanted, versions) is not None:
                continue
            where = "" if connect_of(spec.name) == "default" else f" {connect_of(spec.name)!r}"
            field = "plugin_version" if key == CONNECTOR_PIN else key
            out.append(error(
                f"connector {spec.name!r} pins {key} {wanted} of {cls}, which the Kafka Connect cluster{where} does "
                f"not have (installed: {', '.join(versions)}): set {field} to one of them, or install {wanted} in "
                "the plugin path of every worker first", MISSING, address=address_of(ResourceType.CONNECTOR, spec.name),
                path=("config", key), origin=spec.config_origins.get(key, spec.origin)))
    return out


def _too_old(spec: ConnectorSpec, keys: list[str], worker: str | None) -> PlanDiagnostic | None:
    found = parse_version(worker)
    if found is None or found >= PINS_SINCE:
        return None  # unknown: Connect's own validation speaks
    want = ".".join(map(str, PINS_SINCE))
    fields = ", ".join("plugin_version" if k == CONNECTOR_PIN else k for k in keys)
    return error(f"the Kafka Connect worker is version {worker}; pinning a plugin version ({', '.join(keys)}, "
                 f"KIP-891) needs Connect {want} or newer, and an older worker stores the key but runs the newest "
                 f"installed version: upgrade the worker to {want}+, or remove {fields} from connector {spec.name!r}",
                 "connect-version", address=address_of(ResourceType.CONNECTOR, spec.name), path=("config", keys[0]),
                 origin=spec.config_origins.get(keys[0], spec.origin))


def pin_notes(specs: Mapping[str, ConnectorSpec], changes: Mapping[str, ResourceChange], live: "LiveState",
              refused: frozenset[str] = frozenset()) -> list[PlanDiagnostic]:
    """A note for each update that changes its connector's own pin (`pin_note`), but those `refused` (addresses
    whose pin is an error: nothing will run it)."""
    current, installed = live.of(ResourceType.CONNECTOR).resources, facts_of(live).plugin_versions
    notes = [pin_note(specs[name], current[name], change.attributes, installed.get(connect_of(name)))
             for name, change in changes.items() if name in specs and name in current
             and change.action == Action.UPDATE and change.address not in refused]
    return [note for note in notes if note is not None]


def pin_note(spec: ConnectorSpec, live: "LiveConnector", attrs: Iterable[AttributeChange],
             installed: Mapping[str, tuple[str, ...]] | None) -> PlanDiagnostic | None:
    """What a change of the connector's own pin does to the running connector: the version it runs now and the
    one apply restarts it on (the newest installed one that fits, when the plugins were read)."""
    change = next((a for a in attrs if a.path == ("config", CONNECTOR_PIN)), None)
    if change is None:
        return None
    wanted = spec.config.get(CONNECTOR_PIN, LATEST).strip()
    cls = _installed_class(spec.connector_class, installed or {}) or spec.connector_class
    versions = (installed or {}).get(cls, ())
    target = chosen(wanted, versions) if versions else None
    now = f"runs version {live.version}" if live.version else "does not report the version it runs"
    if target:
        then = f"version {target}"
    elif wanted == LATEST:
        then = "the newest installed version"
    else:
        then = f"the newest installed version within {wanted}" if wanted[:1] in "[(" else f"version {wanted}"
    return PlanDiagnostic(Severity.INFO, f"connector {spec.name!r} {now} of {cls}; apply restarts it on {then} "
                          f"({CONNECTOR_PIN} {'removed' if CONNECTOR_PIN not in spec.config else wanted})",
                          "plugin-version-change", address=address_of(ResourceType.CONNECTOR, spec.name),
                          path=("config", CONNECTOR_PIN), origin=spec.config_origins.get(CONNECTOR_PIN, spec.origin))
