"""`kplan plan --owner X --label k=v`: one team's part of a plan (kplan.model.metadata). A view, not a plan to
apply: the changes of other resources are hidden and counted (`Plan.selection`), and the command refuses to save a
filtered plan — apply always plans the whole stack, so no hidden change is ever applied unseen. Errors stay, whoever's
resource they are about: a plan with errors cannot be applied at all. Other owners' totals (the policy's owner-total
notes and warnings, kplan.policy.owner_totals) go with their resources. An owner or a label no resource of the plans
has (a misspelling) is an error, not an empty view that `--detailed-exitcode` would call "no changes"."""

from __future__ import annotations

from dataclasses import replace
from typing import Mapping, Sequence

from kplan.model.plan import Action, Plan, PlanDiagnostic, Selection, error
from kplan.plan.clusters import combine
from kplan.policy.owner_totals import of_another_owner
from kplan.words import did_you_mean


def select_all(plans: Sequence[Plan], owner: str | None, labels: Mapping[str, str]) -> list[Plan]:
    """Each plan `select`ed; an owner or a label that no resource of any of them has is an error in each."""
    unknown = _unknown(plans, owner, labels)
    said = (error(unknown, "selection-unknown"),) if unknown else ()
    return [select(p, owner, labels, said) for p in plans]


def select(plan: Plan, owner: str | None, labels: Mapping[str, str], said: tuple[PlanDiagnostic, ...] = ()) -> Plan:
    """`plan` narrowed to the resources whose owner is `owner` (when given) and that carry every label of
    `labels`, with `said` added; on a several-cluster plan, each cluster's part is narrowed (`said` in the first)."""
    if plan.groups:  # the narrowed parts combined again, their hidden changes and resources summed
        groups = [(g.cluster_name or "?", _narrowed(g, owner, labels, said if i == 0 else ()))
                  for i, g in enumerate(plan.groups)]
        parts = [g.selection for _, g in groups if g.selection is not None]
        return replace(combine(groups), selection=Selection(owner, dict(labels), sum(p.hidden_changes for p in parts),
                                                              sum(p.hidden_resources for p in parts)))
    return _narrowed(plan, owner, labels, said)


def _narrowed(plan: Plan, owner: str | None, labels: Mapping[str, str], said: tuple[PlanDiagnostic, ...]) -> Plan:
    kept = tuple(c for c in plan.changes if c.meta.matches(owner, labels))
    hidden = [c for c in plan.changes if not c.meta.matches(owner, labels)]
    hidden_addresses = {c.address for c in hidden}
    diagnostics = tuple(d for d in plan.diagnostics
                        if d.is_error or (d.address not in hidden_addresses and not of_another_owner(d, owner)))
    diagnostics += said
    selection = Selection(owner, dict(labels), sum(1 for c in hidden if c.action != Action.NOOP), len(hidden))
    return replace(plan, changes=kept, diagnostics=diagnostics, selection=selection)


def _unknown(plans: Sequence[Plan], owner: str | None, labels: Mapping[str, str]) -> str | None:
    """What no resource of `plans` has of the selection, with the nearest that one has; None when each is had (by
    some resource: that none has them all together is an answer, not a mistake)."""
    metas = [c.meta for p in plans for c in p.changes]
    if owner is not None and not any(m.owner == owner for m in metas):
        owners = sorted({m.owner for m in metas if m.owner is not None})
        return f"--owner {owner}: no resource of the plan has this owner{did_you_mean(owner, owners)}"
    for key, value in labels.items():
        if not any(m.labels.get(key) == value for m in metas):
            had = sorted({f"{k}={v}" for m in metas for k, v in m.labels.items()})
            return f"--label {key}={value}: no resource of the plan has this label{did_you_mean(f'{key}={value}', had)}"
    return None
