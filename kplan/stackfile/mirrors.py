"""A `mirrors:` entry expanded into MirrorMaker 2's connectors, as a cdc source expands into its connector: the
source connector (replicates the topics), the checkpoint connector (translates the listed consumer groups' offsets;
only with `groups`) and the heartbeat connector (`heartbeats: true`, the default). They run on the target cluster's
Connect, whose workers write to the target cluster; the entry's `config` is laid over all three. Pure: the source
cluster is another cluster of the stack (`clusters:`) or given inline (`{alias, bootstrap_servers}`).

Every setting is then checked by the real plugin at plan (`config/validate`, as for any connector)."""

from __future__ import annotations

import re
from typing import Any, Mapping

from kplan.kinds.shape import Attr, defaulted
from kplan.model.desired import IDENTITY, PREFIXED, ClusterSpec, MirrorSpec
from kplan.model.diagnostics import Diagnostics
from kplan.model.mirror import POLICY_CLASSES
from kplan.model.source import Loc, SourceMap
from kplan.rules.units import UnitError, parse_duration_ms
from kplan.words import did_you_mean

MIRROR = "org.apache.kafka.connect.mirror."
# records are copied as they are: keys, values and headers (the worker's JSON converters would copy them as base64 text)
BYTES = "org.apache.kafka.connect.converters.ByteArrayConverter"
FACTOR_KEYS = ("replication.factor", "offset-syncs.topic.replication.factor", "checkpoints.topic.replication.factor",
               "heartbeats.topic.replication.factor")
ROLES = {"source": "MirrorSourceConnector", "checkpoint": "MirrorCheckpointConnector",
         "heartbeat": "MirrorHeartbeatConnector"}


def _regexes(entry: dict, key: str, smap: SourceMap, diags: Diagnostics, loc: Loc) -> tuple[str, ...]:
    """A list of patterns, each a valid regular expression (MirrorMaker matches them against whole names)."""
    out = []
    for p in entry.get(key) or ():
        try:
            re.compile(str(p))
        except re.error as e:
            diags.error(smap.value_loc(entry, key) or loc, f"{key} pattern {p!r} is not a regular expression: {e}")
            continue
        out.append(str(p))
    return tuple(out)


def _seconds(entry: dict, key: str, raw: Any, smap: SourceMap, diags: Diagnostics, loc: Loc) -> int:
    """A duration in whole seconds (`raw`: the entry's, else its row's default); 0 with an error when it is not."""
    try:
        ms = parse_duration_ms(raw)
    except UnitError as e:
        diags.error(smap.value_loc(entry, key) or loc, f"{key}: {e}")
        return 0
    if ms < 1000 or ms % 1000:
        diags.error(smap.value_loc(entry, key) or loc, f"{key} must be whole seconds, at least 1s (MirrorMaker "
                                                        f"counts in seconds); got {raw!r}")
        return 0
    return ms // 1000


# A cluster's `client:` settings (librdkafka's) as MirrorMaker's Java client takes them, for either side.
_LOGIN = {"PLAIN": "org.apache.kafka.common.security.plain.PlainLoginModule",
          "SCRAM-SHA-256": "org.apache.kafka.common.security.scram.ScramLoginModule",
          "SCRAM-SHA-512": "org.apache.kafka.common.security.scram.ScramLoginModule"}


