"""The topic kind's consumer context and consumer guard (docs/consumers.md; registered as its UNIT's
`consumer_guard_ref`: this module is the guard, asked by kplan.kinds.consumer_guard, which names no kind). Pure.

After the topics are planned, `disrupted` names the topics whose readers the plan affects — deleted, replaced,
given more partitions, their retention cut, their cleanup.policy changed — and only those are looked up
(`kplan.session.plan`: one follow-up read, none when no topic needs it). `attach` puts what was read on
each such topic's change (`ResourceChange.consumers`) and adds the guard's diagnostics:
- deleting or replacing a topic a group with live members reads (its members are assigned the topic, or it has
  committed offsets on it): an error, unless the topic sets `allow_consumer_disruption: true` or the run passes
  `--allow-active-consumers` (then a warning). A group that belongs to a sink connector or a Kafka Streams
  application the same plan deletes (or stops) before its topic steps is shown with what takes it away, and not
  counted (kplan.plan.planner.leaving, handed in);
- a group without members that has committed offsets on a deleted or replaced topic: a warning, or the severity of
  a `topic-consumed-deletion` policy rule that selects the topic;
- a retention cut that would delete records a group has not read yet: a warning.
A share group (KIP-932: protocol `share`, its start offsets as `committed`, its lag as the brokers give it) is shown
and guarded exactly as a consumer group (docs/share-groups.md).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Callable, Iterable, Mapping

from kplan.kinds.topic.kind import TopicPlanned
from kplan.kinds.topic.live import consumers_from_json
from kplan.kinds.topic.model import TopicSpec
from kplan.model.consumers import (
    ACTIVE_CODE,
    ALLOWED_CODE,
    BEHIND_CODE,
    COMMITTED_CODE,
    ConsumerContext,
    Disruption,
    GroupOnTopic,
    LiveConsumers,
    TopicPositions,
)
from kplan.model.desired import Stack
from kplan.model.live import LiveState, LiveTopic
from kplan.model.plan import Action, Plan, PlanDiagnostic, ResourceChange, ResourceType, error, warning
from kplan.model.policy import Policy, RuleType
from kplan.rules.display import readable
from kplan.words import plural

ALLOW_SETTING = "allow_consumer_disruption: true"
ALLOW_FLAG = "--allow-active-consumers"
SHARE = "share"  # a share group's protocol (KIP-932): shown and guarded as a consumer group is
from_json = consumers_from_json  # the guard's reading of a live-state document (`ConsumerGuard.from_json`)


def disrupted(plan: Plan, live: LiveState) -> dict[str, Disruption]:
    """The topics of `plan` whose consumers the plan affects, by name (none for a plan that changes no live
    topic in one of those ways)."""
    topics = live.of(ResourceType.TOPIC).resources
    found = {c.name: _disruption(c, topics[c.name]) for c in plan.changes
             if c.type == ResourceType.TOPIC and c.is_change and c.name in topics}
    return {name: d for name, d in found.items() if d is not None}


def _disruption(c: ResourceChange, lt: LiveTopic) -> Disruption | None:
    if c.action in (Action.DELETE, Action.REPLACE):
        return Disruption((c.action.value,), lt.partitions)
    p = c.planned
    if c.action != Action.UPDATE or not isinstance(p, TopicPlanned):
        return None
    because: list[str] = []
    if p.partitions is not None and p.partitions > lt.partitions:
        because.append("partitions")
    for key in ("retention.ms", "retention.bytes"):
        if key in p.set_config and _shorter(p.set_config[key], lt.effective.get(key)):
            because.append(key)
    if "cleanup.policy" in p.unset_config or (
            "cleanup.policy" in p.set_config and p.set_config["cleanup.policy"] != lt.effective.get("cleanup.policy")):
        because.append("cleanup.policy")
    cut = int(p.set_config["retention.ms"]) if "retention.ms" in because else None
    return Disruption(tuple(because), lt.partitions, cut) if because else None


def _shorter(new: str, old: str | None) -> bool:
    """A limit lowered: a finite new value below the old one, or where there was no limit (-1) or none known."""
    try:
        n = int(new)
        o = None if old is None else int(old)
    except ValueError:
        return False
    return n >= 0 and (o is None or o < 0 or n < o)


def attach(plan: Plan, stack: Stack, live: LiveState, allow_active: bool,
           leaving: Callable[[Plan, LiveState], Mapping[str, str]]) -> Plan:
    """`plan` with the consumer context on each disrupted topic's change and the guard's diagnostics; the same plan
    when the consumers were not read (`live.consumers` is None) or no topic is disrupted. `leaving`: group -> what in
    this plan takes it away before any topic step (kplan.plan.planner.leaving)."""
    consumers = live.consumers
    if consumers is None:
        return plan
    wanted = disrupted(plan, live)
    if not wanted:
        return plan
    specs = {t.name: t for t in stack.of("topics")}
    gone = leaving(plan, live)
    changes: list[ResourceChange] = []
    extra: list[PlanDiagnostic] = []
    for c in plan.changes:
        need = wanted.get(c.name) if c.type == ResourceType.TOPIC else None
        if need is not None:
            ctx = context_of(c.name, need, consumers, gone)
            extra += guard(c, ctx, specs.get(c.name), stack.policy, allow_active)
            c = replace(c, consumers=ctx)
        changes.append(c)
    return replace(plan, changes=tuple(changes), diagnostics=_ordered(plan, extra))


def _ordered(plan: Plan, extra: list[PlanDiagnostic]) -> tuple[PlanDiagnostic, ...]:
    """The plan's diagnostics with each new one after the last one about the same address (else at the end)."""
    out = list(plan.diagnostics)
    for d in extra:
        at = max((i for i, x in enumerate(out) if x.address == d.address), default=len(out) - 1)
        out.insert(at + 1, d)
    return tuple(out)


