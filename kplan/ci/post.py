"""`kplan ci` in two moves: find kplan's own comment or issue by its marker, then create, update or close it.

The forge is passed in (`kplan.ci.forge.Forge`, or anything with the same methods), the choices are the pure
ones of `kplan.ci.comment`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from kplan.ci import comment as c


class Posted(str, Enum):
    """What `kplan ci` did; the value is the word its output says."""

    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    CLOSED = "closed"
    NONE = "none"  # no open drift issue to close


@dataclass(frozen=True)
class Outcome:
    action: Posted
    id: int | None = None
    url: str | None = None


def post_plan(forge, key: c.Key, markdown: str, *, limit: int, footer: str, report_url: str | None = None) -> Outcome:
    """One comment per key on the pull request: created on the first run, edited in place on the next ones."""
    body = c.build_body(key, markdown, limit=limit, footer=footer, report_url=report_url)
    decision = c.decide(c.find(forge.comments(), key), body)
    if decision.action is c.Action.CREATE:
        made = forge.create_comment(body)
        return Outcome(Posted.CREATED, made.get("id"), _url(made))
    if decision.action is c.Action.UNCHANGED:
        return Outcome(Posted.UNCHANGED, decision.id)
    assert decision.id is not None
    made = forge.update_comment(decision.id, body)
    return Outcome(Posted.UPDATED, decision.id, _url(made))


def report_drift(forge, key: c.Key, markdown: str, *, limit: int, footer: str, label: str | None) -> Outcome:
    """The open drift issue of this stack, created or brought up to date (title and body)."""
    body = c.build_body(key, markdown, limit=limit, footer=footer)
    title = c.drift_title(key)
    existing = c.find(forge.open_issues(label), key)
    decision = c.decide(existing, body)
    if decision.action is c.Action.CREATE:
        made = forge.create_issue(title, body, label)
        return Outcome(Posted.CREATED, made.get("number", made.get("iid")), _url(made))
    if decision.action is c.Action.UNCHANGED:
        return Outcome(Posted.UNCHANGED, decision.id)
    assert decision.id is not None
    made = forge.update_issue(decision.id, title, body)
    return Outcome(Posted.UPDATED, decision.id, _url(made))


def resolve_drift(forge, key: c.Key, *, commit: str | None, label: str | None) -> Outcome:
    """No drift: close this stack's open drift issue with a comment saying why, if there is one."""
    existing = c.find(forge.open_issues(label), key)
    if existing is None:
        return Outcome(Posted.NONE)
    forge.close_issue(existing.id, c.resolved_text(commit))
    return Outcome(Posted.CLOSED, existing.id)


def _url(made: dict) -> str | None:
    url = made.get("html_url") or made.get("web_url")
    return url if isinstance(url, str) else None