def java_client(side: str, cluster: ClusterSpec, smap: SourceMap, diags: Diagnostics, loc: Loc) -> dict[str, str]:
    """`<side>.cluster.*` settings from a cluster's client settings: its security protocol, a SASL PLAIN/SCRAM login
    (the password stays a `${secret:...}` reference, resolved when the connector is written) and a PEM CA file. Any
    other client setting cannot be carried over: an error names it (give the `<side>.cluster.*` keys in `config`)."""
    props = dict(cluster.client_properties)
    out: dict[str, str] = {}
    protocol = props.pop("security.protocol", None)
    if protocol:
        out["security.protocol"] = protocol.upper()
    mechanism = props.pop("sasl.mechanisms", None) or props.pop("sasl.mechanism", None)
    user, password = props.pop("sasl.username", None), props.pop("sasl.password", None)
    if mechanism:
        module = _LOGIN.get(mechanism.upper())
        if module is None or user is None or password is None:
            diags.error(loc, f"the {side} cluster's SASL mechanism {mechanism} cannot be given to MirrorMaker from its "
                             f"client settings (PLAIN and SCRAM with sasl.username and sasl.password can); set "
                             f"{side}.cluster.sasl.* in the mirror's config")
        else:
            out["sasl.mechanism"] = mechanism.upper()
            out["sasl.jaas.config"] = f'{module} required username="{user}" password="{password}";'
    ca = props.pop("ssl.ca.location", None)
    if ca:
        out.update({"ssl.truststore.type": "PEM", "ssl.truststore.location": ca})
    for key in sorted(props):
        if key not in _IGNORED:
            diags.error(loc, f"the {side} cluster's client setting {key} cannot be given to MirrorMaker; set "
                             f"{side}.cluster.* keys in the mirror's config instead")
    return {f"{side}.cluster.{k}": v for k, v in out.items()}


_IGNORED = frozenset({"client.id", "socket.timeout.ms", "request.timeout.ms"})  # kplan's own, not the mirror's


def _login_key(key: str, side: str) -> bool:
    """A key of the mirror's `config` that gives MirrorMaker its own login to one side (not the cluster's)."""
    prefix = f"{side}.cluster."
    return key.startswith(prefix) and key[len(prefix):].startswith(("security.protocol", "sasl.", "ssl."))


def _servers(servers: str) -> set[str]:
    return {s.strip().lower() for s in servers.split(",") if s.strip()}


def source_of(entry: dict, clusters: Mapping[str, ClusterSpec], smap: SourceMap, diags: Diagnostics, loc: Loc
              ) -> tuple[str, ClusterSpec] | None:
    """(alias, how to reach it) of the mirror's source: a cluster of `clusters:` by name (its settings), or inline
    (its bootstrap servers, plaintext; the schema checked its alias and servers)."""
    source = entry["source"]
    where = smap.value_loc(entry, "source") or loc
    if isinstance(source, str):
        cluster = clusters.get(source)
        if cluster is None:
            known = ", ".join(sorted(clusters)) or "none: a one-cluster stack gives the source inline"
            diags.error(where, f'mirror "{entry.get("name")}": source "{source}" is not a cluster of `clusters:` '
                               f"(declared: {known}){did_you_mean(source, clusters)}; or give it inline: "
                               "source: {alias: ..., bootstrap_servers: ...}")
            return None
        return source, cluster
    servers = source["bootstrap_servers"]
    return source["alias"], ClusterSpec(",".join(servers) if isinstance(servers, list) else servers)


def _schemas(entry: dict, source_alias: str, source: ClusterSpec, target_alias: str, target: ClusterSpec,
             smap: SourceMap, diags: Diagnostics, loc: Loc) -> bool:
    """`schemas: true`: the replicated topics' subjects go to the target's registry, read from the source's. Both
    clusters must name a schema registry (`schema_registry` in their settings): an error at the key otherwise."""
    lacking = [f"{side} {alias}" for side, alias, c in (("source", source_alias, source), ("target", target_alias,
                                                                                         target))
               if not c.schema_registry_url]
    if lacking:
        diags.error(smap.value_loc(entry, "schemas") or loc,
                    f'mirror "{entry.get("name")}": schemas: true copies the replicated topics\' subjects from the '
                    f"source's schema registry to the target's, but the {' and the '.join(lacking)} names no "
                    "schema_registry (a source given inline has none: name a cluster of `clusters:`)")
        return False
    return True


