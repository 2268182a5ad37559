"""The resource kinds: one folder per kind (`kplan/kinds/<kind>/`: its planning and status in `kind.py`, its typed
apply steps and builder in `steps.py`, their run/undo in `handlers.py`, its stack section in `section.py`), each
registered once by its `UNIT` (`kplan.kinds.unit.KindUnit`); beside them the toolkit they share (`base`, `step`,
`handler`, `ports`, `planned`). The order of `UNITS` is the order of plans and reports.
See docs/architecture.md for what adding a kind takes."""

from __future__ import annotations

from functools import cache
from importlib import import_module
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from kplan.kinds.base import Kind, PlanContext
    from kplan.kinds.unit import KindUnit
    from kplan.model.plan import ResourceType

    UNITS: tuple[KindUnit, ...]
    KINDS: tuple[Kind[Any, Any, Any], ...]

# the kinds, in the order of plans and reports
ORDER = ("topic", "connector", "offsets", "consumer_group", "acl", "streams_app", "user", "quota", "broker_config",
         "subject")


@cache
def _units() -> tuple["KindUnit", ...]:
    return tuple(import_module(f"kplan.kinds.{name}.unit").UNIT for name in ORDER)


def __getattr__(name: str):
    """`UNITS` and `KINDS`, loaded on first use: a command that only loads a stack (validate) never pays for the
    kinds' planning and apply modules."""
    if name == "UNITS":
        return _units()
    if name == "KINDS":
        return tuple(u.kind for u in _units())
    if name in ("Kind", "PlanContext"):
        return getattr(import_module("kplan.kinds.base"), name)
    if name == "KindUnit":
        return import_module("kplan.kinds.unit").KindUnit
    raise AttributeError(name)


@cache
def stack_sections() -> dict[str, ModuleType]:
    """The stack-file sections kinds own beside topics, connectors and cdc, in the kinds' order: section -> the
    kind's `section.py`, which names it (`SECTION`), words an entry for the loader's messages (`entry_word`) and,
    for a plain list of entries, builds it (`build_section`). Only those modules are loaded: loading a stack needs
    nothing else of a kind."""
    out = {}
    for name in ORDER:
        try:
            module = import_module(f"kplan.kinds.{name}.section")
        except ModuleNotFoundError:
            continue
        if hasattr(module, "SECTION"):
            out[module.SECTION] = module
    return out


def claimable_sections() -> tuple[str, ...]:
    """The stack sections a claim may cover (docs/orphans.md): topics, connectors and the kinds whose `section.py`
    says `CLAIMABLE` (their live resources are named, so a name prefix can find the ones nobody declares)."""
    return ("topics", "connectors", *(s for s, m in stack_sections().items() if getattr(m, "CLAIMABLE", False)))


def borrowed_keys(section: str) -> tuple[str, ...]:
    """The keys of `section`'s entries that other kinds build from (`BORROWS` in their `section.py`): not the
    entries' own settings (a topic's `key_schema` declares a subject)."""
    return tuple(k for m in stack_sections().values() for k in getattr(m, "BORROWS", {}).get(section, ()))


def kind_of(resource_type: "ResourceType | str") -> "Kind[Any, Any, Any]":
    from kplan.model.plan import ResourceType  # here: loading a stack (kinds' sections) needs no plan model

    return _by_type()[ResourceType(resource_type)]


@cache
def _by_type() -> "dict[ResourceType, Kind[Any, Any, Any]]":
    return {u.kind.type: u.kind for u in _units()}


__all__ = ["KINDS", "UNITS", "Kind", "KindUnit", "PlanContext", "kind_of"]