def context_of(topic: str, need: Disruption, consumers: LiveConsumers, gone: Mapping[str, str]) -> ConsumerContext:
    """The groups whose members are assigned `topic` or that have committed offsets on it, by name, with their lag
    (where they committed), the age of their oldest unconsumed record (where every lagging partition's was read),
    on a retention.ms cut how many unconsumed records are older than the new retention, and (`gone`: `leaving`)
    what in this plan takes a group away."""
    pos = consumers.topics.get(topic, TopicPositions())
    groups = []
    for gid in sorted(consumers.groups):
        g = consumers.groups[gid]
        committed = {p: o for p, o in (g.committed.get(topic) or {}).items() if o >= 0}
        assigned = tuple(sorted(g.assigned.get(topic) or ()))
        if not committed and not assigned:
            continue
        known = g.lags.get(topic) or {}  # a share group's lag as its brokers give it
        lags = {p: max(0, known[p]) if p in known else max(0, pos.end[p] - o) for p, o in committed.items()
                if p in known or p in pos.end}
        groups.append(GroupOnTopic(gid, g.state, g.members, sum(lags.values()) if committed else None,
                                   _oldest_age(committed, lags, pos, consumers.read_at_ms),
                                   _beyond(committed, pos, need.retention_ms), assigned, g.protocol,
                                   gone.get(gid)))
    return ConsumerContext(need.because, tuple(groups), need.retention_ms)


def _oldest_age(committed: dict[int, int], lags: dict[int, int], pos: TopicPositions, now_ms: int) -> int | None:
    times = [pos.timestamps.get(p, {}).get(committed[p]) for p, lag in lags.items() if lag > 0]
    if not times or any(t is None for t in times) or not now_ms:
        return None  # nothing unconsumed, or the broker could not tell for every lagging partition: omitted
    return max(0, now_ms - min(t for t in times if t is not None))


