"""Which Connect cluster each declared connector (or cdc source) runs on (`connect:`), and the key it is known by.

A cluster may reach several Connect clusters (`cluster.connect` as a map of names); a connector names one, or runs
on the only one, or on the one named `default`. Its key (`kplan.model.desired.connector_key`) is its name on the
Connect cluster named `default`, `<connect>/<name>` on another: two Connect clusters may each hold a connector of the
same name."""

from __future__ import annotations

from dataclasses import replace

from kplan.model.desired import DEFAULT_CONNECT, ClusterSpec, connector_key
from kplan.model.diagnostics import Diagnostics
from kplan.model.source import Loc
from kplan.stackfile.member import ConnectorEntry


def choose_connects(entries: list[ConnectorEntry], cluster: ClusterSpec | None, cluster_loc: Loc, label: str,
                    member: str | None, diags: Diagnostics) -> list[ConnectorEntry]:
    """The entries with each spec on its Connect cluster and named by its key; an error for a connector whose
    Connect cluster is unknown or must be chosen."""
    if cluster is None:
        return entries
    names = cluster.connect_names()
    if entries and not names:
        diags.error(cluster_loc, f"{label}.connect_url is not set, but the stack declares connectors "
                                 f"{'in this cluster ' if member else ''}(set it, or {label}.connect.url, "
                                 "to the Kafka Connect REST URL)")
        return entries
    out = []
    for entry in entries:
        spec = entry.spec
        if spec is None:
            out.append(entry)
            continue
        chosen = spec.connect or _implicit(names)
        if not chosen:
            diags.error(entry.loc, f'connector "{entry.name}": {label}.connect names several Connect clusters '
                                   f"({', '.join(names)}) and none is named {DEFAULT_CONNECT}; say which one runs it "
                                   "(connect: <name>)")
            continue
        if chosen not in names:
            diags.error(entry.loc, f'connector "{entry.name}" runs on Connect cluster "{chosen}", which '
                                   f"{label}.connect does not name (it names: {', '.join(names) or 'none'})")
            continue
        key = connector_key(chosen, spec.name)
        moved = connector_key(chosen, spec.moved_from) if spec.moved_from else None
        out.append(ConnectorEntry(replace(spec, name=key, connect=chosen, moved_from=moved), key, entry.loc,
                                  entry.meta))
    return out


def source_key(cluster: ClusterSpec | None, name: str, connect: object) -> str:
    """The key of a cdc source's connector (what its generated schema-history topic exists for), as
    `choose_connects` will name it."""
    names = cluster.connect_names() if cluster is not None else ()
    chosen = connect if isinstance(connect, str) else _implicit(names) or DEFAULT_CONNECT
    return connector_key(chosen, name)


def _implicit(names: tuple[str, ...]) -> str:
    """The Connect cluster of a connector that names none: the only one, else the one named `default` ("": none)."""
    return names[0] if len(names) == 1 else DEFAULT_CONNECT if DEFAULT_CONNECT in names else ""
