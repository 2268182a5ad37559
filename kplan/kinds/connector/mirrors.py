"""What a mirror's connectors (`mirrors:`, kplan.stackfile.mirrors) add to a plan: the flow in words — which topics
of the source are replicated, under which names, which groups' offsets are translated —, the same flow in the plan's
data-flows picture (`draw_mirror`), and, on the target, the replicas and MirrorMaker's own topics as the mirror's
(never orphans under a claim). And the connectors' part of that picture (`FLOWS`). Pure."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping, Sequence

from kplan.kinds.flows import READER, SOURCE, TOPIC, WRITER, FlowPart, Graph
from kplan.kinds.step import name_list
from kplan.model.desired import IDENTITY, connect_of, connector_key, freeze
from kplan.model.diagnostics import Severity
from kplan.model.mirror import FailoverDrill, MirrorRead, copied, declared_mirrors, drill, drill_groups
from kplan.model.plan import Action, Plan, PlanDiagnostic, ResourceChange, ResourceType, address_of
from kplan.words import plural

if TYPE_CHECKING:  # pragma: no cover
    from kplan.kinds.connector.model import ConnectorSpec
    from kplan.model.desired import MirrorSpec, Stack
    from kplan.model.live import LiveState


INFO, WARNING, ERROR = Severity.INFO, Severity.WARNING, Severity.ERROR
# One of a mirror's notes: (severity, text, code), each said at the mirror's first connector (`flow_notes`).
Note = tuple[Severity, str, str]

MIRROR_SOURCE, MIRROR_CHECKPOINT = (f"org.apache.kafka.connect.mirror.{c}" for c in ("MirrorSourceConnector",
                                                                                    "MirrorCheckpointConnector"))


def follow_up(stack: "Stack", live: "LiveState", destroy: bool,
              sources: Callable[[Sequence["MirrorSpec"]], Mapping[str, MirrorRead]],
              offsets: Callable[[Iterable[str]], Mapping[str, list[dict[str, Any]]]]) -> "LiveState":
    """The live state with what each declared mirror's source has (`sources`, the mirrors' follow-up read; not on
    destroy: nothing is replicated then) and, under the identity policy, the source topics its source connector has
    copied (its `offsets` on Connect)."""
    mirrors = declared_mirrors(stack)
    if destroy or not mirrors:
        return live
    reads = dict(sources([m for m, _ in mirrors]))
    for mirror, spec in mirrors:
        if mirror.policy == IDENTITY:
            key = source_key(mirror, spec)
            try:
                topics: frozenset[str] | None = frozenset(
                    str(o["partition"]["topic"]) for o in offsets([key]).get(key, ())
                    if isinstance(o.get("partition"), dict) and "topic" in o["partition"])
                problem = None
            except Exception as e:  # noqa: BLE001 - not known: every topic of the target may be a replica
                topics, problem = None, f"its source connector's offsets could not be read: {e}"
            reads[mirror.name] = replace(reads.get(mirror.name) or MirrorRead(problem="not read"), copied=topics,
                                         copied_problem=problem)
    return replace(live, mirror_sources=freeze(reads))


def source_key(mirror: "MirrorSpec", spec: "ConnectorSpec") -> str:
    """The key of the mirror's source connector, on the Connect cluster of `spec` (another of its connectors)."""
    return connector_key(connect_of(spec.name), f"{mirror.name}-source")


def flow_notes(stack: "Stack", live: "LiveState") -> list[PlanDiagnostic]:
    """One line per mirror (at its first connector): what it replicates, and the replicas already on this (the
    target) cluster."""
    names = live.topic_names()
    out = []
    for mirror, spec in declared_mirrors(stack):
        replicas = sorted(t for t in names if mirror.is_replica(t))
        have = (f"; {len(replicas)} replica topic(s) on {mirror.target_alias} now: "
                f"{', '.join(replicas[:10])}{' ...' if len(replicas) > 10 else ''}" if replicas else
                f"; no replica on {mirror.target_alias} yet")
        notes: list[Note] = [(INFO, mirror.describe() + have, "mirror-flow"), *_source_notes(mirror, spec, live)]
        read = live.mirror_sources.get(mirror.name)
        if read is not None and read.copied_problem is not None:
            notes.append((WARNING, f"mirror {mirror.name!r}: {read.copied_problem}; under the identity policy they say "
                          f"which topics on {mirror.target_alias} are its replicas, so this plan lists none there as "
                          "an orphan and prunes none", "mirror-replicas-unknown"))
        if live.broker_count and max(mirror.factors()) > live.broker_count:
            said = ("its replication_factor" if mirror.replication_factor is not None else
                    "MirrorMaker's default replication factors (2 for replicas, 3 for its own topics)")
            notes.append((ERROR, f"mirror {mirror.name!r} creates topics on {mirror.target_alias} with {said}, but it "
                          f"has {live.broker_count} broker(s): MirrorMaker could not create them and would replicate "
                          f"nothing; set replication_factor: {live.broker_count} or fewer",
                          "mirror-replication-factor"))
        address = address_of(ResourceType.CONNECTOR, spec.name)
        out += [PlanDiagnostic(sev, text, code, address=address, origin=spec.origin) for sev, text, code in notes]
    return out


