"""Whether a pull request's reviewed plans may be applied from it now, and if not, why and what to do. Pure: the
facts come from the forge (kplan.ci.pull) and from the plan comments' state lines (kplan.ci.state).

`kplan apply` applies only what reviewers saw, only when the forge would let the pull request merge as it is: open,
from a branch of this repository (a fork's never gets the cluster's secrets), approved by enough people other than
its author at its head, with nobody asking for changes, mergeable, up to date with its base, asked by someone who
may write to the repository; and each stack's plan made at the current head and base by this pull request, which
holds the stack's lock. Every reason that holds is told, not only the first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from kplan.ci.state import PlanState, who

_COMMAND = re.compile(r"^\s*kplan\s+apply(?P<args>(?:[ \t]+\S+)*)[ \t]*$")


@dataclass(frozen=True)
class Command:
    stacks: tuple[str, ...] = ()  # the stacks named; none: every stack the pull request's comments planned


def parse_command(body: str) -> Command | None:
    """`kplan apply [STACK...]` on the comment's first non-empty line, else None (the comment is not kplan's)."""
    first = next((line for line in body.splitlines() if line.strip()), "")
    m = _COMMAND.match(first)
    return Command(tuple(dict.fromkeys(m.group("args").split()))) if m else None


@dataclass(frozen=True)
class PullFacts:
    """What the forge says of the pull request and of the comment that asked to apply it."""

    repository: str
    number: int
    author: str
    open: bool
    head: str
    base_ref: str
    base_head: str  # the base branch's commit now
    behind: int  # commits of the base branch the head does not have
    mergeable: bool | None  # None: the forge has not worked it out yet
    fork: bool
    approvers: tuple[str, ...]  # whose latest review approves the head, the author left out
    changes_requested: tuple[str, ...]  # whose latest review asks for changes
    commenter: str
    commenter_can_write: bool
    # --code-owners: each changed file's owners (CODEOWNERS of the base branch), and each owning team's members (None:
    # the token may not read them)
    owners: dict[str, tuple[str, ...]] = field(default_factory=dict)
    members: dict[str, tuple[str, ...] | None] = field(default_factory=dict)


@dataclass(frozen=True)
class Policy:
    approvals: int = 1  # how many people other than the author must approve the head
    code_owners: bool = False  # each changed file of a stack with code owners approved by one of them


@dataclass(frozen=True)
class Refusal:
    """One reason not to apply: what holds, what to do; `stale`: the plan comments no longer show what would be
    applied (they are marked so)."""

    why: str
    todo: str
    stacks: tuple[str, ...] = ()  # the stacks it is about; none: the pull request as a whole
    stale: bool = False


@dataclass(frozen=True)
class Verdict:
    stacks: tuple[str, ...]  # what would be applied, in the order of their comments
    refusals: tuple[Refusal, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return not self.refusals


def judge(facts: PullFacts, policy: Policy, command: Command, plans: dict[str, PlanState | None]) -> Verdict:
    """The stacks `command` asks for among those with a plan comment (`plans`: stack -> its state, None when its plan
    was not saved), and every reason not to apply them now."""
    out: list[Refusal] = []
    wanted = command.stacks or tuple(s for s, st in plans.items() if st is not None and st.has_changes)
    unknown = [s for s in wanted if s not in plans]
    if unknown:
        out.append(Refusal(f"no plan of stack{'s' if len(unknown) > 1 else ''} {_names(unknown)} in this pull "
                           "request", f"name stacks this pull request planned: {_names(plans) or '(none)'}",
                           tuple(unknown)))
    stacks = tuple(s for s in wanted if s in plans)
    if not stacks and not unknown:
        out.append(Refusal("nothing to apply: no stack planned here has changes",
                           "a stack this pull request changes gets a plan comment when its plan job runs"))
    older = any(st.head != facts.head or (st.base and st.base != facts.base_head)
                for s in stacks if (st := plans[s]) is not None)
    out += _pull_request(facts, policy, plan_older=older)
    out += _plans(facts, stacks, plans)
    if policy.code_owners:
        out += _owners(facts, {s: st.path for s in stacks if (st := plans[s]) is not None})
    return Verdict(stacks, tuple(out))


def _owners(f: PullFacts, paths: dict[str, str]) -> list[Refusal]:
    """Each changed file of the stacks to apply that has code owners needs the approval of one of them (a user, or
    a member of a team)."""
    out = []
    unread = sorted(t for t, m in f.members.items() if m is None)
    if unread:
        out.append(Refusal(f"the members of the code owner team{'s' if len(unread) > 1 else ''} {_names(unread, '@')} "
                           "cannot be read with the job's token", "give the token the right to read the "
                           "organisation's teams (GitHub: a token with read:org), or name users in CODEOWNERS"))
    for stack, path in paths.items():
        below = path.rstrip("/") + "/"
        waiting = {file: owners for file, owners in f.owners.items()
                   if owners and (file == path or file.startswith(below))
                   and not any(a == o or a in (f.members.get(o) or ()) for a in f.approvers for o in owners)}
        if waiting:
            files = "; ".join(f"`{file}` ({_names(owners, '@')})" for file, owners in sorted(waiting.items()))
            out.append(Refusal(f"stack `{stack}` needs a code owner's approval of the head for {files}",
                               "ask one of its code owners to approve it", (stack,)))
    return out


def _pull_request(f: PullFacts, p: Policy, plan_older: bool = False) -> list[Refusal]:
    """`plan_older`: a plan is older than the head or the base branch, so the forge's word on merging is about
    commits no plan was made of (and, just after a push to either, it is still checking them): the moved head or
    base is the reason, and a new plan asks again."""
    out = []
    if not f.open:
        out.append(Refusal("the pull request is closed", "nothing is applied from a closed pull request"))
    if f.fork:
        out.append(Refusal("the pull request comes from a fork: its jobs never get the cluster's secrets",
                           "push the branch to this repository and open the pull request from there, or apply after "
                           "the merge"))
    if not f.commenter_can_write:
        out.append(Refusal(f"@{f.commenter} may not write to the repository",
                           "ask someone who may write to it to comment `kplan apply`"))
    if len(f.approvers) < p.approvals:
        have = f" (approved by {_names(f.approvers, '@')})" if f.approvers else ""
        out.append(Refusal(f"the pull request needs {p.approvals} approval{'s' if p.approvals != 1 else ''} of its "
                           f"head `{f.head[:12]}` by someone other than its author @{f.author}, and has "
                           f"{len(f.approvers)}{have}",
                           "ask a reviewer to approve it, then comment `kplan apply` again"))
    if f.changes_requested:
        out.append(Refusal(f"{_names(f.changes_requested, '@')} asked for changes",
                           "address them and have the review approve the head"))
    if f.mergeable is None and not plan_older:
        out.append(Refusal("the forge has not yet worked out whether the pull request can be merged",
                           "comment `kplan apply` again in a minute"))
    elif f.mergeable is False and not plan_older:
        out.append(Refusal(f"the forge says the pull request cannot be merged into {f.base_ref} as it is (a conflict, "
                           "a draft, or the forge is still checking it)", "resolve what keeps it from merging (a new "
                           "head gets a new plan), or comment `kplan apply` again in a minute"))
    if f.behind:
        out.append(Refusal(f"the pull request is {f.behind} commit{'s' if f.behind != 1 else ''} behind "
                           f"{f.base_ref}", f"update the branch with {f.base_ref} (merge or rebase): the new head "
                           "gets a new plan to review"))
    return out


def _plans(f: PullFacts, stacks: tuple[str, ...], plans: dict[str, PlanState | None]) -> list[Refusal]:
    out = []
    unsaved = [s for s in stacks if plans[s] is None]
    if unsaved:
        out.append(Refusal(f"no saved plan of {_names(unsaved)} (its plan failed, or it was planned without "
                           "`--plans`)", "fix what its comment says; the next push plans it again",
                           tuple(unsaved)))
    states = {s: st for s in stacks if (st := plans[s]) is not None}
    nothing = [s for s, st in states.items() if not st.has_changes]
    if nothing:
        out.append(Refusal(f"nothing to apply in {_names(nothing)}: its plan has no changes",
                           "leave it out of `kplan apply`", tuple(nothing)))
    moved = [s for s, st in states.items() if st.head != f.head]
    if moved:
        out.append(Refusal(f"the head moved to `{f.head[:12]}` since {_names(moved)} {_were(moved)} planned",
                           "wait for the plan of the new head, review it, then comment `kplan apply` again",
                           tuple(moved), stale=True))
    based = [s for s, st in states.items() if st.base and st.base != f.base_head and s not in moved]
    if based:
        out.append(Refusal(f"{f.base_ref} moved to `{f.base_head[:12]}` since {_names(based)} {_were(based)} planned",
                           f"update the branch with {f.base_ref}, or run the plan again, then comment `kplan apply` "
                           "again", tuple(based), stale=True))
    for s, st in states.items():
        if not st.held_here:
            out.append(Refusal(f"pull request {who(st.holder, f.repository)} holds stack `{s}`'s lock",
                               "wait until it is merged or closed; then push, or run the plan again, and apply",
                               (s,)))
    return out


def _were(items) -> str:
    return "was" if len(items) == 1 else "were"


def _names(items, prefix: str = "`") -> str:
    close = "`" if prefix == "`" else ""
    return ", ".join(f"{prefix}{x}{close}" for x in items)


def refusal_text(verdict: Verdict, commenter: str) -> str:
    """The comment that answers a refused `kplan apply`: why, and what to do, one line each."""
    lines = [f"**kplan apply refused** (asked by @{commenter}): nothing was applied.", ""]
    lines += [f"- {r.why}: {r.todo}." for r in verdict.refusals]
    return "\n".join(lines) + "\n"
