"""From a plan to the ordered apply steps, each with the before-image needed to undo it. Pure.

One module per resource kind holds its step types and its builder (`build_<kind>_steps(plan, stack, live)`);
`build` runs the builders and orders their steps by `Phase` (stable: a builder's order holds within a phase):

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
change. Adding a kind: a module here with its step types (each with a `kind`, a `phase`, `describe()` and the
journal codec) and its builder, listed in `BUILDERS`; and its handlers in `kplan.apply.handlers`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Union

from kplan.apply.steps.acl import AclArgs, CreateAcls, DeleteAcls, build_acl_steps
from kplan.apply.steps.cdc_cleanup import DropCdcDatabaseObjects, build_cdc_cleanup_steps
from kplan.apply.steps.connector import (
    ConnectorImage,
    ConnectorSecrets,
    DeleteConnector,
    PutConnector,
    SnapshotSignal,
    build_connector_steps,
)
from kplan.apply.steps.offsets import AlterOffsets, build_offsets_steps
from kplan.apply.steps.ownership import RecordOwnership, build_ownership_steps, ownership_after, ownership_of
from kplan.apply.steps.planned import StalePlan, check_planned
from kplan.apply.steps.quota import AlterQuotas, QuotaChange, build_quota_steps
from kplan.apply.steps.restart import RestartConnector, build_restart_steps
from kplan.apply.steps.subject import DeleteSubjects, PutSubject, build_subject_steps
from kplan.apply.steps.topic import (
    AlterTopicConfigs,
    ConfigChange,
    CreateTopics,
    DeleteTopics,
    IncreasePartitions,
    ReassignReplicas,
    ReplaceTopics,
    TopicArgs,
    build_topic_steps,
)
from kplan.apply.steps.user import AlterUsers, CreateUsers, Credential, DeleteUsers, Removal, build_user_steps
from kplan.kinds.step import FrozenDict, Phase, Planned, StepBase, UnknownStepKind, frozen, step_types, thawed
from kplan.model.desired import Stack
from kplan.model.live import LiveState
from kplan.model.plan import Plan

Step = Union[CreateTopics, AlterTopicConfigs, ReassignReplicas, CreateAcls, CreateUsers, AlterQuotas, PutSubject,
             PutConnector, SnapshotSignal, AlterOffsets, RestartConnector, DeleteConnector, DeleteAcls,
             IncreasePartitions, AlterUsers, ReplaceTopics, DeleteUsers, DeleteSubjects, DeleteTopics,
             DropCdcDatabaseObjects, RecordOwnership]
STEP_TYPES: tuple[type[StepBase], ...] = Step.__args__  # type: ignore[attr-defined]

# The resource kinds' builders; the ownership record step comes after all of them (it needs to know whether
# they made any step).
BUILDERS = (build_topic_steps, build_connector_steps, build_acl_steps, build_user_steps, build_quota_steps,
            build_restart_steps, build_cdc_cleanup_steps, build_offsets_steps, build_subject_steps)


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
    return StepBase.from_json(doc)  # type: ignore[return-value]


__all__ = [
    "AclArgs", "AlterOffsets", "AlterTopicConfigs", "AlterUsers", "CreateUsers", "Credential", "DeleteUsers", "Removal",
    "build_user_steps", "BUILDERS", "CreateAcls", "DeleteAcls", "build_acl_steps",
    "AlterQuotas", "QuotaChange", "build_quota_steps",
    "Built", "ConfigChange", "ConnectorImage", "ConnectorSecrets", "CreateTopics",
    "DeleteConnector", "DeleteTopics", "FrozenDict", "IncreasePartitions", "Phase", "Planned", "PutConnector",
    "ReassignReplicas", "RecordOwnership", "StalePlan",
    "RestartConnector", "build_restart_steps", "PutSubject", "DeleteSubjects", "build_subject_steps",
    "DropCdcDatabaseObjects", "build_cdc_cleanup_steps", "ReplaceTopics", "STEP_TYPES", "SnapshotSignal", "Step",
    "StepBase",
    "TopicArgs",
    "UnknownStepKind", "build", "build_connector_steps", "build_ownership_steps", "build_steps", "step_types",
    "build_topic_steps", "frozen", "ownership_after", "ownership_of", "step_from_json", "thawed",
]