def mirrored_topics(stack: "Stack", live: "LiveState") -> frozenset[str]:
    """The addresses of this cluster's topics the declared mirrors made, now or before a pattern change: theirs,
    never orphans (`MirrorSpec.owns_on_target`, with the patterns of the running source connector too: a change's
    own plan may come before Connect has stored the offsets of what it copied last)."""
    made = []
    for mirror, spec in declared_mirrors(stack):
        running = live.of(ResourceType.CONNECTOR).resources.get(source_key(mirror, spec))
        made += [(m, copied(live.mirror_sources, mirror.name))
                 for m in (mirror, *((_running(mirror, running.config),) if running is not None else ()))]
    return frozenset(address_of(ResourceType.TOPIC, t) for t in live.of(ResourceType.TOPIC).resources
                     if any(m.owns_on_target(t, c) for m, c in made))


def _running(mirror: "MirrorSpec", config: Mapping[str, str]) -> "MirrorSpec":
    """The mirror with the topic patterns its live source connector holds: what it replicates now (a pattern Python
    does not read as Java does matches nothing here)."""
    def split(key: str) -> tuple[str, ...]:
        return tuple(p for p in listed(config.get(key)) if _compiles(p))

    return replace(mirror, topics=split("topics"), topics_exclude=split("topics.exclude"))


def _compiles(pattern: str) -> bool:
    try:
        re.compile(pattern)
    except re.error:
        return False
    return True


def _source_notes(mirror: "MirrorSpec", spec: "ConnectorSpec", live: "LiveState") -> list[Note]:
    """What the source has: the topics replicated once the plan is applied, and which of them the change adds or
    drops (against what the live source connector's patterns replicate); a source not read is said so."""
    read = live.mirror_sources.get(mirror.name)
    if read is None:
        return []
    if read.problem is not None:
        return [(WARNING, f"mirror {mirror.name!r}: {read.problem}; the plan cannot say which of its topics are "
                 "replicated", "mirror-source-unread"), *_health(mirror, read)]
    source_connector = live.of(ResourceType.CONNECTOR).resources.get(source_key(mirror, spec))
    now = {t for t in read.source_topics if mirror.replicates(t)}
    text = (f"mirror {mirror.name!r} replicates {plural(len(now), 'topic')} of {mirror.source_alias}"
            + (f": {name_list(sorted(now), 10)}" if now else " (none matches its patterns yet)"))
    if source_connector is not None:  # against what the running source connector's patterns replicate
        running = _running(mirror, source_connector.config)
        before = {t for t in read.source_topics if running.replicates(t)}
        if now - before:
            text += f"; this change adds {name_list(sorted(now - before), 10)}"
        if before - now:
            text += (f"; it drops {name_list(sorted(before - now), 10)} (their replicas on {mirror.target_alias} "
                     "stay, no longer updated)")
    return [(INFO, text, "mirror-topics"), *_collisions(mirror, now, live), *_rights(mirror, read),
            *_health(mirror, read)]


