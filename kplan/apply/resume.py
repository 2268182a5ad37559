"""What `kplan recover --resume` plans against for one-time requests (a consumer group's or a connector's offsets
request). Pure.

While a run is unfinished, the record is the one before the run merged with every record its steps write
(`Journal.pending_ownership`): it already carries the tokens of the requests the run set out to apply. A resume
that re-planned against it would find those requests applied and drop them, whatever their steps did. So the
journal is authoritative: a request whose step is not done is planned again against the token recorded before the
run; one whose step is done keeps the new token (it is applied, and is not applied twice).

Once a run is rolled back, the record is the one before it, but for a request whose irreversible step was done (a
group deleted: the rollback reports it): its token is recorded, or the request would be applied a second time once
the group is back (`applied_for_good`)."""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from kplan.apply.steps import Step
from kplan.model.desired import freeze
from kplan.model.live import LiveState
from kplan.model.plan import ResourceType, address_of
from kplan.state.journal import StepStatus

Tokens = Mapping[ResourceType, Mapping[str, str | None]]


def unapplied_requests(steps: Iterable[Mapping[str, Any]]) -> dict[ResourceType, dict[str, str | None]]:
    """kind -> request name -> the token recorded before the run (None: none), for every request a journaled step
    of the run applies and no step of the run has done."""
    done: set[tuple[ResourceType, str]] = set()
    before: dict[tuple[ResourceType, str], str | None] = {}
    for entry in steps:
        request = Step.from_json(entry).applies_request()
        if request is None:
            continue
        kind, name, token = request
        before.setdefault((kind, name), token)  # the first step's: a resume's step saw the merged record
        if entry.get("status") == StepStatus.DONE:
            done.add((kind, name))
    out: dict[ResourceType, dict[str, str | None]] = {}
    for (kind, name), token in sorted(before.items(), key=lambda x: (x[0][0].value, x[0][1])):
        if (kind, name) not in done:
            out.setdefault(kind, {})[name] = token
    return out


def renames_in_flight(steps: Iterable[Mapping[str, Any]]) -> frozenset[tuple[str, str]]:
    """(old address, new address) of every rename (`moved_from`) a journaled step of the run is part of: a resume
    continues it, though it finds both names taken (kplan.plan.planner)."""
    renamed = [r for entry in steps if (r := Step.from_json(entry).renames()) is not None]
    return frozenset((address_of(kind, old), address_of(kind, new)) for kind, old, new in renamed)


def with_tokens_before(live: LiveState, tokens: Tokens) -> LiveState:
    """`live` with each unapplied request's recorded token put back to the one before the run (removed when there
    was none), so that the plan offers the request again."""
    for kind, names in tokens.items():
        records = {n: t for n, t in live.of(kind).records.items() if n not in names}
        records.update({n: t for n, t in names.items() if t is not None})
        live = live.with_kind(kind, records=freeze(dict(sorted(records.items()))))
    return live


def applied_for_good(steps: Iterable[Mapping[str, Any]]) -> dict[ResourceType, dict[str, str]]:
    """kind -> request name -> its new token, for every request whose step a rollback left irreversible (it was
    done and cannot be undone: the request is applied)."""
    out: dict[ResourceType, dict[str, str]] = {}
    for entry in steps:
        if entry.get("status") != StepStatus.IRREVERSIBLE:
            continue
        step = Step.from_json(entry)
        request = step.applies_request()
        token = getattr(step, "request", None)
        if request is not None and isinstance(token, str):
            out.setdefault(request[0], {})[request[1]] = token
    return out
