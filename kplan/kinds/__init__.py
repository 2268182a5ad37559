"""The resource kinds: one folder per kind (`kplan/kinds/<kind>/`: its planning and status in `kind.py`, its typed
apply steps and builder in `steps.py`, their run/undo in `handlers.py`, its stack section in `section.py`) or per
family of kinds written once (`UNIT_MODULES`), each registered once by its `UNIT` (`kplan.kinds.unit.KindUnit`);
beside them the toolkit they share (`base`, `step`, `handler`, `planned`, ...). The order of `UNITS` is the
order of plans and reports. See docs/architecture.md for what adding a kind takes."""

from __future__ import annotations

from functools import cache
from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from kplan.kinds.base import AnyKind
    from kplan.kinds.shape import Unit
    from kplan.kinds.unit import ConsumerGuard, KindUnit, StackSection
    from kplan.model.plan import ResourceType
    from kplan.model.rebalance import Rebalancing

    UNITS: tuple[KindUnit, ...]
    KINDS: tuple[AnyKind, ...]

# the kinds' names (their resource types), in the order of plans and reports
ORDER = ("topic", "connector", "offsets", "consumer_group", "share_group", "records", "acl", "streams_app", "user",
         "quota", "broker_config", "group_config", "subject", "feature")
# The kinds written as one family, in the family's folder: kind -> the module of its UNIT there
UNIT_MODULES = {"consumer_group": "group_request.consumer", "share_group": "group_request.share",
                "quota": "dynamic_config.quota", "broker_config": "dynamic_config.broker",
                "group_config": "dynamic_config.group"}


def unit_module(name: str) -> str:
    """The module registering the kind `name` (its `UNIT`), in kplan.kinds: `<kind>.unit`, or its family's."""
    return UNIT_MODULES.get(name, f"{name}.unit")


@cache
def _units() -> tuple["KindUnit", ...]:
    return tuple(import_module(f"kplan.kinds.{unit_module(name)}").UNIT for name in ORDER)


def __getattr__(name: str) -> object:
    """`UNITS` and `KINDS`, loaded on first use: a command that only loads a stack (validate) never pays for the
    kinds' planning and apply modules."""
    if name == "UNITS":
        return _units()
    if name == "KINDS":
        return tuple(u.kind for u in _units())
    raise AttributeError(name)


@cache
def stack_sections() -> "dict[str, StackSection]":
    """The stack-file sections the kinds build themselves (every kind's but topics' and connectors', which the loader
    builds: cdc sources give them entries too), in the kinds' order: section key -> its `StackSection`, from the
    kinds' units (loading a stack imports the units and, when it builds them, the sections' modules only)."""
    return {u.section.key: u.section for u in _units() if u.section is not None and u.section.build_ref is not None}


@cache
def scoped_sections() -> tuple[str, ...]:
    """The stack sections whose kind's read is limited to the names a plan asks for (`KindIO.read_scope_ref`): the
    early read's preview asks for the names their entries declare (kplan.stackfile.pipeline)."""
    return tuple(u.section.key for u in _units() if u.section is not None and u.io.read_scope_ref is not None)


def claimable_sections() -> tuple[str, ...]:
    """The stack sections a claim may cover (docs/orphans.md): those whose kind's live resources are named, so a
    name prefix can find the ones nobody declares (`StackSection.claimable`)."""
    return tuple(u.section.key for u in _units() if u.section is not None and u.section.claimable)


@cache
def resource_sections() -> tuple[str, ...]:
    """The stack sections that declare resources, in the kinds' order: each kind's section, and after it the sections
    whose entries expand into its resources (its shape's `more`: a connector's cdc sources and mirrors). A policy rule's
    `kinds` names some of them (kplan.kinds.frame)."""
    return tuple(key for u in _units() if u.section is not None
                 for key in (u.section.key, *(m.section for m in u.shape.more if m.section)))


@cache
def summed_units() -> "dict[str, Unit]":
    """The keys an owner total may sum (owner-max-quota's `quota`), each with its unit (`PolicyPart.summed`)."""
    return {key: unit for u in _units() if u.policy is not None for key, unit in u.policy.summed.items()}


def consumer_guard() -> "ConsumerGuard":
    """The registered consumer guard (`KindUnit.consumer_guard`: the one kind whose resources consumer groups read,
    docs/consumers.md): which of a plan's changes disrupt their readers (only those are looked up, one follow-up read:
    kplan.session.plan.with_consumers), and the plan with what was read and its diagnostics (kplan.plan.planner)."""
    (guard,) = [u.consumer_guard for u in _units() if u.consumer_guard is not None]
    return guard


def rebalancing() -> "Rebalancing":
    """The registered part in `kplan plan --rebalance/--elect-leaders` (`KindUnit.rebalance`: the one kind whose
    resources have replicas, docs/rebalance.md): its moves and elections as updates of its changes, and the same
    request again from a saved plan or an interrupted run's journal."""
    (part,) = [u.rebalance for u in _units() if u.rebalance is not None]
    return part


def borrowed_keys(section: str) -> tuple[str, ...]:
    """The keys of `section`'s entries that other kinds build from (`StackSection.borrows`): not the entries' own
    settings (a topic's `key_schema` declares a subject)."""
    return tuple(k for u in _units() if u.section is not None for k in u.section.borrows.get(section, ()))


def kind_of(resource_type: "ResourceType | str") -> "AnyKind":
    from kplan.model.plan import ResourceType  # here: loading a stack (kinds' sections) needs no plan model

    return _by_type()[ResourceType(resource_type)]


@cache
def _by_type() -> "dict[ResourceType, AnyKind]":
    return {u.kind.type: u.kind for u in _units()}


__all__ = ["KINDS", "UNITS", "kind_of"]
