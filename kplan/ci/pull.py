"""What the forge says of a pull request, for `kplan ci apply` (kplan.ci.gate judges it): its head, base and author,
whether it can be merged and is up to date, who approved its head, and whether the commenter may write.

GitHub and Gitea answer the same paths with different words: a review that approves is `APPROVED` on both, one that
asks for changes `CHANGES_REQUESTED` on GitHub and `REQUEST_CHANGES` on Gitea (which also marks a review `dismissed`
instead of changing its state); a branch's commit is `commit.sha` on GitHub and `commit.id` on Gitea; only a
repository admin may read another user's permission on Gitea, so there the commenter's comes from the comment's
event (Gitea computes its `repository.permissions` for the commenter), on GitHub from the API.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from kplan.ci.forge import Forge, ForgeError
from kplan.ci.gate import PullFacts

_APPROVED = "APPROVED"
_CHANGES = {"CHANGES_REQUESTED", "REQUEST_CHANGES"}
_DECIDED = {_APPROVED, "DISMISSED", *_CHANGES}  # a comment-only review leaves a reviewer's decision as it was


def pull_facts(forge: Forge, commenter: str, event_permissions: Mapping[str, Any] | None, *,
               code_owners: bool = False) -> PullFacts:
    """Ask the forge (GitHub or Gitea) about the context's pull request; `commenter` asked to apply it,
    `event_permissions` is the event's `repository.permissions` (used on Gitea); `code_owners`: also the owners of
    the files it changes and the members of their teams."""
    if not forge.hub:
        raise ForgeError(f"kplan ci apply: {forge.name} is not supported (GitHub and Gitea are)")
    pr = forge.get(f"{forge.base}/pulls/{forge.ctx.number}")
    head, base = pr.get("head") or {}, pr.get("base") or {}
    sha, base_ref = str(head.get("sha") or ""), str(base.get("ref") or "")
    branch = forge.get(f"{forge.base}/branches/{base_ref}")
    commit = branch.get("commit") or {}
    base_head = str(commit.get("sha") or commit.get("id") or "")
    author = str((pr.get("user") or {}).get("login") or "")
    # the commits of the base the head lacks: those a comparison from the head to the base finds
    behind = forge.get(f"{forge.base}/compare/{sha}...{base_head}").get("total_commits") if base_head != sha else 0
    reviews = list(forge.pages(f"{forge.base}/pulls/{forge.ctx.number}/reviews", forge.page_params()))
    approvers, changes = decisions(reviews, author, sha)
    head_repo = (head.get("repo") or {}).get("full_name")
    owners, members = _code_owners(forge, base_ref) if code_owners else ({}, {})
    return PullFacts(repository=forge.ctx.project, number=int(forge.ctx.number or 0), author=author,
                     open=pr.get("state") == "open" and not pr.get("merged"), head=sha, base_ref=base_ref,
                     base_head=base_head, behind=int(behind or 0), mergeable=pr.get("mergeable"),
                     fork=head_repo != (base.get("repo") or {}).get("full_name"),
                     approvers=approvers, changes_requested=changes, commenter=commenter,
                     commenter_can_write=can_write(forge, commenter, event_permissions), owners=owners,
                     members=members)


def decisions(reviews: Iterable[Mapping[str, Any]], author: str, head: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(who approves `head`, who asks for changes): each reviewer's latest deciding review (in the order listed,
    oldest first), not dismissed; an approval counts only for the head it was given at, and never the author's."""
    latest: dict[str, Mapping[str, Any]] = {}
    for review in reviews:
        login = str((review.get("user") or {}).get("login") or "")
        state = str(review.get("state") or "").upper()
        if login and state in _DECIDED:
            latest[login] = review
    approvers, changes = [], []
    for login, review in latest.items():
        state = str(review.get("state")).upper()
        if review.get("dismissed") or state == "DISMISSED":
            continue
        if state == _APPROVED and login != author and review.get("commit_id") == head:
            approvers.append(login)
        elif state in _CHANGES:
            changes.append(login)
    return tuple(approvers), tuple(changes)


def can_write(forge: Forge, user: str, event_permissions: Mapping[str, Any] | None) -> bool:
    """Whether `user` may push to the repository: on Gitea from the event's permissions (computed for the
    commenter), else (and on GitHub) from `collaborators/USER/permission`."""
    if forge.gitea and isinstance(event_permissions, Mapping):
        return bool(event_permissions.get("push") or event_permissions.get("admin"))
    try:
        found = forge.get(f"{forge.base}/collaborators/{user}/permission")
    except ForgeError as e:
        if e.status == 404:  # not a collaborator at all
            return False
        raise
    role = str(found.get("role_name") or found.get("permission") or "")
    return role in {"admin", "maintain", "write", "owner"}


def _code_owners(forge: Forge, base_ref: str) -> tuple[dict[str, tuple[str, ...]], dict[str, tuple[str, ...] | None]]:
    """({changed file: its owners}, {owning team: its members, None when unreadable}), by the CODEOWNERS file of the
    base branch (never the pull request's own: it could name its author)."""
    import base64

    from kplan.ci.owners import GITEA_FILES, GITHUB_FILES, owners_of, parse

    text = ""
    for path in GITEA_FILES if forge.gitea else GITHUB_FILES:
        try:
            found = forge.get(f"{forge.base}/contents/{path}", {"ref": base_ref})
        except ForgeError as e:
            if e.status == 404:
                continue
            raise
        text = base64.b64decode(found.get("content") or "").decode("utf-8", errors="replace")
        break
    rules, _ = parse(text, gitea=forge.gitea)
    files = [str(f.get("filename")) for f in forge.pages(f"{forge.base}/pulls/{forge.ctx.number}/files",
                                                         forge.page_params())]
    owners = {f: owners_of(f, rules, gitea=forge.gitea) for f in files}
    teams = sorted({o for found in owners.values() for o in found if "/" in o})
    return owners, {team: _members(forge, team) for team in teams}


def _members(forge: Forge, team: str) -> tuple[str, ...] | None:
    """The logins of `org/team`'s members, None when the token may not read them."""
    org, name = team.split("/", 1)
    try:
        if forge.gitea:
            found = forge.get(f"/orgs/{org}/teams/search", {"q": name}).get("data") or []
            ids = [t["id"] for t in found if t.get("name") == name]
            if not ids:
                return None
            path = f"/teams/{ids[0]}/members"
        else:
            path = f"/orgs/{org}/teams/{name}/members"
        return tuple(str(u.get("login")) for u in forge.pages(path, forge.page_params()))
    except ForgeError as e:
        if e.status in (403, 404):
            return None
        raise
