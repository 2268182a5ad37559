"""What kplan posts on a pull request, merge request or drift issue, and how it finds it again. Pure.

One comment per (stack, environment) and per pull request: it starts with a hidden marker naming both, so a later
push finds it and edits it in place instead of adding a comment, and two stacks planned in one pull request keep
one comment each. The drift issue works the same way with its own marker, so a renamed title still finds it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from typing import Iterable

# GitHub rejects an issue comment or issue body over 65,536 characters; GitLab a note or description over
# 1,000,000 (Gitlab::Database::MAX_TEXT_SIZE_LIMIT). The plan renderer already stays under 60,000.
GITHUB_BODY_LIMIT = 65_536
GITLAB_BODY_LIMIT = 1_000_000

_KEY_TEXT = re.compile(r"^[A-Za-z0-9_.:@/+-]+$")
# The first line of `kplan plan/show --format markdown`: "### kplan plan: stack `NAME` (`ENV`), cluster `ID`".
# A plan comment's marker, as `Key.marker` writes it.
_MARKER = re.compile(r"^<!-- (?P<kind>kplan-plan) stack=(?P<stack>[^ ]+)(?: env=(?P<env>[^ ]+))? -->")
_TITLE = re.compile(r"^#+ kplan (?:destroy )?plan: stack `(?P<stack>[^`]+)`(?: \(`(?P<env>[^`]+)`\))?")


class Kind(Enum):
    """What a marker identifies: the plan comment of a pull request, or the drift issue of a stack."""

    PLAN = "kplan-plan"
    DRIFT = "kplan-drift"
    REPOSITORY = "kplan-repository"  # one summary comment for a repository's plans (kplan.ci.repository)


@dataclass(frozen=True)
class Key:
    """The identity of one comment or issue: its kind, the stack and the environment (None: the base stack)."""

    kind: Kind
    stack: str
    env: str | None = None

    def marker(self) -> str:
        env = f" env={self.env}" if self.env else ""
        return f"<!-- {self.kind.value} stack={self.stack}{env} -->"


@dataclass(frozen=True)
class Note:
    """A comment, note or issue as the forge lists it: its id (a comment id, or an issue number/iid) and body."""

    id: int
    body: str


def check_key_part(what: str, value: str) -> str:
    """A stack or environment name as it may stand in a marker (no spaces, no `-->`): else a one-line error."""
    if not _KEY_TEXT.match(value):
        raise ValueError(f"{what} {value!r} cannot name a comment: use letters, digits and . _ - : @ / + only")
    return value


def key_from_plan(kind: Kind, markdown: str) -> Key | None:
    """The stack and environment named by a Markdown plan's title line, or None when it has no kplan title."""
    first = next((line for line in markdown.splitlines() if line.strip()), "")
    m = _TITLE.match(first.strip())
    if not m:
        return None
    return Key(kind, m.group("stack"), m.group("env"))


def find(notes: Iterable[Note], key: Key) -> Note | None:
    """The first note (oldest first, as listed) that starts with the key's marker; others, and other stacks'
    notes, are left alone. Only the start counts, so a reply quoting the marker is not taken for kplan's own."""
    marker = key.marker()
    for note in notes:
        if note.body.lstrip().startswith(marker):
            return note
    return None


def plan_key_of(note: Note) -> Key | None:
    """The key of a plan comment kplan posted (its first line is the marker), else None."""
    m = _MARKER.match(note.body.lstrip())
    return Key(Kind.PLAN, m.group("stack"), m.group("env")) if m else None


def untouched_body(key: Key, *, footer: str = "") -> str:
    """What a stack's plan comment says once the pull request's changes no longer touch the stack: its plan is not
    current any more (its earlier plans stay in the comment's edit history). The same key: a later push that touches
    the stack again puts its plan back in this comment."""
    tail = f"\n\n---\n{footer}\n" if footer else "\n"
    env = f" (`{key.env}`)" if key.env else ""
    return (f"{key.marker()}\n### kplan plan: stack `{key.stack}`{env}: not planned any more\n\n"
            f"The changes of this pull request no longer touch this stack, so its plan above is not current: kplan "
            f"did not plan it this time. An earlier plan is in this comment's edit history.{tail}")


def build_body(key: Key, markdown: str, *, limit: int, footer: str = "", report_url: str | None = None,
               state: str = "") -> str:
    """The marker (and the `state` line, kplan.ci.state, under it), the plan and a footer line, cut to `limit`
    characters with a note saying so; with a `report_url` (the whole plan as one page), a plan that does not fit
    whole is posted as a summary linking to it instead (kplan.ci.summary)."""
    from kplan.ci.summary import summary, too_long

    head = key.marker() + "\n" + (state + "\n" if state else "")
    tail = f"\n\n---\n{footer}\n" if footer else "\n"
    text = markdown.strip("\n")
    room = limit - len(head) - len(tail)
    if report_url and too_long(markdown, room):
        return head + summary(markdown, report_url, room) + tail
    if len(text) > room:
        note = "\n\n**The plan was cut here: it is longer than this comment may be. The CI job's log has it whole.**"
        text = text[: max(0, room - len(note))].rstrip() + note
    return head + text + tail


def footer(platform: str, commit: str | None, run_url: str | None) -> str:
    """`Planned by kplan at commit abc1234 (job log).` — where the comment comes from, no secret."""
    at = f" at commit `{commit[:12]}`" if commit else ""
    job = f" ([{platform} job]({run_url}))" if run_url else ""
    return f"Planned by `kplan ci comment`{at}{job}."
