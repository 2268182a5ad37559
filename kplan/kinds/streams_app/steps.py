"""Streams application steps — its bindings created and deleted (one batch each, with the ACLs' phases), its
managed internal topics created (with the topics'), and on destroy, when asked, its internal topics deleted
(irreversible) — and the pure builder that makes them from a plan's `StreamsAppPlanned` payloads."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Mapping

from kplan.kinds.bindings import AclArgs, CreatesBindings, DeletesBindings, GrantsBindings
from kplan.kinds.planned import payloads
from kplan.kinds.step import Phase, Planned, StepBase, name_list
from kplan.kinds.streams_app.kind import StreamsAppPlanned
from kplan.kinds.streams_app.model import InternalTopicSpec
from kplan.model.desired import Stack
from kplan.model.live import LiveState
from kplan.model.plan import Plan


@dataclass(frozen=True)
class _Bindings(GrantsBindings):
    """A batch of applications' bindings, created or deleted (`kplan.kinds.bindings.GrantsBindings`)."""

    apps: tuple[str, ...]
    acls: tuple[AclArgs, ...]

    def whose(self) -> str:
        return f"streams app(s) {name_list(sorted(set(self.apps)))}"


@dataclass(frozen=True)
class CreateStreamsAppAcls(CreatesBindings, _Bindings):
    """Create the applications' generated bindings in one request. Undo: delete them (each was absent at plan
    time)."""

    kind: ClassVar[str] = "create-streams-app-acls"


@dataclass(frozen=True)
class DeleteStreamsAppAcls(DeletesBindings, _Bindings):
    """Delete bindings kplan created for applications (exactly these). Undo: create them again."""

    kind: ClassVar[str] = "delete-streams-app-acls"


@dataclass(frozen=True)
class CreateInternalTopics(StepBase):
    """Create managed internal topics (absent at plan time) in one request. Undo: delete the ones it created."""

    kind: ClassVar[str] = "create-streams-internal-topics"
    phase: ClassVar[Phase] = Phase.CREATE_TOPICS
    before_keys: ClassVar[Mapping[str, str]] = {"absent": "absent"}

    topics: tuple[InternalTopicSpec, ...]

    def describe(self) -> str:
        return f"create streams internal topic(s) {name_list([t.name for t in self.topics])}"

    def undo_by_hand(self) -> str:
        return "delete by hand the internal topics this run created: " + ", ".join(t.name for t in self.topics)

    @property
    def absent(self) -> list[str]:  # its before-image: the topics were absent at plan time
        return [t.name for t in self.topics]


@dataclass(frozen=True)
class DeleteInternalTopics(StepBase):
    """Delete applications' internal topics (destroy with delete_internal_topics_on_destroy). Irreversible: their
    records (state store changelogs) are gone."""

    kind: ClassVar[str] = "delete-streams-internal-topics"
    phase: ClassVar[Phase] = Phase.DELETE_TOPICS
    irreversible: ClassVar[bool] = True
    before_keys: ClassVar[Mapping[str, str]] = {"present": "present"}

    names: tuple[str, ...]

    def describe(self) -> str:
        return f"delete streams internal topic(s) {name_list(list(self.names))}"

    @property
    def present(self) -> list[str]:  # its before-image
        return list(self.names)


def build_streams_app_steps(plan: Plan, stack: Stack, live: LiveState) -> list[Planned]:
    apps = payloads(plan, StreamsAppPlanned)
    create = [(c.name, AclArgs(p, b)) for c, pl in apps for p, b in pl.create]
    delete = [(c.name, AclArgs(p, b)) for c, pl in apps for p, b in pl.delete]
    topics = tuple(t for _, pl in apps for t in pl.create_topics)
    gone = tuple(t for _, pl in apps for t in pl.delete_topics)
    steps = (CreateInternalTopics(topics),
             CreateStreamsAppAcls(tuple(sorted({n for n, _ in create})), tuple(a for _, a in create)),
             DeleteStreamsAppAcls(tuple(sorted({n for n, _ in delete})), tuple(a for _, a in delete)),
             DeleteInternalTopics(gone))
    return [Planned(s) for s, wanted in zip(steps, (topics, create, delete, gone)) if wanted]