def _health(mirror: "MirrorSpec", read: MirrorRead) -> list[Note]:
    """The replicas' lag, the checkpoints' age and each translated group's failover drill (`status` shows them
    too)."""
    out = []
    # replica topic -> the source's end offsets less the replica's, summed over partitions (replicas the target has of
    # topics the source has; the source not read: none)
    replicas = read.replicas
    lags = {mirror.target_name(t): n - replicas[mirror.target_name(t)] for t, n in sorted(read.topics.items())
            if mirror.target_name(t) in replicas}
    if lags:
        behind = {t: n for t, n in lags.items() if n > 0}
        said = ("every replica is caught up" if not behind else
                "; ".join(f"{t} {plural(n, 'record')} behind" for t, n in behind.items()))
        out.append((INFO, f"mirror {mirror.name!r} replication lag on {mirror.target_alias} (the source's end offsets "
                    f"less the replica's, summed over partitions): {said}", "mirror-lag"))
    if read.checkpoint_problem is not None:
        out.append((WARNING, f"mirror {mirror.name!r}: {read.checkpoint_problem}; no failover drill",
                    "mirror-checkpoints-unread"))
    newest = max((c.at_ms for c in read.checkpoints), default=None)
    if newest is not None:
        age = max(0, read.read_ms - newest)
        text = (f"mirror {mirror.name!r}: its newest checkpoint on {mirror.target_alias} was written "
                f"{_age(age)} before this read (every {mirror.checkpoint_interval_s} s while a group commits)")
        out.append((INFO, text, "mirror-checkpoint-age"))
    return out + [_failover(mirror, drill(mirror, read, group)) for group in drill_groups(mirror, read)]


def _age(ms: int) -> str:
    s = ms // 1000
    return f"{s} s" if s < 120 else f"{s // 60} min" if s < 7200 else f"{s // 3600} h"


def _rights(mirror: "MirrorSpec", read: MirrorRead) -> list[Note]:
    """The rights MirrorMaker's principals lack (asked of each cluster as them, kplan.kinds.connector.io.mirrors): an
    error per side for those without which nothing is copied or translated, a warning for those that degrade a part."""
    out = [] if read.rights_problem is None else [(WARNING, f"mirror {mirror.name!r}: {read.rights_problem}",
                                                   "mirror-rights")]
    for side, alias in (("source", mirror.source_alias), ("target", mirror.target_alias)):
        for fatal in (True, False):
            lacking = [n for n in read.missing if n.side == side and n.fatal == fatal]
            if not lacking:
                continue
            said = "; ".join(f"{n.acl()} ({n.breaks})" for n in lacking[:8]) + (
                f"; and {len(lacking) - 8} more" if len(lacking) > 8 else "")
            who = read.principals.get(side, "its principal")
            text = (f"mirror {mirror.name!r}: {who}, as whom MirrorMaker logs in to {alias} (the {side}), lacks: "
                    f"{said}. Grant it those rights (ACLs on {alias}) or give the mirror a principal that has them; "
                    "the connectors would run without reporting it")
            out.append((ERROR if fatal else WARNING, text, "mirror-rights"))
    return out


def _collisions(mirror: "MirrorSpec", replicated: set[str], live: "LiveState") -> list[Note]:
    """A replica would be written into a topic of the target that another stack owns: one error each."""
    out = []
    for topic in sorted(replicated):
        target = mirror.target_name(topic)
        owner = live.foreign_owners.get(address_of(ResourceType.TOPIC, target))
        if owner is not None:
            out.append((ERROR, f"mirror {mirror.name!r} would copy {mirror.source_alias}'s topic {topic} into {target} "
                        f"on {mirror.target_alias}, which stack {owner!r} owns: exclude it (topics_exclude), or use "
                        "the prefixed policy", "mirror-target-owned"))
    return out


def _failover(mirror: "MirrorSpec", d: FailoverDrill) -> Note:
    """Where a consumer group would resume were it moved to the target now (a failover drill): its translated offsets
    from the mirror's checkpoints, and the records it would re-read or miss there against the source."""
    head = f"failover of consumer group {d.group} to {mirror.target_alias} now: "
    if not d.positions:
        return (INFO, head + "it has no translated offsets there yet (no checkpoint), so it would start where its "
                "auto.offset.reset says", "mirror-failover")
    where = ", ".join(f"{t}/{p} at {o}" for t, p, o in d.positions[:6]) + (" ..." if len(d.positions) > 6 else "")
    age = f" (checkpoint {_age(d.checkpoint_age_ms or 0)} old)"
    if not d.known:
        return (INFO, f"{head}it would resume at {where}{age}, {plural(d.left_target, 'record')} left to read there; "
                f"what it would re-read or miss is not known: {mirror.source_alias} was not read", "mirror-failover")
    what = (" and ".join(x for x in (f"re-read {plural(d.reread, 'record')}" if d.reread else "",
                                     f"MISS {plural(d.missed, 'record')}" if d.missed else "") if x)
            or "re-read none and miss none")
    text = (f"{head}{plural(d.left_target, 'record')} left to read there from its translated offsets, {d.left_source} "
            f"on {mirror.source_alias}: it would {what}; it would resume at {where}{age}")
    if d.untranslated:
        text += f"; no translation for {', '.join(d.untranslated)} (it would start there by its auto.offset.reset)"
    return (WARNING if d.missed or d.untranslated else INFO, text, "mirror-failover")


