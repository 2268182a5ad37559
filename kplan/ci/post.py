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


def post_plan(forge, key: c.Key, markdown: str, *, footer: str, report_url: str | None = None,
              state: str = "") -> Outcome:
    """One comment per key on the pull request: created on the first run, edited in place on the next ones."""
    body = c.build_body(key, markdown, limit=forge.limit, footer=footer, report_url=report_url, state=state)
    return _posted(c.find(forge.comments(), key), body, lambda: forge.create_comment(body), "id",
                   lambda number: forge.update_comment(number, body))


def mark_untouched(forge, planned: set[c.Key], env: str | None, *, footer: str) -> list[tuple[c.Key, Outcome]]:
    """Every plan comment of this environment whose stack is not among `planned` (a repository's run that the
    pull request's changed files no longer lead to it) says so instead of showing a plan that is not current; one
    already saying so is left alone. Comments of other environments, and anything not kplan's, are not touched."""
    done = []
    for note in list(forge.comments()):
        key = c.plan_key_of(note)
        if key is None or key in planned or key.env != env:
            continue
        body = c.untouched_body(key, footer=footer)
        # already saying so, whatever its footer (the commit it was first seen at): left as it is
        if note.body.lstrip().splitlines()[:2] == body.splitlines()[:2]:
            done.append((key, Outcome(Posted.UNCHANGED, note.id)))
            continue
        made = forge.update_comment(note.id, body)
        done.append((key, Outcome(Posted.UPDATED, note.id, _url(made))))
    return done


def report_drift(forge, key: c.Key, markdown: str, *, footer: str, label: str | None) -> Outcome:
    """The open drift issue of this stack, created or brought up to date (title and body)."""
    body = c.build_body(key, markdown, limit=forge.limit, footer=footer)
    title = f"kplan: drift in stack {key.stack}" + (f" ({key.env})" if key.env else "")
    return _posted(c.find(forge.open_issues(label), key), body,
                   lambda: forge.create_issue(title, body, label), "number",
                   lambda number: forge.update_issue(number, title, body))


def resolve_drift(forge, key: c.Key, *, commit: str | None, label: str | None) -> Outcome:
    """No drift: close this stack's open drift issue with a comment saying why, if there is one."""
    existing = c.find(forge.open_issues(label), key)
    if existing is None:
        return Outcome(Posted.NONE)
    at = f" at commit `{commit[:12]}`" if commit else ""
    forge.close_issue(existing.id, f"kplan found no drift{at}: the cluster matches the stack again. Closing.")
    return Outcome(Posted.CLOSED, existing.id)


def _posted(existing: c.Note | None, body: str, create, id_key: str, update) -> Outcome:
    """`create()` when there is none (the new one's id under `id_key`; GitLab's issues: `iid`), nothing when it
    already says the same, else `update(id)` in place."""
    if existing is None:
        made = create()
        return Outcome(Posted.CREATED, made.get(id_key, made.get("iid")), _url(made))
    if existing.body.strip() == body.strip():
        return Outcome(Posted.UNCHANGED, existing.id)
    return Outcome(Posted.UPDATED, existing.id, _url(update(existing.id)))


def _url(made: dict) -> str | None:
    url = made.get("html_url") or made.get("web_url")
    return url if isinstance(url, str) else None
