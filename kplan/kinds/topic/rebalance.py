"""The topic kind's part in `kplan plan --rebalance` and `--elect-leaders` (docs/rebalance.md; registered as its
UNIT's `rebalance_ref`, found by kplan.kinds.rebalancing): a reviewed plan that spreads the replicas of the stack's
topics evenly over the brokers and racks, or makes each partition's preferred replica its leader. A rebalance
elects too: a move keeps a partition's leader while it stays a replica, so each partition not led by its new first
replica is elected after the moves.

A request adds topic updates to the stack's plan (reason `rebalance` or `elect-leaders`): a move's planned payload
holds the new and the previous replica lists of every partition (and the throttle), an election its partitions, so
that `kplan plan -out f` then `kplan apply f` runs exactly what was reviewed, through the reassignment steps a
replication-factor change uses (journaled, rolled back to the previous lists on failure). Apply of a saved plan
and `kplan recover --resume` do not choose again: they ask for the same targets (`of_plan`,
`of_journal`), each planned against the cluster as it is then.

Only the stack's own (declared) topics are moved: `--topic PATTERN` narrows them (a claim's prefix: `orders.*`).
A topic this plan creates, replaces or deletes, or whose replication factor it changes, is left to that change.
"""

from __future__ import annotations

from dataclasses import replace as replace_attr
from fnmatch import fnmatchcase
from typing import Any, Iterable, Mapping, Sequence

from kplan.kinds.topic.balance import balanced, moved_partitions
from kplan.kinds.topic.kind import TOPIC, TopicPlanned, live_topic_repr
from kplan.model.desired import Stack
from kplan.model.diagnostics import Severity
from kplan.model.live import LiveState, LiveTopic
from kplan.model.plan import (
    Action,
    AttributeChange,
    AttrKind,
    NoteKind,
    Plan,
    PlanDiagnostic,
    Reason,
    ResourceChange,
    address_of,
    error,
    warning,
)
from kplan.model.rebalance import Assignment, Leaders, RebalanceRequest
from kplan.rules.display import readable
from kplan.rules.placement import format_assignment
from kplan.words import plural


def planned(plan: Plan, stack: Stack, live: LiveState, request: RebalanceRequest,
            leaders: Leaders | None) -> Plan:
    """`plan` with the request's moves and elections as topic updates, and what it found as diagnostics."""
    if not request.wanted:
        return plan
    diags: list[PlanDiagnostic] = []
    topics = live.of(TOPIC).resources
    changes = {c.address: c for c in plan.changes}
    scope = _scope(stack, request, diags)
    if (request.elect_leaders or request.elect) and leaders is None:
        diags.append(error("--elect-leaders needs the partitions' leaders, which this live state does not have; "
                           "plan against the cluster", "elect-leaders-unread"))
    elif request.rebalance and leaders is None:
        diags.append(warning("--rebalance plans no leader election: this live state does not have the partitions' "
                             "leaders (plan against the cluster to see the elections the moves need)",
                             "elect-leaders-unread"))
    moved = balanced_already = looked = copied = 0
    for name in scope:
        current: LiveTopic | None = topics.get(name)
        change = changes.get(address_of(TOPIC, name))
        if current is None or change is None:
            continue  # created by this plan (or not the stack's): nothing to move yet
        if change.action not in (Action.NOOP, Action.UPDATE, Action.METADATA):
            diags.append(warning(f"topic {name!r} is not rebalanced: this plan {change.action.value}s it",
                                 "rebalance-skipped", address=change.address))
            continue
        rf_move = isinstance(change.planned, TopicPlanned) and bool(change.planned.replicas)
        if rf_move and request.given and name in request.targets:
            # a move still under way reads as a replication-factor change (its partitions list the replicas being
            # added too): the interrupted run's lists and throttle are what to finish
            lists = request.targets[name]
            changes[change.address] = _finishing(change, lists, request.throttle,
                                                 _election(name, lists, request, leaders),
                                                 (leaders or {}).get(name, ()))
            moved += 1
            continue
        if rf_move:
            diags.append(warning(f"topic {name!r} is not rebalanced: its replication factor change moves its "
                                 "replicas already", "rebalance-skipped", address=change.address))
            continue
        if not current.assignment or not live.broker_racks:
            diags.append(error(f"topic {name!r}: a rebalance needs the topic's replica assignment and the "
                               "cluster's brokers, which this live state does not have; plan against the cluster",
                               "rebalance-unread", address=change.address))
            continue
        target = _target(name, current, live, request, diags, change.address)
        if target is None:
            continue
        looked += 1
        elect = _election(name, target, request, leaders)
        move = target != current.assignment or (name in request.finish and name in request.targets)
        if request.rebalance and target == current.assignment:
            balanced_already += 1
        if not move and not elect:
            continue
        if move:
            moved += 1
            copied += moved_partitions(current.assignment, target)
        changes[change.address] = _updated(change, current, target if move else None, elect, request,
                                           (leaders or {}).get(name, ()))
    if request.rebalance and looked:
        rate = request.throttle
        limit = f", at most {readable('throttle_byte_rate', rate) or f'{rate} B/s'} per broker" if rate else ""
        diags.append(PlanDiagnostic(
            Severity.INFO, f"rebalance of {plural(looked, 'topic')}: {moved} get new replica lists "
            f"({plural(copied, 'partition')} copy data{limit}), {balanced_already} already balanced",
            "rebalance-summary"))
    new_changes = tuple(changes[c.address] for c in plan.changes)
    return replace_attr(plan, changes=new_changes, diagnostics=plan.diagnostics + tuple(diags))


