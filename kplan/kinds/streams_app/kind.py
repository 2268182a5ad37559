"""The streams_app kind: one resource per Kafka Streams application (`streams_app.orders-enricher`), whose
attributes are the ACL bindings its principal needs (generated, `model.app_bindings`) and, with
`internal_topics: managed`, its declared internal topics.

* a generated binding the cluster lacks is created (and recorded as the application's: kplan created it);
* a binding kplan created for the application that it no longer generates (an input removed) is deleted;
* a managed internal topic that does not exist is created (an existing one is left as it is);
* the application's internal topics (`<application.id>-...-changelog`, `-repartition`...) are its own: never
  drift, never orphans, never imported as topics of their own;
* destroy deletes the bindings kplan created, and the internal topics only with
  `delete_internal_topics_on_destroy: true` (otherwise the plan says it leaves them).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Iterable, Mapping

from kplan.kinds.base import Kind, PlanContext, Scrub, rights_problems
from kplan.kinds.codec import JsonKey
from kplan.kinds.planned import payloads
from kplan.kinds.streams_app.live import Held, LiveStreamsApp, held_key, topic_key
from kplan.kinds.streams_app.model import InternalTopicSpec, StreamsAppSpec, internal_topics_of
from kplan.model.bindings import binding_from_json, binding_json
from kplan.model.desired import freeze
from kplan.model.diagnostics import Severity
from kplan.model.live import KindState, Problem
from kplan.model.ownership import Entry, Ownership, keys_after, keys_of
from kplan.model.plan import (
    Action,
    AttributeChange,
    AttrKind,
    NoteKind,
    PlanDiagnostic,
    PlannedPayload,
    Reason,
    ResourceChange,
    ResourceType,
)
from kplan.model.status import Difference, ResourceStatus
from kplan.words import plural

if TYPE_CHECKING:  # pragma: no cover
    from kplan.model.desired import Stack
    from kplan.model.live import LiveState
    from kplan.model.plan import Plan
    from kplan.model.source import Origin
    from kplan.secrets import SecretValues

STREAMS_APP = ResourceType.STREAMS_APP

PROBLEMS = {
    Problem.SECURITY_DISABLED: "the cluster has no authorizer (describe_acls answered SECURITY_DISABLED), so it "
                               "cannot hold the applications' ACLs; configure authorizer.class.name on the brokers",
    **rights_problems("ACLs"),
}


@dataclass(frozen=True)
class StreamsAppStatus(ResourceStatus):
    bindings: int | None = None
    declared_bindings: int | None = None
    internal_topics: int | None = None


def held_json(h: Held) -> dict[str, str]:
    return {"principal": h[0], **binding_json(h[1])}


HELD = JsonKey(write=lambda hs: [held_json(h) for h in hs],
               read=lambda docs: tuple((str(d["principal"]), binding_from_json(d)) for d in docs))


@dataclass(frozen=True)
class StreamsAppPlanned(PlannedPayload):
    """What apply does for one application: the exact bindings it creates and deletes (with their principal), the
    internal topics it creates (managed) and those it deletes (destroy, when asked)."""

    type: ClassVar[ResourceType] = STREAMS_APP
    json_keys: ClassVar[Mapping[str, JsonKey]] = {"create": HELD, "delete": HELD}

    create: tuple[Held, ...] = ()
    delete: tuple[Held, ...] = ()
    create_topics: tuple[InternalTopicSpec, ...] = ()
    delete_topics: tuple[str, ...] = ()


def _sorted(held: Iterable[Held]) -> tuple[Held, ...]:
    return tuple(sorted(held, key=lambda h: (h[0], h[1].resource, h[1].resource_label, h[1].operation, h[1])))


def generated(spec: StreamsAppSpec) -> frozenset[Held]:
    return frozenset((spec.principal, b) for b in spec.bindings())


def path_of(h: Held) -> tuple[str, ...]:
    """`("User:x", "topic", "prefix:app-", "CREATE")`: shown as `User:x["topic"]["prefix:app-"]["CREATE"]`."""
    return (h[0], h[1].resource, h[1].resource_label, h[1].operation)


def app_repr(name: str, held: Iterable[Held], topics: Iterable[str]) -> dict[str, Any]:
    return {"application_id": name, "bindings": [held_json(h) for h in _sorted(held)],
            "internal_topics": sorted(topics)}


def _attr(path: tuple[str, ...], value: str, kind: AttrKind, note: NoteKind | None = None) -> AttributeChange:
    """`path` added (`value` after) or removed (`value` before): a binding's grant, an internal topic's "exists"."""
    if kind == AttrKind.ADD:
        return AttributeChange(path, kind, None, value, note=note)
    return AttributeChange(path, kind, value, None, note=note)


def acl_slice(live: "LiveState") -> KindState:
    """The ACL kind's slice of the batched read (every principal's bindings, and why they could not be read): an
    application's bindings are among them. The one place the kind reads another kind's live state."""
    return live.of(ResourceType.ACL)


def follow_up(stack: "Stack", live: "LiveState", reader: Any, destroy: bool) -> "LiveState":
    """Each declared or owned application's slice from what the batched read has: its principal's bindings among
    those it generates or kplan created for it (the ACL slice), its internal topics (every topic name). No request
    of its own; an application a live-state document describes stays as it says."""
    state = live.of(STREAMS_APP)
    specs = {s.name: s for s in stack.of("streams_apps")}
    names = set(specs) | set(state.resources)
    if not names:
        return live
    acls = acl_slice(live)
    topic_names = live.topic_names()
    apps = dict(state.resources)
    for name in sorted(names):
        known = apps.get(name)
        if known is not None and known.read:
            continue
        owned = known.owned if known is not None else frozenset()
        spec = specs.get(name) or StreamsAppSpec(name, "")
        want = generated(spec) if spec.principal else frozenset()
        principals = {p for p, _ in want} | {k.split("|", 1)[0] for k in owned if not k.startswith("topic|")}
        held = {(p, b) for p in principals for b in getattr(acls.resources.get(p), "bindings", ())
                if (p, b) in want or held_key((p, b)) in owned}
        apps[name] = LiveStreamsApp(name, frozenset(held), owned, internal_topics_of(spec, topic_names))
    return live.with_kind(STREAMS_APP, resources=freeze(apps), problem=acls.problem)


def takes_groups(c: ResourceChange, live: "LiveState") -> dict[str, str]:
    """The consumer group the application's change takes away before any topic step (`takes_groups` in its UNIT;
    kplan.plan.planner.leaving): {its application.id: what takes it away} when the change removes the application
    (it deletes its READ on its own group, with its other ACLs in DELETE_ACLS, which runs before REPLACE_TOPICS and
    DELETE_TOPICS; a destroy keeps its internal topics and so is an update, not a delete); {} otherwise."""
    deleted = c.planned.delete if isinstance(c.planned, StreamsAppPlanned) else ()
    if not any(b.resource == "group" and b.pattern == "literal" and b.name == c.name and b.operation == "READ"
               for _, b in deleted):
        return {}
    return {c.name: f"this stack's Kafka Streams application {c.name}, removed first (its ACLs deleted)"}


class StreamsAppKind(Kind[StreamsAppSpec, LiveStreamsApp, StreamsAppStatus]):
    type = STREAMS_APP
    planned_type = StreamsAppPlanned
    title = "Kafka Streams applications"
    section = "streams_apps"
    status_type = StreamsAppStatus
    difference_notes = {AttrKind.ADD: "missing", AttrKind.REMOVE: "no longer generated (deleted by the next apply)"}

    def plan(self, spec: StreamsAppSpec, current: LiveStreamsApp | None, ctx: PlanContext
             ) -> tuple[ResourceChange, list[PlanDiagnostic]]:
        want = generated(spec)
        now = current or LiveStreamsApp(spec.name)  # nothing on the cluster yet
        bindings, owned, topics = set(now.bindings), now.owned, set(now.internal_topics)
        create = want - bindings
        delete = {h for h in bindings - want if held_key(h) in owned}
        new_topics = tuple(t for t in spec.topics if t.name not in topics)
        attrs = [_attr(path_of(h), h[1].grant, AttrKind.ADD) for h in create]
        attrs += [_attr(path_of(h), h[1].grant, AttrKind.REMOVE, NoteKind.BINDING_NO_LONGER_DECLARED) for h in delete]
        attrs += [_attr(("internal_topic", t.name), "exists", AttrKind.ADD, NoteKind.STREAMS_INTERNAL_TOPIC)
                  for t in new_topics]
        attrs.sort(key=lambda a: a.path)
        after = (bindings | want) - delete
        after_topics = topics | {t.name for t in new_topics}
        if not bindings and not topics:
            action, reason = Action.CREATE, Reason.NOT_ON_CLUSTER
        elif attrs:
            action, reason = Action.UPDATE, Reason.DIFFERS
        else:
            action, reason = Action.NOOP, Reason.MATCHES
        planned = (StreamsAppPlanned(_sorted(create), _sorted(delete), new_topics)
                   if create or delete or new_topics else None)
        return ResourceChange(
            address=f"{STREAMS_APP.value}.{spec.name}", type=STREAMS_APP, name=spec.name, action=action,
            before=app_repr(spec.name, bindings, topics) if bindings or topics else None,
            after=app_repr(spec.name, after, after_topics), attributes=tuple(attrs),
            unchanged_attributes=len(want & bindings), reason=reason, origin=spec.origin, planned=planned), []

    def delete(self, current: LiveStreamsApp, spec: StreamsAppSpec | None, reason: Reason,
               origin: Origin | None = None) -> ResourceChange:
        """Delete the bindings kplan created for the application; its internal topics too when the stack asks
        (`delete_internal_topics_on_destroy`), else they stay (`deletion_notes` says so)."""
        ours = {h for h in current.bindings if held_key(h) in current.owned}
        topics = current.internal_topics if spec is not None and spec.delete_internal_topics_on_destroy else ()
        attrs = sorted([_attr(path_of(h), h[1].grant, AttrKind.REMOVE) for h in ours]
                       + [_attr(("internal_topic", t), "exists", AttrKind.REMOVE,
                                NoteKind.STREAMS_INTERNAL_TOPIC_DELETED) for t in topics],
                       key=lambda a: a.path)
        kept_topics = set(current.internal_topics) - set(topics)
        kept = set(current.bindings) - ours
        action = Action.NOOP if not attrs else (Action.UPDATE if kept or kept_topics else Action.DELETE)
        return ResourceChange(
            address=f"{STREAMS_APP.value}.{current.name}", type=STREAMS_APP, name=current.name, action=action,
            before=app_repr(current.name, current.bindings, current.internal_topics),
            after=app_repr(current.name, kept, kept_topics) if kept or kept_topics else None,
            attributes=tuple(attrs), reason=reason, origin=origin,
            planned=StreamsAppPlanned(delete=_sorted(ours), delete_topics=tuple(topics)) if attrs else None)

    def live_repr(self, current: LiveStreamsApp, spec: StreamsAppSpec | None = None) -> dict[str, Any]:
        return app_repr(current.name, current.bindings, current.internal_topics)

    def covers(self, stack: "Stack", live: "LiveState") -> frozenset[str]:
        """The declared applications' internal topics and generated bindings: the applications', never orphans."""
        apps = self.live(live)
        specs = self.declared(stack)
        topics = {f"topic.{t}" for s in specs for t in getattr(apps.get(s.name), "internal_topics", ())}
        return frozenset(topics | {f"acl.{p}#{b.key}" for s in specs for p, b in generated(s)})

    def checks(self, stack: Stack, changes: Mapping[str, ResourceChange],
               all_changes: Mapping[str, ResourceChange], live: LiveState) -> list[PlanDiagnostic]:
        """A principal with an `acls` entry too: its ACL kind's view shows the application's bindings as drift
        (left alone) unless that entry declares them."""
        acl_principals = {a.name for a in stack.of("acls")}
        return [PlanDiagnostic(Severity.WARNING, f"streams app {s.name!r} runs as {s.principal}, which also has an "
                               "acls entry: that entry shows the application's generated bindings as drift (left "
                               "alone); keep the principal's rights in one place", "streams-app-principal-in-acls",
                               address=self.address(s.name), origin=s.origin)
                for s in self.declared(stack) if s.principal in acl_principals]

    def deletion_notes(self, stack: Stack, changes: Mapping[str, ResourceChange],
                       all_changes: Mapping[str, ResourceChange], live: LiveState,
                       secrets: SecretValues | None = None) -> list[PlanDiagnostic]:
        """The ACLs must be readable; destroy says which internal topics it leaves."""
        out = self.unreadable(live, stack.of(self.section), "Kafka Streams applications", PROBLEMS)
        specs = {s.name: s for s in self.declared(stack)}
        for name, change in sorted(changes.items()):
            current = self.live(live).get(name)
            spec = specs.get(name)
            if change.reason in (Reason.DESTROY, Reason.REMOVED_FROM_STACK) and current is not None \
                    and current.internal_topics and (spec is None or not spec.delete_internal_topics_on_destroy):
                out.append(PlanDiagnostic(
                    Severity.INFO, f"streams app {name!r}: its {plural(len(current.internal_topics), 'internal topic')}"
                    f" ({', '.join(current.internal_topics)}) stay (set delete_internal_topics_on_destroy: true to "
                    "delete them with the application)", "streams-internal-topics-kept",
                    address=self.address(name), origin=change.origin))
        return out

    def record_after(self, plan: Plan, stack: "Stack", live: "LiveState", destroy: bool, parts: Ownership
                     ) -> dict[str, Entry]:
        """Its part of the ownership record once the plan is applied, application -> the keys of what kplan created
        for it (its bindings, `principal|binding key`; its managed internal topics, `topic|<name>`): what it created
        before that still exists, plus what the plan creates, minus what it deletes."""

        def keys(held: Iterable[Held], topics: Iterable[str]) -> set[str]:
            return {held_key(h) for h in held} | {topic_key(t) for t in topics}

        return keys_after({n: a.owned & keys(a.bindings, a.internal_topics) for n, a in self.live(live).items()},
                          ((c.name, keys(p.create, (t.name for t in p.create_topics)), keys(p.delete, p.delete_topics))
                           for c, p in payloads(plan, StreamsAppPlanned)))

    def record_of(self, live: "LiveState") -> dict[str, Entry]:
        return keys_of(self.live(live))

    def canonical(self, current: LiveStreamsApp, secret: frozenset[str]) -> dict[str, Any]:
        return {"type": "streams_app", "application_id": current.name,
                "bindings": sorted(held_key(h) for h in current.bindings),
                "internal_topics": list(current.internal_topics)}

    def status(self, spec: StreamsAppSpec, current: LiveStreamsApp | None, change: ResourceChange | None,
               scrub: Scrub) -> StreamsAppStatus:
        """An application without any binding or internal topic on the cluster is missing."""
        present = current is not None and bool(current.bindings or current.internal_topics)
        return super().status(spec, current if present else None, change, scrub)

    def status_declared(self, spec: StreamsAppSpec) -> dict[str, Any]:
        return {"declared_bindings": len(spec.bindings())}

    def status_live(self, current: LiveStreamsApp) -> dict[str, Any]:
        return {"bindings": len(current.bindings), "internal_topics": len(current.internal_topics)}

    def status_detail(self, r: StreamsAppStatus) -> str:
        if not r.exists:
            return f"generates {plural(r.declared_bindings or 0, 'binding')}"
        return (f"{plural(r.bindings or 0, 'binding')} of {r.declared_bindings or 0} on the cluster, "
                f"{plural(r.internal_topics or 0, 'internal topic')}")

    def difference_text(self, r: StreamsAppStatus, d: Difference) -> str:
        if d.path[0] == "internal_topic":
            return f"+ internal topic {d.path[1]}: declared (managed), not on the cluster"
        what = " ".join(d.path)  # principal, resource, name, operation
        if d.kind is AttrKind.ADD:
            return f"+ {d.declared} {what}: generated, not on the cluster"
        return f"- {d.live} {what}: created by kplan, no longer generated (the next apply deletes it)"

    status_keys, declared_keys = {"bindings": "bindings", "internal_topics": "internal_topics"}, ("bindings",)


KIND = StreamsAppKind()
