"""From a plan to the ordered apply steps, each with the before-image needed to undo it. Pure.

Each resource kind's folder holds its step types and its builder (`kplan/kinds/<kind>/steps.py`), registered by
its `UNIT`; `build` runs every kind's builders (reading each change's planned payload) and orders their steps by
`Phase` (stable: a builder's order holds within a phase):

  phase                 step type           undo
  CREATE_TOPICS         CreateTopics        delete the topics this run created
  ALTER_TOPIC_CONFIGS   AlterTopicConfigs   set back / delete the overrides to the before-image
  REASSIGN_REPLICAS     ReassignReplicas    reassign the partitions back to their replica lists before
  CREATE_ACLS           CreateAcls          delete the bindings this run created
  CREATE_USERS          CreateUsers         delete the SCRAM credentials this run created
  ALTER_QUOTAS          AlterQuotas         set every key back to its value before (remove it if it had none)
  REGISTER_SUBJECTS     PutSubject          soft-delete the version this run registered, put the level back
  PUT_CONNECTORS        PutConnector        delete it, or put its previous config and state back
                        SnapshotSignal      (none needed; right after its connector)
  ALTER_OFFSETS         AlterOffsets        stop it, put the journaled offsets back, restore its state
  RESTART_CONNECTORS    RestartConnector    (none: a restart changes nothing declared; recorded undone)
  DELETE_CONNECTORS     DeleteConnector     re-create it with its previous config and state
  DELETE_ACLS           DeleteAcls          create the bindings again
  INCREASE_PARTITIONS   IncreasePartitions  IRREVERSIBLE
  ALTER_USERS           AlterUsers          IRREVERSIBLE (a replaced password cannot be read back)
  REPLACE_TOPICS        ReplaceTopics       IRREVERSIBLE (data loss)
  DELETE_USERS          DeleteUsers         IRREVERSIBLE
  DELETE_SUBJECTS       DeleteSubjects      IRREVERSIBLE (soft, or permanent with schema_registry.delete)
  DELETE_TOPICS         DeleteTopics        IRREVERSIBLE (data loss)
  DROP_CDC_DATABASE_OBJECTS DropCdcDatabaseObjects IRREVERSIBLE (a PostgreSQL source's slot and publication)
  RECORD_OWNERSHIP      RecordOwnership     write the previous record back

Topic steps are batches: one CreateTopics for every topic to create, one AlterTopicConfigs for every config
change. Adding a kind: its step types (each with a `kind`, a `phase`, `describe()` and the journal codec) and its
builder in its folder, named in its `UNIT`; nothing here changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, TypeAlias

from kplan.apply.steps.ownership import RecordOwnership, build_ownership_steps
from kplan.kinds import UNITS
from kplan.kinds.planned import check_planned
from kplan.kinds.step import FrozenDict, StepBase
from kplan.model.desired import Stack
from kplan.model.live import LiveState
from kplan.model.plan import Plan

Step: TypeAlias = StepBase  # every step type is a frozen StepBase subclass, registered by its `kind`
STEP_TYPES: tuple[type[StepBase], ...] = tuple(t for u in UNITS for t in u.step_types) + (RecordOwnership,)

# The resource kinds' builders; the ownership record step comes after all of them (it needs to know whether
# they made any step).
BUILDERS = tuple(b for u in UNITS for b in u.builders)


@dataclass(frozen=True)
class Built:
    """The ordered steps of a plan, and what their run needs in memory only: step index -> the unmasked values
    its journal form masks (`ConnectorSecrets`). Never serialized."""

    steps: tuple[Step, ...]
    secrets: Mapping[int, object] = field(default_factory=FrozenDict, repr=False)


def build(plan: Plan, stack: Stack, live: LiveState) -> Built:
    check_planned(plan)  # a plan saved by an older kplan is refused, not re-derived
    planned = [p for builder in BUILDERS for p in builder(plan, stack, live)]
    planned += build_ownership_steps(plan, stack, live, changes=bool(planned))
    planned.sort(key=lambda p: p.step.phase)  # stable
    return Built(tuple(p.step for p in planned),
                 FrozenDict({i: p.secrets for i, p in enumerate(planned) if p.secrets is not None}))


def build_steps(plan: Plan, stack: Stack, live: LiveState) -> list[Step]:
    """The plan's steps in apply order (the journal form: no secret)."""
    return list(build(plan, stack, live).steps)


def step_from_json(doc) -> Step:
    """A step from its journal entry; an unknown kind raises `UnknownStepKind`."""
    return StepBase.from_json(doc)


__all__ = ["BUILDERS", "STEP_TYPES", "Built", "Step", "build", "build_steps", "step_from_json"]
