"""What a plan comment says about the plan it shows, for apply from the pull request. Pure.

A hidden state line right after the comment's marker names what the plan was made from — the pull request's head
and base commits, the saved plan's digest, the cluster's state (a digest of the cluster ids and the fingerprints of
the resources the plan changes, as the saved plan records them), the stack's path — and, when another pull request
holds the stack's lock, that one. `kplan ci apply` reads it back; the visible lines under the plan say the same to
the reviewer. A banner under the title says when the plan is stale (the base, the head or the cluster moved on), or
that it was applied; the next plan replaces the comment, banner and all.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from urllib.parse import quote, unquote

_STATE = re.compile(r"^<!-- kplan-state (?P<fields>[^<>]*) -->$")
_BANNER = "> **kplan:"
FIELDS = ("head", "base", "plan", "cluster", "path", "holder", "changes")


@dataclass(frozen=True)
class PlanState:
    head: str  # the pull request's head commit the plan was made at
    base: str  # the base branch's commit then ("" when the event did not say)
    plan: str  # sha256:<hex> of the saved plan's text (kplan.state.prlock.plan_digest): what was kept
    cluster: str  # sha256:<hex> of the cluster state (`cluster_state`)
    path: str  # the stack's path in the repository
    holder: str = ""  # the run id of another pull request holding the stack's lock; "" when this one holds it
    changes: str = ""  # "yes" when the plan changes something (there is something to apply)

    def line(self) -> str:
        fields = " ".join(f"{k}={quote(getattr(self, k), safe='/:@#+')}" for k in FIELDS if getattr(self, k))
        return f"<!-- kplan-state {fields} -->"

    @property
    def has_changes(self) -> bool:
        return self.changes == "yes"

    @property
    def held_here(self) -> bool:
        return not self.holder


def read_state(body: str) -> PlanState | None:
    """The state line of a plan comment's body (its second line), None when it has none (a plan that was not saved,
    a stack not planned any more)."""
    lines = body.lstrip().splitlines()
    m = _STATE.match(lines[1].strip()) if len(lines) > 1 else None
    if m is None:
        return None
    fields = dict(part.split("=", 1) for part in m.group("fields").split() if "=" in part)
    values = {k: unquote(fields.get(k, "")) for k in FIELDS}
    if not (values["head"] and values["plan"] and values["path"]):
        return None
    return PlanState(**values)


def cluster_state(saved_plan: str) -> str:
    """`sha256:<hex>` of the cluster state a saved plan was made from: each cluster's id and the fingerprints of the
    live resources it changes (what apply checks the cluster against)."""
    doc = json.loads(saved_plan)
    state = {k: doc.get(k) for k in ("cluster_id", "fingerprints", "clusters")}
    data = json.dumps(state, sort_keys=True, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(data.encode("utf-8")).hexdigest()


def short(digest: str) -> str:
    """`sha256:0123456789ab`: enough to tell two apart in a comment."""
    return digest[:19]


_RUN_PREFIX = "pull-request:"


def pull_request_id(repository: str, number: int) -> str:
    """The run id a pull request holds a stack's lock under (kplan.state.prlock)."""
    return f"{_RUN_PREFIX}{repository}#{number}"


def who(run_id: str, repository: str) -> str:
    """A holder's run id as a reference the forge links: `#12` in this repository, `owner/name#12` in another;
    anything else as it is."""
    held_by, _, number = run_id.removeprefix(_RUN_PREFIX).rpartition("#")
    if not run_id.startswith(_RUN_PREFIX) or not number.isdigit():
        return run_id
    return f"#{number}" if held_by == repository else f"{held_by}#{number}"


def apply_lines(stack: str, state: PlanState, *, repository: str) -> str:
    """What the reviewer reads under the plan: where it was made from and whether it can be applied from here."""
    base = f" on base `{state.base[:12]}`" if state.base else ""
    made = (f"Planned at head `{state.head[:12]}`{base}, from the cluster as it was (state `{short(state.cluster)}`); "
            f"saved plan `{short(state.plan)}`.")
    if not state.has_changes:
        return f"{made} Nothing to apply."
    if not state.held_here:
        return (f"{made}\n\n**Locked:** stack `{stack}` is held by pull request {who(state.holder, repository)} "
                "until it is merged or closed; this plan cannot be applied from here.")
    return (f"{made}\n\n**Apply from this pull request:** once it is approved, comment `kplan apply` (every stack "
            f"planned here) or `kplan apply {stack}`. This pull request holds stack `{stack}`'s lock until it is "
            "merged or closed.")


def with_banner(body: str, text: str) -> str:
    """`body` with a banner line (stale, applied) under its marker and state lines, replacing the one it had."""
    lines = body.lstrip().splitlines()
    head = 2 if len(lines) > 1 and _STATE.match(lines[1].strip()) else 1
    rest = lines[head:]
    if rest and rest[0].startswith(_BANNER):
        rest = rest[2:] if len(rest) > 1 and not rest[1].strip() else rest[1:]
    return "\n".join([*lines[:head], f"{_BANNER} {text}**", "", *rest]) + "\n"