def _scope(stack: Stack, request: RebalanceRequest, diags: list[PlanDiagnostic]) -> list[str]:
    """The topics the request concerns, by name."""
    declared = [t.name for t in stack.of("topics")]
    if request.given:
        return sorted(set(request.targets) | set(request.elect))
    if not request.topics:
        return sorted(declared)
    out = set()
    for pattern in request.topics:
        found = [n for n in declared if fnmatchcase(n, pattern)]
        if not found:
            diags.append(error(f"--topic {pattern!r} matches none of the stack's topics (only declared topics are "
                               "rebalanced)", "rebalance-no-topic"))
        out.update(found)
    return sorted(out)


def _target(name: str, current: LiveTopic, live: LiveState, request: RebalanceRequest,
            diags: list[PlanDiagnostic], address: str) -> Assignment | None:
    if request.given:
        target = request.targets.get(name, current.assignment)
        if len(target) != len(current.assignment) or any(b not in live.broker_racks for r in target for b in r):
            diags.append(error(f"topic {name!r}: the replica lists asked for ({format_assignment(target)}) do not fit "
                               f"the topic's {len(current.assignment)} partitions on brokers "
                               f"{', '.join(map(str, sorted(live.broker_racks)))}; plan again",
                               "rebalance-target-invalid", address=address))
            return None
        return target
    if request.rebalance:
        return balanced(current.assignment, live.broker_racks)
    return current.assignment


def _election(name: str, target: Assignment, request: RebalanceRequest,
              leaders: Leaders | None) -> tuple[int, ...]:
    """The partitions whose leader is not the preferred (first) replica of `target`."""
    if leaders is None or not (request.rebalance or request.elect_leaders or name in request.elect):
        return ()
    led = leaders.get(name, ())
    wanted = request.elect.get(name) if request.given else range(len(target))
    return tuple(p for p in (wanted or ()) if p < len(target) and target[p]
                 and (p >= len(led) or led[p] != target[p][0]))


def _updated(change: ResourceChange, current: LiveTopic, target: Assignment | None, elect: tuple[int, ...],
             request: RebalanceRequest, leaders: Sequence[int]) -> ResourceChange:
    """The topic's change with the move (`target`) and the election added: a no-op becomes an update."""
    attrs = list(change.attributes)
    if target is not None:
        attrs.append(AttributeChange(("replicas",), AttrKind.UPDATE, format_assignment(current.assignment),
                                     format_assignment(target), note=NoteKind.REBALANCE))
    final = target if target is not None else current.assignment
    if elect:
        attrs.append(_leaders_change(elect, leaders, final))
    base = change.planned if isinstance(change.planned, TopicPlanned) else TopicPlanned()
    planned = replace_attr(base, replicas=target or (), replicas_before=current.assignment if target else (),
                           throttle=request.throttle if target is not None else None, elect=elect)
    if change.action == Action.UPDATE:
        return replace_attr(change, attributes=tuple(attrs), planned=planned)
    before = change.before if change.before is not None else live_topic_repr(current)
    # an election alone is --rebalance's when that was asked without --elect-leaders
    moves = target is not None or (request.rebalance and not request.elect_leaders)
    return replace_attr(change, action=Action.UPDATE, attributes=tuple(attrs), planned=planned,
                        before=before, after=change.after if change.after is not None else before,
                        reason=Reason.REBALANCE if moves else Reason.ELECT_LEADERS)


