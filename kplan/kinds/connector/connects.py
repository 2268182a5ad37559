"""Connectors on a Connect cluster that could not be read (a stack with several Connect clusters: the reader reads
each on its own and keeps going without one that does not answer, `ConnectFacts.problems`): unknown, so the
plan leaves them alone and says so in one line per Connect cluster. And the consumer groups sink connectors join."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable, Mapping

from kplan.model.plan import Action, PlanDiagnostic, ResourceChange, ResourceType, error, warning
from kplan.rules.connect import sink_group_of
from kplan.words import plural

if TYPE_CHECKING:  # pragma: no cover
    from kplan.kinds.connector.model import ConnectorSpec
    from kplan.model.live import LiveState


def unread_connects(declared: Mapping[str, "ConnectorSpec"], live: "LiveState", allowed: frozenset[str] = frozenset()
                    ) -> tuple[dict[str, "ConnectorSpec"], list[PlanDiagnostic]]:
    """(the declared connectors whose Connect cluster was read, one line per Connect cluster that was not). Unknown is
    not unchanged: a Connect cluster that was not read is an error, unless the run allows it (`allowed` holds
    `connect:NAME`, `--allow-unreadable`): then a warning, and the plan records it (`Plan.not_read`)."""
    from kplan.kinds.connector.live import facts_of

    problems = facts_of(live).problems
    kept = {k: s for k, s in declared.items() if s.connect not in problems}
    notes = []
    for connect in sorted(problems):
        names = sorted(k for k, s in declared.items() if s.connect == connect)
        what = (f"its declared connector {names[0]} is" if len(names) == 1 else
                f"its {plural(len(names), 'declared connector')} ({', '.join(names)}) are" if names else
                "its connectors are")
        system = unread_system(connect)
        if system in allowed:
            notes.append(warning(f"Kafka Connect cluster {connect!r} could not be read ({problems[connect]}): {what} "
                                 f"unknown and left alone (--allow-unreadable {system})", "connect-unreadable"))
        else:
            match = "it matches" if len(names) == 1 else "they match"
            notes.append(error(f"Kafka Connect cluster {connect!r} could not be read ({problems[connect]}): {what} "
                               f"unknown, so kplan cannot tell whether {match} the stack; make it readable, or leave "
                               f"it out of this run: --allow-unreadable {system}", "connect-unreadable"))
    return kept, notes


def unread_system(connect: str) -> str:
    """How `--allow-unreadable` and the plan's `not_read` name a Connect cluster: `connect:NAME`."""
    return f"connect:{connect}"


def shared_sink_groups(specs: Iterable[ConnectorSpec]) -> list[PlanDiagnostic]:
    """Sinks of one name on two Connect clusters of one Kafka cluster join the same consumer group: their tasks
    would split the topics' partitions between them (each seeing part of the data), and resetting one's offsets
    fails while the other runs. An error naming both, until one gets a group of its own."""
    by_group: dict[str, list["ConnectorSpec"]] = {}
    for spec in specs:
        group = sink_group_of(spec.config, spec.connect_name)
        if group is not None:
            by_group.setdefault(group, []).append(spec)
    out = []
    for group, sharing in sorted(by_group.items()):
        connects = sorted({s.connect for s in sharing})
        if len(connects) < 2:
            continue
        first = sorted(sharing, key=lambda s: s.name)[-1]
        out.append(error(
            f"sink connectors {', '.join(sorted(s.name for s in sharing))} run on Connect clusters "
            f"{' and '.join(connects)} of the same Kafka cluster and share the consumer group {group!r}: their tasks "
            "would split the topics' partitions between them; set consumer.override.group.id on one of them (or "
            "name them apart)", "connect-shared-sink-group", address=f"connector.{first.name}", origin=first.origin))
    return out


def takes_groups(c: ResourceChange, live: "LiveState") -> dict[str, str]:
    """The consumer group a sink connector's change takes away before any topic step (`takes_groups` in the
    connector's UNIT; kplan.plan.planner.leaving): apply stops a sink it deletes (and resets its offsets) or stops
    in the connectors' phases, which run before REPLACE_TOPICS and DELETE_TOPICS. {its sink group: what takes it
    away} for a connector the change deletes or stops; {} otherwise."""
    conn = live.of(ResourceType.CONNECTOR).resources.get(c.name)
    group = sink_group_of(conn.config, conn.connect_name) if conn is not None else None
    stopped = c.action == Action.UPDATE and (c.after or {}).get("state") == "stopped" and (
        (c.before or {}).get("state") != "stopped")
    if group is None or not (c.action == Action.DELETE or stopped):
        return {}
    return {group: f"this stack's connector {c.name}, {'deleted' if c.action == Action.DELETE else 'stopped'} first"}