def expand_mirror(entry: dict, rows: tuple[Attr, ...], target_name: str | None, target: ClusterSpec | None,
                  clusters: Mapping[str, ClusterSpec], smap: SourceMap, diags: Diagnostics, loc: Loc
                  ) -> tuple[MirrorSpec, dict[str, dict[str, Any]]] | None:
    """The mirror and its connectors' settings, by connector name (`<name>-source`, ...): the settings a declared
    connector entry has (class, tasks_max, state, config), so they are built and checked as declared connectors are.
    `rows`: a mirror entry's (the connector kind's MIRRORS), whose defaults fill what it does not say. None: reported.
    """
    name = entry["name"]
    src = source_of(entry, clusters, smap, diags, loc)
    if src is None or target is None:
        return None
    source_alias, source_cluster = src
    source_servers = source_cluster.bootstrap_servers
    target_alias = entry.get("target_alias") or target_name or "target"
    if _servers(source_servers) & _servers(target.bootstrap_servers):
        diags.error(smap.value_loc(entry, "source") or loc, f'mirror "{name}": its source is its target cluster '
                    f"({source_servers}); MirrorMaker always replicates heartbeats topics, so a cluster mirrored into "
                    "itself copies them into new topics without end: a mirror copies between two clusters")
        return None
    if source_alias == target_alias:
        diags.error(smap.value_loc(entry, "source") or loc, f'mirror "{name}": the source and the target are both '
                    f'"{source_alias}"; a mirror copies between two clusters (set target_alias to tell them apart)')
        return None
    said = defaulted(rows, entry)
    topics = _regexes(entry, "topics", smap, diags, loc)
    policy = IDENTITY if said["replication_policy"] == IDENTITY else PREFIXED
    groups = _regexes(entry, "groups", smap, diags, loc)
    checkpoint_s = _seconds(entry, "checkpoint_interval", said["checkpoint_interval"], smap, diags, loc)
    sync_offsets = said["sync_group_offsets"] is True
    rf = raw if isinstance(raw := said["replication_factor"], int) and not isinstance(raw, bool) else None
    own = {str(k): v for k, v in said["config"].items()} if isinstance(said["config"], dict) else {}
    mirror = MirrorSpec(name, source_alias, target_alias, topics, _regexes(entry, "topics_exclude", smap, diags, loc),
                        groups, policy, checkpoint_s, sync_offsets, rf, said["sync_topic_configs"] is True,
                        said["sync_topic_acls"] is True, said["heartbeats"] is True,
                        frozenset(side for side in ("source", "target") if any(_login_key(k, side) for k in own)),
                        source_cluster, said["schemas"] is True and _schemas(
                            entry, source_alias, source_cluster, target_alias, target, smap, diags, loc))
    factors = {key: str(rf) for key in FACTOR_KEYS} if rf is not None else {}
    security = ({**java_client("source", source_cluster, smap, diags, loc),
                 **java_client("target", target, smap, diags, loc)})
    common = {**factors, **security, "source.cluster.alias": source_alias, "target.cluster.alias": target_alias,
              "source.cluster.bootstrap.servers": source_servers,
              "target.cluster.bootstrap.servers": target.bootstrap_servers,
              "replication.policy.class": POLICY_CLASSES[policy],
              "key.converter": BYTES, "value.converter": BYTES, "header.converter": BYTES}
    refresh = str(_seconds(entry, "refresh_topics_interval", said["refresh_topics_interval"], smap, diags, loc))
    roles = {  # each connector's own settings, laid between the common ones and the entry's `config`
        "source": {"topics": ",".join(topics),
                   # MirrorMaker's default excludes its internal topics
                   **({"topics.exclude": ",".join(mirror.topics_exclude)} if mirror.topics_exclude else {}),
                   "sync.topic.configs.enabled": str(mirror.sync_topic_configs).lower(),
                   "sync.topic.acls.enabled": str(mirror.sync_topic_acls).lower(),
                   "refresh.topics.interval.seconds": refresh},
        # the groups are listed again as often as the topics (a group seen later is checkpointed then)
        "checkpoint": {"groups": ",".join(groups), "refresh.groups.interval.seconds": refresh,
                       "emit.checkpoints.interval.seconds": str(checkpoint_s),
                       "sync.group.offsets.enabled": str(sync_offsets).lower(),
                       "sync.group.offsets.interval.seconds": str(checkpoint_s)} if groups else None,
        "heartbeat": {"emit.heartbeats.interval.seconds": "1"} if mirror.heartbeats else None,
    }
    return mirror, {f"{name}-{role}": {"class": MIRROR + ROLES[role],
                                       "tasks_max": said["tasks_max"] if role == "source" else 1,
                                       "state": said["state"], "config": {**common, **config, **own}}
                    for role, config in roles.items() if config is not None}
