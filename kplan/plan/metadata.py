"""Owners, descriptions and labels in the plan (kplan.model.metadata): every change carries its resource's (as
declared, else as kplan's record keeps it), and a resource that matches the stack but whose metadata differs from
the record becomes an `update-metadata` change — apply writes the record and touches nothing on the cluster (a
resource the stack adopts is not one: its metadata goes into the record with its ownership).
Pure: the stack, the live state (with the record's metadata) and the changes in, the changes out."""

from __future__ import annotations

from dataclasses import replace
from typing import Iterable

from kplan.model.desired import Stack
from kplan.model.live import LiveState
from kplan.model.metadata import EMPTY, Meta
from kplan.model.plan import Action, AttributeChange, Flag, Path, Reason, ResourceChange, Value, attribute_changes


def attach_metadata(changes: Iterable[ResourceChange], section: str, declared: frozenset[str], stack: Stack,
                    live: LiveState, destroy: bool) -> list[ResourceChange]:
    """The changes of one kind, whose stack section is `section` and of which the stack declares the names
    `declared`. A change whose metadata is empty is returned as it is (a large plan without metadata copies
    nothing)."""
    out = []
    for c in changes:
        recorded = live.metadata.get(c.address, EMPTY)
        is_declared = c.name in declared
        meta = stack.meta(section, c.name) if is_declared else recorded
        # a resource being adopted has no record yet: its metadata is recorded with its ownership (the adoption
        # note says so), not planned as a change of its own
        if is_declared and not destroy and c.action == Action.NOOP and meta != recorded and not c.has(Flag.ADOPT):
            c = replace(c, action=Action.METADATA, reason=Reason.METADATA,
                        attributes=c.attributes + _changes(recorded, meta))
        out.append(c if meta.empty else replace(c, meta=meta))
    return out


def _changes(before: Meta, after: Meta) -> tuple[AttributeChange, ...]:
    """The metadata fields that differ, as attributes under `metadata` (`metadata.labels.tier`): the owner, the
    description, then the labels by key."""
    fields: list[dict[Path, Value]] = [{("metadata", "owner"): m.owner, ("metadata", "description"): m.description}
                                       for m in (before, after)]
    labels: list[dict[Path, Value]] = [{("metadata", "labels", k): v for k, v in m.labels.items()}
                                       for m in (before, after)]
    return (*attribute_changes(*fields, sort=False), *attribute_changes(*labels))