def _finishing(change: ResourceChange, target: Assignment, throttle: int | None, elect: tuple[int, ...],
               leaders: Sequence[int]) -> ResourceChange:
    """A replication-factor change of a topic whose interrupted move is being resumed, going to that move's lists,
    and its partitions' elections after it (`elect`: those not led by their new first replica now)."""
    assert isinstance(change.planned, TopicPlanned)
    attrs = [replace_attr(a, after=format_assignment(target)) if a.path == ("replicas",) else a
             for a in change.attributes]
    if elect:
        attrs.append(_leaders_change(elect, leaders, target))
    return replace_attr(change, attributes=tuple(attrs), planned=replace_attr(change.planned, replicas=target,
                                                                              throttle=throttle, elect=elect))


def _leaders_change(elect: tuple[int, ...], leaders: Sequence[int], final: Assignment) -> AttributeChange:
    """partition:leader, the leader now and the preferred replica made leader."""
    now = " | ".join(f"{p}:{leaders[p] if p < len(leaders) and leaders[p] >= 0 else 'none'}" for p in elect)
    return AttributeChange(("leaders",), AttrKind.UPDATE, now, " | ".join(f"{p}:{final[p][0]}" for p in elect),
                           note=NoteKind.PREFERRED_LEADER)


def moved(type_: str, name: str, path: tuple[str, ...], then: Any, now: Any, live: LiveState) -> list[str] | None:
    """A saved election that no longer matches (`kplan.model.rebalance.Rebalancing.moved`): each partition whose
    leader differs, when planned and now; a partition the fresh plan no longer elects is named with the leader
    the election read (`LiveState.leaders`)."""
    if type_ != TOPIC.value or path != ("leaders",):
        return None
    was, led = _led(then), _led(now)
    read = (live.leaders or {}).get(name) or ()
    for p in (p for p in was if p not in led and p < len(read)):
        led[p] = str(read[p]) if read[p] >= 0 else "none"
    return [f"partition {p} leader: {was.get(p, 'not elected')} when planned, "
            f"{led.get(p, 'not elected')} now" for p in sorted(was.keys() | led.keys()) if was.get(p) != led.get(p)]


def _led(shown: Any) -> dict[int, str]:
    """partition -> leader, from the `leaders` attribute's text (`0:1 | 1:none`, `_leaders_change`)."""
    pairs = (item.split(":", 1) for item in str(shown or "").split(" | ") if ":" in item)
    return {int(p): leader for p, leader in pairs}


# -- the same request again: apply of a saved plan, recover --resume --------------------------------------------


def of_plan(plan: Plan | None) -> RebalanceRequest:
    """The moves and elections a saved plan holds, to be planned again exactly (apply checks they still match)."""
    if plan is None:
        return RebalanceRequest()
    targets: dict[str, Assignment] = {}
    elect: dict[str, tuple[int, ...]] = {}
    throttle = None
    for c in plan.changes:
        if c.type != TOPIC or not isinstance(c.planned, TopicPlanned):
            continue
        if any(a.note == NoteKind.REBALANCE for a in c.attributes) and c.planned.replicas:
            targets[c.name] = c.planned.replicas
            throttle = throttle or c.planned.throttle
        if c.planned.elect:
            elect[c.name] = c.planned.elect
    return RebalanceRequest(targets=targets, elect=elect, throttle=throttle)


def of_journal(steps: Iterable[Mapping[str, Any]]) -> RebalanceRequest:
    """What an interrupted run's reassignments and elections that are not done asked for (`recover --resume`): the
    same replica lists, and for a throttled move cut short its topics again, so that its throttle is taken away."""
    targets: dict[str, Assignment] = {}
    elect: dict[str, tuple[int, ...]] = {}
    finish: set[str] = set()
    throttle = None
    for entry in steps:
        if entry.get("status") == "done":
            continue
        args = entry.get("args") or {}
        if entry.get("kind") == "reassign-replicas":
            for name, lists in (args.get("targets") or {}).items():
                targets[name] = tuple(tuple(int(b) for b in r) for r in lists)
                # and each partition's election where its leader is not the new first replica (the plan reads the
                # leaders then): a move keeps a leader that stays a replica, and a run cut short may have been
                # journaled before its own election was
                elect[name] = tuple(sorted({*elect.get(name, ()), *range(len(targets[name]))}))
                if args.get("throttle"):
                    throttle = throttle or int(args["throttle"])
                    if entry.get("status") != "pending":
                        finish.add(name)
        elif entry.get("kind") == "elect-leaders":
            for name, ids in (args.get("partitions") or {}).items():
                elect[name] = tuple(sorted({*elect.get(name, ()), *(int(p) for p in ids)}))
    return RebalanceRequest(targets=targets, elect=elect, finish=frozenset(finish), throttle=throttle)


def leaders_wanted(stack: Stack, request: RebalanceRequest) -> list[str]:
    return [t.name for t in stack.of("topics")] + list(request.elect)
