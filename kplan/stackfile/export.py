"""A Stack as plain, deterministic data for `kplan render` (YAML or JSON): sorted, secrets masked, every
resource with its origin (file:line, and the CDC source, table and role that generated it)."""

from __future__ import annotations

from kplan.kinds import UNITS
from kplan.model.desired import DEFAULT_CONNECT, ConnectAccess, ConnectorSpec, Stack, TopicSpec, origin_data
from kplan.secrets import display_value, masked_url


def topic_data(t: TopicSpec, stack_authoritative: bool = False) -> dict:
    return {
        "name": t.name,
        "partitions": t.partitions,
        "replication_factor": t.replication_factor,
        "config": {k: t.config[k] for k in sorted(t.config)},
        "protect": t.protect,
        # What applies to the topic: its own setting, else the stack-wide switch.
        "authoritative_config": stack_authoritative if t.authoritative_config is None else t.authoritative_config,
        "allow_replace": t.allow_replace,
        **({"allow_consumer_disruption": True} if t.allow_consumer_disruption else {}),
        "origin": origin_data(t.origin),
    }


def connector_data(c: ConnectorSpec) -> dict:
    out: dict = {
        "name": c.name,
        **({"connect": c.connect} if c.connect != DEFAULT_CONNECT else {}),
        "state": c.state.value,
        "restart_on_change": c.restart_on_change,
        "protect": c.protect,
        "config": {k: display_value(k, c.config[k], c.sensitive_keys) for k in sorted(c.config)},
        "sensitive_keys": sorted(c.sensitive_keys),
    }
    if c.requires_topics:
        out["requires_topics"] = list(c.requires_topics)
    if c.captured_tables:
        out["captured_tables"] = list(c.captured_tables)
        out["snapshot_new_tables"] = c.snapshot_new_tables
        out["prune_tables"] = c.prune_tables
    if c.signal:
        out["signal"] = {k: c.signal[k] for k in sorted(c.signal)}
    if c.offsets is not None:  # the request, in Connect's form (docs/offsets.md)
        out["offsets"] = {"request": c.offsets.request, "reset": c.offsets.reset, "set": c.offsets.offsets}
    out["origin"] = origin_data(c.origin)
    return out






def connect_data(access: ConnectAccess) -> dict:
    """How kplan reaches Connect, as the stack says it: references are shown (they name where a secret lives),
    anything else that may be a credential is masked."""
    auth: dict = {}
    if access.username:
        auth["basic"] = {"username": access.username, "password": access.password}
    if access.token:
        auth["bearer"] = access.token
    return {"auth": auth, "headers": {k: display_value(k, v) for k, v in sorted(access.headers.items())},
            "ca": access.ca, "client_cert": access.client_cert, "client_key": access.client_key,
            "verify": access.verify}






def stack_data(stack: Stack) -> dict:
    """The expanded stack as data (`kplan render`). A stack with several clusters: `clusters` (name -> settings)
    and every resource under the cluster it belongs to, `cluster: <name>` first."""
    if stack.members:
        members = [stack_data(m) for m in stack.members]
        out: dict = {"stack": stack.name, "environment": stack.environment, "files": list(stack.files),
               "clusters": {m.cluster_name: d["cluster"] for m, d in zip(stack.members, members)},
               "authoritative_config": stack.authoritative_config}
        for key in ("topics", "connectors", *(u.kind.section for u in UNITS if u.render is not None)):
            items = [{"cluster": m.cluster_name, **item} for m, d in zip(stack.members, members)
                     for item in d.get(key, [])]
            if items or key in ("topics", "connectors"):
                out[key] = items
        return out
    return _one_cluster(stack)


def _cluster_data(cluster) -> dict:
    return {
        **({"id": cluster.pinned_id} if cluster.pinned_id else {}),
        "bootstrap_servers": cluster.bootstrap_servers,
        "connect_url": masked_url(cluster.connect_url) if cluster.connect_url else None,
        "client": {k: display_value(k, cluster.client_properties[k]) for k in sorted(cluster.client_properties)},
        "timeout_s": cluster.timeout_s,
        **({"connect": connect_data(cluster.connect)} if cluster.connect != ConnectAccess() else {}),
        **({"connects": {name: {"url": masked_url(t.url), **connect_data(t.access)}
                         for name, t in sorted(cluster.connects.items())}} if cluster.connects else {}),
        **({"schema_registry": {"url": masked_url(cluster.schema_registry_url), "delete": cluster.registry_delete,
                                **connect_data(cluster.schema_registry)}} if cluster.schema_registry_url else {}),
    }


def _one_cluster(stack: Stack) -> dict:
    return {
        "stack": stack.name,
        "environment": stack.environment,
        "files": list(stack.files),
        "cluster": _cluster_data(stack.cluster),
        "authoritative_config": stack.authoritative_config,
        "topics": [_with_meta(stack, "topics", t.name, topic_data(t, stack.authoritative_config))
                   for t in sorted(stack.of("topics"), key=lambda t: t.name)],
        "connectors": [_with_meta(stack, "connectors", c.name, connector_data(c))
                       for c in sorted(stack.of("connectors"), key=lambda c: c.name)],
        **{u.kind.section: [_with_meta(stack, u.kind.section, spec.name, u.render(spec))
                            for spec in stack.of(u.kind.section)]
           for u in UNITS if u.render is not None and stack.of(u.kind.section)},
    }


def _with_meta(stack: Stack, section: str, name: str, data: dict) -> dict:
    """A resource's data with its owner, description and labels (kplan.model.metadata) before its origin, when it
    has some: one place for every kind."""
    meta = stack.meta(section, name)
    if meta.empty:
        return data
    origin = data.pop("origin", None)
    return {**data, **meta.to_json(), **({"origin": origin} if origin is not None else {})}


def dump(data: dict, fmt: str) -> str:
    if fmt == "json":
        import json

        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    import yaml

    return yaml.safe_dump(data, sort_keys=False, default_flow_style=False, allow_unicode=True, width=120)