def listed(value: Any) -> tuple[str, ...]:
    """The items of a comma-separated config value (none for an unset one)."""
    return tuple(p.strip() for p in str(value or "").split(",") if p.strip())


def change_config(ch: ResourceChange) -> dict[str, Any]:
    """The config a connector's change shows (after, else before)."""
    doc = ch.after if ch.after is not None else ch.before
    cfg = doc.get("config") if doc is not None else None
    return dict(cfg) if cfg else {}


def draw_mirror(g: Graph, ch: ResourceChange, plan: Plan) -> None:
    """A mirror (its MirrorMaker source connector) in the data-flows picture: each source topic it replicates -> the
    mirror -> its replica on the target -> the groups whose offsets it translates there (its checkpoint connector's
    `groups`, as written, and the consumer group requests of the target that name the replica). The source topics
    are the topics of the source cluster's plan (a stack with `clusters:`) that its patterns match; a source outside
    the plan is drawn as its patterns."""
    from kplan.model.desired import MirrorSpec
    from kplan.model.mirror import POLICY_CLASSES

    cfg = change_config(ch)
    alias, target = str(cfg.get("source.cluster.alias", "source")), str(cfg.get("target.cluster.alias", "target"))
    policy = IDENTITY if cfg.get("replication.policy.class") == POLICY_CLASSES[IDENTITY] else "prefixed"
    name = ch.name[:-len("-source")] if ch.name.endswith("-source") else ch.name
    flows: list[tuple[str, str | None, str]]  # (source topic, its action, its replica)
    try:
        mirror = MirrorSpec(name, alias, target, listed(cfg.get("topics")), listed(cfg.get("topics.exclude")),
                            policy=policy)
        source = {p.cluster_name: p for p in plan.groups if p.cluster_name}.get(alias)
        flows = sorted((f"{alias}: {c.name}", c.action.value, mirror.target_name(c.name))
                       for c in (source.changes if source else ())
                       if c.type == ResourceType.TOPIC and c.action != Action.DELETE and mirror.replicates(c.name))
    except re.error:  # a pattern Python reads otherwise than Java: drawn as written
        flows = []
    if not flows:  # the source is not in this plan: its patterns stand for its topics
        flows = [(f"{alias}: {', '.join(listed(cfg.get('topics'))) or '?'}", None,
                  f"{target}: {alias}.<topic>" if policy != IDENTITY else f"{target}: <topic>")]
    nid = g.node("mirror", name, WRITER, ch.action.value)
    checkpoint = next((c for c in plan.changes if c.type == ResourceType.CONNECTOR and c.name == f"{name}-checkpoint"),
                      None)
    groups = listed(change_config(checkpoint).get("groups")) if checkpoint else ()
    for source_topic, action, replica_name in flows:
        g.edge(g.node("topic", source_topic, SOURCE, action), nid)
        replica = g.node("topic", replica_name, TOPIC)
        g.edge(nid, replica)
        for grp in groups:
            g.edge(replica, g.node("group", grp, READER))


# -- the connectors in the data-flows picture (`kplan.kinds.flows`): in the first pass, a connector between the topics
# its config names (`topics`: it reads them; `topic`, `kafka.topic`: it writes them), from its CDC source, and a
# mirror's source connector with what it replicates (`draw_mirror`; its checkpoint connector is drawn as part of it).


def draw_connector(g: Graph, ch: ResourceChange, plan: Plan) -> None:
    cls = change_config(ch).get("connector.class")
    if cls == MIRROR_SOURCE:
        draw_mirror(g, ch, plan)
    elif cls != MIRROR_CHECKPOINT:
        _connector(g, ch)


def _connector(g: Graph, ch: ResourceChange) -> None:
    cfg = change_config(ch)
    reads = listed(cfg.get("topics"))
    writes = [str(cfg[k]).strip() for k in ("topic", "kafka.topic") if cfg.get(k)]
    source = ch.origin.cdc_source if ch.origin is not None else None
    nid = g.node("connector", ch.name, READER if reads and not (writes or source) else WRITER, ch.action.value,
                 rightmost=True)
    if source:
        g.edge(g.node("source", source, SOURCE), nid)
        g.cdc_writers.setdefault(source, []).append(nid)
    for t in reads:
        g.edge(g.node("topic", t, TOPIC), nid)
    for t in writes:
        g.edge(nid, g.node("topic", t, TOPIC))


FLOWS = FlowPart("connector", writers=draw_connector)
