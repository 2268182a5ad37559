"""Connectors in `kplan import`: each connector's config as Connect stores it, with its secrets replaced by
`${secret:env:...}` references (the rule is `kplan.secrets.imported_value`; the variables they need are the
import's), and the last check before the files are written: no such secret appears anywhere in them."""

from __future__ import annotations

import re
from typing import Any, Mapping, Sequence

from kplan.errors import KplanError
from kplan.kinds.connector.section import AS_CONFIG
from kplan.kinds.importing import ImportContext, KindImporter
from kplan.model.desired import DEFAULT_CONNECT
from kplan.model.live import LiveConnector, LiveState
from kplan.model.plan import ResourceType
from kplan.rules.stack_values import connector_config_value
from kplan.secrets import MIN_SCRUB_LENGTH, imported_value

_STATES = {"PAUSED": "paused", "STOPPED": "stopped"}  # RUNNING (and FAILED: a fault, not a wish) is the default


def entries(live: LiveState, ctx: ImportContext) -> list[dict[str, Any]]:
    found = live.of(ResourceType.CONNECTOR).resources
    return [connector_entry(found[name], ctx.variables, ctx.notes) for name in sorted(found)
            if ctx.selects(found[name].connect_name) and not ctx.owned_elsewhere("connector", name)]


def connector_entry(connector: LiveConnector, variables: dict[str, str], notes: list[str]) -> dict[str, Any]:
    config = dict(connector.config)
    config.pop("name", None)
    # `connect: <name>` for a connector read from a named Connect cluster (the `default` one's need none)
    entry: dict[str, Any] = {"name": connector.connect_name,
                             **({} if connector.connect == DEFAULT_CONNECT else {"connect": connector.connect})}
    for row in ("class", "plugin_version"):  # Connect's keys of the entry's own (tasks_max: below, if a count)
        if config.get(AS_CONFIG[row]):
            entry[row] = config.pop(AS_CONFIG[row])
    tasks = config.get("tasks.max")
    if tasks is not None and re.fullmatch(r"[1-9]\d{0,9}", tasks) and int(tasks) <= 2**31 - 1:
        entry["tasks_max"] = int(config.pop("tasks.max"))
    elif tasks is None:
        notes.append(f"connector {connector.name!r} has no tasks.max: kplan declares the default, 1, so the plan "
                     "will add tasks.max=1 (Connect's own default: nothing changes for the connector)")
    state = _STATES.get((connector.state or "").upper())
    if state:
        entry["state"] = state
    if config:
        entry["config"] = {key: written_value(connector.name, key, config[key], variables,
                                              f"connector {connector.name}") for key in sorted(config)}
    return entry


def written_value(name: str, key: str, value: str, variables: dict[str, str], owner: str) -> Any:
    """A connector's config value as an import writes it: a secret as its reference (the variable it needs noted,
    as `<owner>: <key>`), any other value in the stack's units."""
    written, variable = imported_value(name, key, value)
    if variable is None:
        return connector_config_value(key, written)
    variables[variable] = f"{owner}: {key}"
    return written


def replaced_secrets(connector: LiveConnector) -> dict[str, tuple[str, str]]:
    """The config values of `connector` an import replaces by references: key -> (the variable its reference names,
    the value)."""
    found = {key: imported_value(connector.name, key, value)[1] for key, value in connector.config.items()}
    return {key: (variable, connector.config[key]) for key, variable in found.items() if variable is not None}


def refuse_plaintext(live: LiveState, written: Sequence[dict[str, Any]], texts: Mapping[str, str]) -> None:
    """No secret value that was replaced by a reference appears anywhere in the files (`texts`: their text by name):
    the same password in a second, innocently named key would otherwise be written out."""
    for entry in written:
        connector = live.of(ResourceType.CONNECTOR).resources[entry["name"]]
        for key, (_, value) in replaced_secrets(connector).items():
            if len(value) >= MIN_SCRUB_LENGTH and any(value in text for text in texts.values()):
                raise KplanError(f"connector {connector.name!r}: the secret of {key!r} also appears in another "
                                 "value of the imported stack; nothing was written — exclude the connector "
                                 "(--exclude) and declare it by hand")


IMPORTER = KindImporter(None, entries, refuse_plaintext=refuse_plaintext)  # counted as `Imported.connectors`
