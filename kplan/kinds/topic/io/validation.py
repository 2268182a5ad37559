"""Topics' plan-time validation by the broker (the topic UNIT's `io`, tabled by `kplan.cluster.kind_io`):

- topic creates: `create_topics(..., validate_only=True)` — sent ahead by apply's lock thread (`ahead`) as soon as
  it has read the cluster, so that the broker validates while the command's thread plans;
- partition increases: `create_partitions(..., validate_only=True)`;
- config changes: `incremental_alter_configs(..., validate_only=True)`.
Each in the batches apply sends (kplan.rules.batching: the controller refuses a request past its limit, a
validate-only one too), all sent at once. Each refusal is one error at the topic's line in the stack file. Nothing
here writes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping

from kplan.kinds.topic.batches import config_records, create_records
from kplan.kinds.topic.io.settle import EXISTS, NOT_LISTED, in_batches
from kplan.kinds.topic.model import TopicSpec
from kplan.model.desired import Stack
from kplan.model.live import LiveState
from kplan.model.plan import Action, AttrKind, Plan, PlanDiagnostic, ResourceChange, ResourceType, error
from kplan.transport.kafka import describe_kafka_error
from kplan.transport.permissions import denied
from kplan.transport.reach import kafka_error_name

if TYPE_CHECKING:  # pragma: no cover
    from kplan.transport.reads import Systems


def key_name(key) -> str:
    """The name of a batch's item: a topic name, or the resource (ConfigResource, NewPartitions) it is keyed by."""
    return key if isinstance(key, str) else str(getattr(key, "name", None) or getattr(key, "topic", key))


def altered(kind: str, name: str, values: Mapping[str, str | None]) -> Any:
    """An incremental alter's resource (`kind`: BROKER or TOPIC), as apply sends it and as it is validated here:
    each key set to its value, or its override deleted (None)."""
    from confluent_kafka.admin import AlterConfigOpType, ConfigEntry, ConfigResource

    op = AlterConfigOpType
    return ConfigResource(ConfigResource.Type[kind], name, incremental_configs=[
        ConfigEntry(k, v, incremental_operation=op.SET if v is not None else op.DELETE) for k, v in values.items()])


def _validate_creates_of(admin, specs: list[TopicSpec], timeout_s: float) -> dict:
    from confluent_kafka.admin import NewTopic

    return in_batches(specs, lambda t: create_records(t.partitions, t.config),
                       lambda batch: admin.create_topics(
                           [NewTopic(t.name, t.partitions, t.replication_factor, config=dict(t.config)) for t in batch],
                           validate_only=True, request_timeout=timeout_s))


def _create_key(spec: TopicSpec) -> tuple:
    """Everything a validate-only create sends of a topic: answers sent ahead stand only for the same request."""
    return spec.name, spec.partitions, spec.replication_factor, tuple(sorted(spec.config.items()))


class TopicValidation:
    """The broker's validate-only answers for a plan's topic changes (`kplan.transport.reads.KindValidation`)."""

    def __init__(self, systems: "Systems"):
        self.systems = systems  # the admin client, the timeout, kplan's principal
        # A validate-only create sent ahead (`ahead`): the keys of its topics and its answers' futures.
        self._ahead: tuple[frozenset, Mapping] | None = None

    def ahead(self, stack: Stack, live: LiveState) -> None:
        """Send the validate-only create of the declared topics the cluster lacks now; the plan's validation takes
        its answers instead of asking again when it validates creates of these very topics (`_validate_creates`).
        Nothing is created; a failure to send leaves the validation to ask itself."""
        there = live.of(ResourceType.TOPIC).resources
        specs = [t for t in stack.of("topics") if t.name not in there]
        if not specs:
            return
        try:
            futures = _validate_creates_of(self.systems.admin, specs, self.systems.timeout_s)
        except Exception:  # noqa: BLE001 - the validation asks again, and reports what is wrong
            return
        self._ahead = (frozenset(_create_key(t) for t in specs), futures)

    def validate(self, stack: Stack, plan: Plan) -> list[PlanDiagnostic]:
        topics = {t.name: t for t in stack.of("topics")}
        changes = [c for c in plan.changes if c.type == ResourceType.TOPIC and c.name in topics]
        diags = self._validate_creates([topics[c.name] for c in changes if c.action == Action.CREATE])
        updates = [c for c in changes if c.action == Action.UPDATE]
        diags += self._validate_partition_increases(updates, topics)
        diags += self._validate_config_changes(updates, topics)
        return diags

    def _results(self, futures: Mapping, what: str, specs: Mapping[str, TopicSpec]) -> list[PlanDiagnostic]:
        out = []
        for key, fut in futures.items():
            name = key_name(key)
            try:
                fut.result(timeout=self.systems.timeout_s + 5)
            except Exception as e:  # noqa: BLE001 - each refusal becomes a diagnostic
                spec = specs.get(name)
                if what == "create" and kafka_error_name(e) == EXISTS:  # see settle.py
                    out.append(error(f"topic {name!r} exists, but the broker's metadata did not list it when the "
                                     "cluster was read (a bulk change still settling, or created meanwhile): plan "
                                     "again", NOT_LISTED, address=f"topic.{name}",
                                     origin=spec.origin if spec else None))
                    continue
                why = (denied(e, what, f"topic {name}", self.systems.who)
                       or describe_kafka_error(e))
                out.append(error(f"the broker would refuse to {what} topic {name!r}: {why}",
                                 "broker-refused", address=f"topic.{name}",
                                 origin=spec.origin if spec else None))
        return out

    def _validate_creates(self, specs: list[TopicSpec]) -> list[PlanDiagnostic]:
        ahead, self._ahead = self._ahead, None  # answers sent ahead serve the first validation only
        names = {t.name for t in specs}
        if ahead is not None and {_create_key(t) for t in specs} <= ahead[0]:
            futures = {name: fut for name, fut in ahead[1].items() if name in names}
        else:
            futures = _validate_creates_of(self.systems.admin, specs, self.systems.timeout_s)
        return self._results(futures, "create", {t.name: t for t in specs})

    def _validate_partition_increases(self, changes: list[ResourceChange], topics) -> list[PlanDiagnostic]:
        from confluent_kafka.admin import NewPartitions

        added = {c.name: topics[c.name].partitions - (a.before if isinstance(a.before, int) else 0)  # a record each
                 for c in changes for a in c.attributes if a.path == ("partitions",) and a.kind == AttrKind.UPDATE}
        futures = in_batches(list(added), lambda n: added[n], lambda batch: self.systems.admin.create_partitions(
            [NewPartitions(n, topics[n].partitions) for n in batch], validate_only=True,
            request_timeout=self.systems.timeout_s))
        return self._results(futures, "add partitions to", topics)

    def _validate_config_changes(self, changes: list[ResourceChange], topics) -> list[PlanDiagnostic]:
        resources = []
        for c in changes:
            values = {a.path[1]: None if a.kind == AttrKind.REMOVE else topics[c.name].config[a.path[1]]
                      for a in c.attributes if len(a.path) == 2 and a.path[0] == "config" and a.changed}
            if values:
                resources.append(altered("TOPIC", c.name, values))
        futures = in_batches(resources, lambda r: config_records(e.name for e in r.incremental_configs),
                              lambda batch: self.systems.admin.incremental_alter_configs(
                                  batch, validate_only=True, request_timeout=self.systems.timeout_s))
        return self._results(futures, "change the configs of", topics)
