"""`kplan plan --owner X --label k=v`: one team's part of a plan (kplan.model.metadata). A view, not a plan to
apply: the changes of other resources are hidden and counted (`Plan.selection`), and the command refuses to save a
filtered plan — apply always plans the whole stack, so no hidden change is ever applied unseen. Errors stay, whoever's
resource they are about: a plan with errors cannot be applied at all. Other owners' totals (the policy's owner-total
notes and warnings, kplan.policy.owner_totals) go with their resources."""

from __future__ import annotations

from dataclasses import replace
from typing import Iterable, Mapping

from kplan.model.plan import Action, Plan, Selection
from kplan.policy.owner_totals import of_another_owner


def select(plan: Plan, owner: str | None, labels: Mapping[str, str]) -> Plan:
    """`plan` narrowed to the resources whose owner is `owner` (when given) and that carry every label of
    `labels`; on a several-cluster plan, each cluster's part is narrowed."""
    if plan.groups:
        groups = tuple(_narrowed(g, owner, labels) for g in plan.groups)
        return replace(plan, groups=groups, changes=tuple(c for g in groups for c in g.changes),
                       diagnostics=tuple(d for g in groups for d in g.diagnostics),
                       selection=_total(owner, labels, [g.selection for g in groups]))
    return _narrowed(plan, owner, labels)


def _narrowed(plan: Plan, owner: str | None, labels: Mapping[str, str]) -> Plan:
    kept = tuple(c for c in plan.changes if c.meta.matches(owner, labels))
    hidden = [c for c in plan.changes if not c.meta.matches(owner, labels)]
    hidden_addresses = {c.address for c in hidden}
    diagnostics = tuple(d for d in plan.diagnostics
                        if d.is_error or (d.address not in hidden_addresses and not of_another_owner(d, owner)))
    selection = Selection(owner, dict(labels), sum(1 for c in hidden if c.action != Action.NOOP), len(hidden))
    return replace(plan, changes=kept, diagnostics=diagnostics, selection=selection)


def _total(owner: str | None, labels: Mapping[str, str], parts: Iterable[Selection | None]) -> Selection:
    return Selection(owner, dict(labels), sum(p.hidden_changes for p in parts if p),
                     sum(p.hidden_resources for p in parts if p))
