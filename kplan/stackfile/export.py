"""A Stack as plain, deterministic data for `kplan render` (YAML or JSON): sorted, secrets masked, every
resource with its origin (file:line, and the CDC source, table and role that generated it). Each kind renders its
own resources (`KindUnit.render`), in the kinds' order and as the Stack holds them (sorted by name)."""

from __future__ import annotations

from typing import Any

from kplan.kinds import UNITS
from kplan.model.desired import ConnectAccess, Stack
from kplan.secrets import display_value, masked_url


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
        for u in UNITS:
            if u.section is None:
                continue
            items = [{"cluster": m.cluster_name, **item} for m, d in zip(stack.members, members)
                     for item in d.get(u.section.key, [])]
            if items or u.section.always_counted:
                out[u.section.key] = items
        return out
    return {
        "stack": stack.name,
        "environment": stack.environment,
        "files": list(stack.files),
        "cluster": _cluster_data(stack.cluster),
        "authoritative_config": stack.authoritative_config,
        **{u.section.key: [_with_meta(stack, u.section.key, spec.name, _stack_wide(stack, u.render(spec)))
                           for spec in stack.of(u.section.key)]
           for u in UNITS if u.section is not None
           and (u.section.always_counted or stack.of(u.section.key))},
    }


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


def _stack_wide(stack: Stack, data: dict[str, Any]) -> dict[str, Any]:
    """A resource that leaves `authoritative_config` to the stack (None) shows the stack-wide switch: what applies
    to it."""
    if "authoritative_config" in data and data["authoritative_config"] is None:
        data["authoritative_config"] = stack.authoritative_config
    return data


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
