"""`kplan import --from topicctl`: topicctl's cluster and topic files -> a kplan stack (pure: texts in, documents out;
`kplan/commands/import_.py` reads the files and writes the stack).

topicctl (segmentio/topicctl) keeps one cluster config (`meta`, `spec.bootstrapAddrs`, TLS, SASL) and topic configs,
one or more YAML documents per file (`meta.name/cluster/description/labels`, `spec.partitions/replicationFactor/
retentionMinutes/settings/placement/migration`). Each topic becomes a kplan topic with the config topicctl applies:
its `settings` turned into strings as topicctl turns them (`_setting`), `retentionMinutes` as `retention.ms`, written
in human units where they convert back exactly. Its description and labels come along; each topic file becomes one
file of a directory stack, as the team grouped them. What kplan has no place for (placement strategies, migration
throttles, ZooKeeper, expected consumers) is listed with why (`Unmapped`), never dropped silently. Bad input is one
located error (`KplanError`), and nothing is written.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from kplan.errors import KplanError
from kplan.importer.sources import Source, Unmapped, mapping, positive_count, stack_documents, where, yaml_documents
from kplan.model.metadata import LABEL_KEY, LABEL_VALUE
from kplan.rules.stack_values import topic_config_value
from kplan.secrets import env_reference_name


@dataclass(frozen=True)
class Translated:
    cluster_name: str
    cluster: Mapping[str, Any]
    groups: Mapping[str, tuple[dict, ...]]  # output file name -> its topics, one group per topicctl topic file
    unmapped: tuple[Unmapped, ...] = ()
    variables: Mapping[str, str] = field(default_factory=dict)  # environment variable -> what it must hold

    @property
    def topics(self) -> tuple[dict, ...]:
        return tuple(t for group in self.groups.values() for t in group)

    def documents(self, stack: str, *, split: bool) -> dict[str, dict]:
        """File name -> document: one `stack.yaml`, or (split) the stack and cluster there and one file per topicctl
        topic file."""
        return stack_documents(stack, self.cluster, {"topics": list(self.topics)},
                               {name: {"topics": list(topics)} for name, topics in self.groups.items()}, split)


# What kplan has no place for, by topicctl's key, and why (with what to do instead).
_CLUSTER_UNMAPPED = {
    "zkAddrs": "kplan talks to the brokers only (Kafka's admin API); its lock is a record in the cluster",
    "zkPrefix": "kplan talks to the brokers only (Kafka's admin API)",
    "zkLockPath": "kplan's apply lock is a record in the cluster, taken by every apply (docs/apply-and-recovery.md)",
    "defaultThrottleMB": "set cluster.reassignment_throttle (bytes per second per broker) for kplan's reassignments",
    "defaultRetentionDropStepDuration": "kplan cuts retention in one change, shown in the plan with the consumer "
                                        "groups reading the topic (docs/consumers.md); split a large cut by hand",
}
_TOPIC_UNMAPPED = {
    "migration": "kplan's reassignments use one throttle for the cluster: cluster.reassignment_throttle",
}
_SASL_MECHANISMS = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512")


def translate(sources: Sequence[Source]) -> Translated:
    """The stack topicctl's files describe. Every document must be topicctl's cluster or topic config; exactly one
    cluster config; every topic names that cluster (as topicctl's apply checks) and is declared once."""
    clusters: list[tuple[Source, str, Any, dict]] = []
    topics: list[tuple[Source, str, Any, dict]] = []
    for source in sources:
        for node, doc in yaml_documents(source, "topicctl"):
            spec = mapping(doc, "spec")
            at = where(source, node)
            if not isinstance(doc.get("meta"), dict) or not isinstance(doc.get("spec"), dict):
                raise KplanError(f"{at}: not a topicctl config (a cluster or topic config has `meta:` and "
                                 "`spec:`): give kplan import --from topicctl topicctl's own files")
            if "bootstrapAddrs" in spec:
                clusters.append((source, at, node, doc))
            elif "partitions" in spec:
                topics.append((source, where(source, node, "meta", "name"), node, doc))
            else:
                raise KplanError(f"{at}: neither a topicctl cluster config (spec.bootstrapAddrs) nor a topic "
                                 "config (spec.partitions)")
    if len(clusters) != 1:
        found = ", ".join(f"{w} ({d['meta'].get('name')!r})" for _, w, _, d in clusters)
        raise KplanError("kplan import --from topicctl needs exactly one topicctl cluster config (its cluster.yaml) "
                         f"among the paths; found {found or 'none'}: import one cluster at a time")
    cluster_source, at, node, doc = clusters[0]
    name = _text(doc["meta"].get("name"), f"{at}: meta.name")
    unmapped: list[Unmapped] = []
    variables: dict[str, str] = {}
    cluster = _cluster(cluster_source, node, doc, name, unmapped, variables)
    groups: dict[str, list[dict]] = {}
    seen: dict[str, str] = {}
    for source, at, node, doc in topics:
        entry = _topic(source, node, doc, name, unmapped)
        if entry["name"] in seen:
            raise KplanError(f"{at}: topic {entry['name']!r} is declared twice (also at {seen[entry['name']]}): "
                             "keep one")
        seen[entry["name"]] = at
        groups.setdefault(source.path, []).append(entry)
    return Translated(name, cluster, _named(groups), tuple(unmapped), variables)


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value:
        raise KplanError(f"{what} must be a non-empty string, as topicctl requires")
    return value


def _count(source: Source, node, spec: dict, key: str) -> int:
    return positive_count(spec.get(key), where(source, node, "spec", key), f"spec.{key}", ", as topicctl requires")


def _cluster(source: Source, node, doc: dict, name: str, unmapped: list, variables: dict) -> dict:
    spec = doc["spec"]
    addrs = spec.get("bootstrapAddrs")
    if not isinstance(addrs, list) or not addrs or not all(isinstance(a, str) and a for a in addrs):
        raise KplanError(f"{where(source, node, 'spec', 'bootstrapAddrs')}: spec.bootstrapAddrs must list the "
                         "brokers' host:port")
    cluster: dict[str, Any] = {}
    if isinstance(spec.get("clusterID"), str) and spec["clusterID"]:
        cluster["id"] = spec["clusterID"]  # kplan's pin: every command refuses another cluster
    cluster["bootstrap_servers"] = ",".join(addrs)
    unmapped += [Unmapped(where(source, node, "spec", key), f"cluster {name}: {key}", why)
                 for key, why in _CLUSTER_UNMAPPED.items() if spec.get(key) not in (None, "", [], 0)]
    client = _client(source, node, spec, name, unmapped, variables)
    if client:
        cluster["client"] = client
    return cluster


def _client(source: Source, node, spec: dict, name: str, unmapped: list, variables: dict) -> dict:
    """librdkafka's settings for topicctl's `tls` and `sasl` (kplan's `cluster.client`)."""
    tls, sasl = mapping(spec, "tls"), mapping(spec, "sasl")
    client: dict[str, Any] = {}
    if not tls.get("enabled") and not sasl.get("enabled"):
        return client
    client["security.protocol"] = ("SASL_" if sasl.get("enabled") else "") + ("SSL" if tls.get("enabled")
                                                                              else "PLAINTEXT")
    if tls.get("enabled"):
        for key, setting in (("caCertPath", "ssl.ca.location"), ("certPath", "ssl.certificate.location"),
                             ("keyPath", "ssl.key.location")):
            if isinstance(tls.get(key), str) and tls[key]:  # topicctl reads them relative to its cluster file
                client[setting] = posixpath.normpath(posixpath.join(source.directory, tls[key]))
        if tls.get("skipVerify"):
            client["enable.ssl.certificate.verification"] = False
        if tls.get("serverName"):
            unmapped.append(Unmapped(where(source, node, "spec", "tls", "serverName"), f"cluster {name}: "
                                     "tls.serverName", "librdkafka verifies the broker's own host name; connect "
                                     "to a name its certificate holds"))
    if sasl.get("enabled"):
        mechanism = str(sasl.get("mechanism") or "").upper()
        if mechanism not in _SASL_MECHANISMS:
            raise KplanError(f"{where(source, node, 'spec', 'sasl', 'mechanism')}: SASL mechanism {mechanism!r} "
                             f"cannot be imported (kplan maps {', '.join(_SASL_MECHANISMS)}; for AWS MSK IAM write "
                             "cluster.client.aws_msk_iam by hand, docs/stack-format.md)")
        client["sasl.mechanism"] = mechanism
        if sasl.get("username"):
            client["sasl.username"] = str(sasl["username"])
        variable = env_reference_name(name, "sasl.password")  # the password itself is never written
        client["sasl.password"] = f"${{secret:env:{variable}}}"
        variables[variable] = f"the SASL password of cluster {name} (topicctl's sasl.password or its override)"
    return client


def _topic(source: Source, node, doc: dict, cluster: str, unmapped: list) -> dict:
    meta, spec = doc["meta"], doc["spec"]
    name = _text(meta.get("name"), f"{where(source, node, 'meta', 'name')}: meta.name")
    if meta.get("cluster") != cluster:
        raise KplanError(f"{where(source, node, 'meta', 'cluster')}: topic {name!r} is for cluster "
                         f"{meta.get('cluster')!r}, not {cluster!r} (the cluster config given): import each "
                         "cluster's topics with its own cluster config")
    entry: dict[str, Any] = {"name": name}
    if isinstance(meta.get("description"), str) and meta["description"].strip():
        entry["description"] = meta["description"].strip()
    labels = mapping(meta, "labels")
    kept = {str(k): str(v) for k, v in labels.items() if LABEL_KEY.match(str(k)) and LABEL_VALUE.match(str(v))}
    for key in sorted(set(map(str, labels)) - kept.keys()):
        unmapped.append(Unmapped(where(source, node, "meta", "labels", key), f"topic {name}: label {key!r}",
                                 "kplan's label keys are Kubernetes-like ([prefix/]name) and values one line"))
    if kept:
        entry["labels"] = dict(sorted(kept.items()))
    entry["partitions"] = _count(source, node, spec, "partitions")
    entry["replication_factor"] = _count(source, node, spec, "replicationFactor")
    settings = mapping(spec, "settings")
    config = {str(k): _setting(source, node, str(k), v) for k, v in settings.items() if v is not None}
    config = {k: v for k, v in config.items() if v != ""}  # topicctl sends no empty value
    minutes = spec.get("retentionMinutes")
    if minutes:
        if isinstance(minutes, bool) or not isinstance(minutes, int) or minutes < 0:
            raise KplanError(f"{where(source, node, 'spec', 'retentionMinutes')}: spec.retentionMinutes must be a "
                             f"whole number of minutes (got {minutes!r})")
        if "retention.ms" in config:
            raise KplanError(f"{where(source, node, 'spec', 'retentionMinutes')}: topic {name!r} sets both "
                             "retentionMinutes and settings' retention.ms (topicctl refuses it too): keep one")
        config["retention.ms"] = str(minutes * 60_000)
    if config:
        entry["config"] = {k: topic_config_value(k, config[k]) for k in sorted(config)}
    placement = mapping(spec, "placement")
    if placement.get("strategy") not in (None, "", "any"):
        unmapped.append(Unmapped(where(source, node, "spec", "placement"), f"topic {name}: placement "
                                 f"{placement['strategy']}", "kplan keeps the replicas the cluster has and places "
                                 "new ones by Kafka's default; `kplan plan --rebalance` balances replicas and leaders "
                                 "across brokers (docs/rebalance.md)"))
    unmapped += [Unmapped(where(source, node, "spec", key), f"topic {name}: {key}", why)
                 for key, why in _TOPIC_UNMAPPED.items() if spec.get(key)]
    if meta.get("consumers"):
        unmapped.append(Unmapped(where(source, node, "meta", "consumers"), f"topic {name}: consumers",
                                 "kplan reads the groups consuming a topic from the cluster when a plan disrupts it "
                                 "(docs/consumers.md); keep the list as a label or in the description"))
    return entry


def _setting(source: Source, node, key: str, value: Any) -> str:
    """A topicctl setting as the string topicctl sends (its `interfaceToString`): lists joined by commas, whole
    numbers without a fraction, other numbers with two decimals."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value == int(value) else f"{value:.2f}"
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return ",".join(_setting(source, node, key, v) for v in value)
    raise KplanError(f"{where(source, node, 'spec', 'settings', key)}: setting {key} has a value topicctl cannot "
                     f"send ({type(value).__name__}): write it as a string, a number or a list")


def _named(groups: Mapping[str, list[dict]]) -> dict[str, tuple[dict, ...]]:
    """Each topic file's topics under a file name of its own: `<its name>.yaml`, numbered where two would clash."""
    out: dict[str, tuple[dict, ...]] = {}
    for path, topics in groups.items():
        stem = posixpath.splitext(posixpath.basename(path))[0] or "topics"
        name, n = f"{stem}.yaml", 2
        while name in out or name == "stack.yaml":
            name, n = f"{stem}-{n}.yaml", n + 1
        out[name] = tuple(topics)
    return out