def _beyond(committed: dict[int, int], pos: TopicPositions, retention_ms: int | None) -> int | None:
    kept = pos.kept_from.get(retention_ms) if retention_ms is not None else None
    if kept is None:
        return None
    return sum(max(0, min(kept.get(p, o), pos.end.get(p, o)) - o) for p, o in committed.items())


def guard(c: ResourceChange, ctx: ConsumerContext, spec: TopicSpec | None, policy: Policy | None,
          allow_active: bool) -> list[PlanDiagnostic]:
    """The consumer guard's diagnostics for one disrupted topic."""
    out: list[PlanDiagnostic] = []
    what = {Action.DELETE: "deleting", Action.REPLACE: "replacing (deleting and re-creating)"}.get(c.action)
    if what is not None:
        active = [g for g in ctx.groups if g.active and g.leaves is None]
        if active:
            out.append(_active(c, what, active, spec, allow_active))
        idle = [g for g in ctx.groups if not g.active and g.leaves is None]
        if idle:
            out.append(_idle(c, what, idle, policy))
    behind = [g for g in ctx.groups if g.beyond_retention]
    if behind and ctx.retention_ms is not None:
        new = readable("retention.ms", ctx.retention_ms) or str(ctx.retention_ms)
        each = "; ".join(f"{g.group} has {g.lag} unconsumed, {g.beyond_retention} of them older than {new}"
                         for g in behind)
        out.append(warning(f"the new retention.ms ({new}) is shorter than consumer lag: {each} — Kafka may delete "
                           "them before they are read (docs/consumers.md)", BEHIND_CODE, address=c.address,
                           origin=c.origin))
    return out


def _active(c: ResourceChange, what: str, groups: list[GroupOnTopic], spec: TopicSpec | None,
            allow_active: bool) -> PlanDiagnostic:
    who = _with_lag(groups)
    allowed_by = ("the topic's allow_consumer_disruption" if spec is not None and spec.allow_consumer_disruption
                  else ALLOW_FLAG if allow_active else None)
    if allowed_by is not None:
        return warning(f"{what} the topic while consumer groups with live members read it: {who} (allowed by "
                       f"{allowed_by})", ALLOWED_CODE, address=c.address, origin=c.origin)
    how = (f"set `{ALLOW_SETTING}` on the topic or pass {ALLOW_FLAG}" if spec is not None
           else f"pass {ALLOW_FLAG}")
    return error(f"{what} the topic breaks consumer groups with live members: {who}; stop them first, or, to do "
                 f"it anyway, {how} (docs/consumers.md)", ACTIVE_CODE, address=c.address, origin=c.origin)


def _idle(c: ResourceChange, what: str, groups: list[GroupOnTopic], policy: Policy | None) -> PlanDiagnostic:
    rule = next((r for r in (policy.rules if policy is not None else ())  # the first that selects the topic
                 if r.type == RuleType.TOPIC_CONSUMED_DELETION and r.selects(c.name)), None)
    text = (f"{what} the topic drops the committed offsets of consumer groups without live members: "
            f"{_with_lag(groups)}")
    if rule is None:
        return warning(f"{text}; they restart from their auto.offset.reset position if they come back "
                       "(docs/consumers.md)", COMMITTED_CODE, address=c.address, origin=c.origin)
    return rule.violation(text, address=c.address, origin=c.origin)


def _with_lag(groups: Iterable[GroupOnTopic]) -> str:
    """`orders-app (Stable, 2 members, lag 40)`, `etl (Stable, 1 member, assigned 1 partition, no committed
    offsets)`, `jobs (share group, Stable, 1 member, lag 3)`, ... for messages."""
    return ", ".join(f"{g.group} ({'share group, ' if g.protocol == SHARE else ''}{g.state}, "
                     f"{plural(g.members, 'member')}, {_position(g)})" for g in groups)


def _position(g: GroupOnTopic) -> str:
    if g.lag is not None:
        return f"lag {g.lag}"
    what = "start offsets" if g.protocol == SHARE else "committed offsets"
    return f"assigned {plural(len(g.assigned), 'partition')}, no {what}"
