"""Apply from the pull request, the parts of `kplan ci` that join the forge and the cluster (docs/ci.md): the plan
comments' state and each stack's pull request lock with its kept plan (`kplan ci comment --plans DIR`), `kplan ci
apply` (the comment command) and `kplan ci release` (the pull request merged or closed)."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass, replace

import click

from kplan.ci import comment as c
from kplan.ci.state import PlanState, apply_lines, cluster_state, pull_request_id, read_state, who, with_banner
from kplan.errors import KplanError

OUTPUT_LIMIT = 6_000  # of `kplan apply`'s output, quoted in the result comment (the job log has it whole)


@dataclass(frozen=True)
class Kept:
    """A stack's saved plan as its comment shows it: the state line and the lines under the plan."""

    state: PlanState
    lines: str


def _open_home(path: str, environment: str | None):
    """The cluster that holds the stack's pull request lock: its only cluster, or the first of several."""
    from kplan.session.cluster import Cluster
    from kplan.stackfile import StackError, load_stack

    try:
        stack = load_stack(path, environment=environment, environ=os.environ)
    except StackError as e:
        raise KplanError("; ".join(e.lines())) from None
    return Cluster.open((stack.members or (stack,))[0], os.environ)


def keep_plans(ctx, stacks: list[tuple[c.Key, str]], directory: str) -> tuple[dict[c.Key, Kept], bool]:
    """For each (key, path) of a stack planned here whose saved plan is in `directory` (`kplan plan --out-dir`):
    with changes, this pull request's lock on the stack taken (or found another's) and the plan kept with it; without,
    a lock it held released. ({key: what its comment says}, whether every one went well)."""
    from kplan.ci.repository import plan_name
    from kplan.state.prlock import KeptPlan, plan_digest

    if not ctx.commit:
        raise KplanError("--plans: the pull request's head commit is not known (not a pull_request event): give "
                         "--commit SHA")
    me = pull_request_id(ctx.project, int(ctx.number))
    out: dict[c.Key, Kept] = {}
    ok = True
    for key, path in stacks:
        saved = os.path.join(directory, plan_name(key.stack))
        if not os.path.isfile(saved):
            continue
        try:
            text = _read(saved)
            changes = _has_changes(text, saved)
            state = PlanState(head=ctx.commit, base=ctx.base or "", plan=plan_digest(text), cluster=cluster_state(text),
                              path=path, changes="yes" if changes else "")
            cluster = _open_home(path, key.env)
            try:
                lock = cluster.pull_request_lock()
                if changes:
                    holder = lock.claim(me)
                    if holder == me:
                        lock.keep(KeptPlan(ctx.commit, ctx.base or "", text))
                    else:
                        state = replace(state, holder=holder)
                elif lock.state().holder == me:
                    lock.release()  # nothing to apply any more: another pull request may take the stack
            finally:
                cluster.close()
        except KplanError as e:
            click.echo(f"{path}: the plan was not kept for `kplan ci apply`: {e}", err=True)
            ok = False
            continue
        out[key] = Kept(state, apply_lines(key.stack, state, repository=ctx.project))
    return out, ok


def _read(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except (OSError, UnicodeDecodeError) as e:
        raise KplanError(f"cannot read the saved plan {path}: {e}") from None


def _has_changes(text: str, source: str) -> bool:
    from kplan.state.planfile import loads_plan

    return loads_plan(text, source).has_changes


@dataclass(frozen=True)
class Asked:
    """The comment that asked to apply: its words, who wrote it, and the event's permissions of its author (Gitea)."""

    body: str
    user: str
    permissions: dict | None


def asked_by(event) -> Asked:
    """The comment of an issue_comment event (GitHub, Gitea)."""
    comment = event.get("comment") if isinstance(event, dict) else None
    if not isinstance(comment, dict) or not isinstance(comment.get("body"), str):
        raise KplanError("kplan ci apply runs on a comment (an issue_comment event): the event file has no comment")
    user = str((comment.get("user") or {}).get("login") or "")
    permissions = (event.get("repository") or {}).get("permissions")
    return Asked(comment["body"], user, permissions if isinstance(permissions, dict) else None)


def plan_comments(forge, environment: str | None) -> dict[str, tuple[c.Note, PlanState | None]]:
    """The pull request's plan comments of `environment`, by stack: each note and its state line (None: its plan was
    not kept)."""
    out: dict[str, tuple[c.Note, PlanState | None]] = {}
    for note in forge.comments():
        key = c.plan_key_of(note)
        if key is not None and key.env == environment:
            out.setdefault(key.stack, (note, read_state(note.body)))
    return out


def mark(forge, note: c.Note, text: str) -> bool:
    """A banner on a plan comment (stale, applied, released), replacing the one it had; False when it already said
    so (nothing written)."""
    body = with_banner(note.body, text)
    if body.strip() == note.body.strip():
        return False
    forge.update_comment(note.id, body)
    return True


def git_head() -> str:
    """The commit the working directory has checked out ("" when it is not a git checkout)."""
    try:
        done = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


@dataclass(frozen=True)
class Applied:
    stack: str
    outcome: str  # "applied", "refused" (nothing was changed) or "failed"
    said: str  # the line that says what happened
    output: str = ""  # `kplan apply`'s output, for the result comment


def apply_stack(ctx, stack: str, state: PlanState, environment: str | None, head: str) -> Applied:
    """Apply the plan this pull request's lock keeps for `stack`, if it is the one the comment shows, made at
    `head`: by `kplan apply` of the saved plan (so with its own checks: the stack files and the cluster as the plan
    saw them), with the stack files of the checkout. Marks the plan applied in the lock."""
    me = pull_request_id(ctx.project, int(ctx.number))
    try:
        cluster = _open_home(state.path, environment)
    except KplanError as e:
        return Applied(stack, "refused", f"could not open its cluster: {e}")
    try:
        lock = cluster.pull_request_lock()
        held = lock.state()
        if held.holder != me:
            holder = f"pull request {who(held.holder, ctx.project)}" if held.holder else "no pull request"
            return Applied(stack, "refused", f"{holder} holds its lock now: push, or run the plan again")
        if held.plan is None or held.plan.digest != state.plan or held.plan.head != head:
            return Applied(stack, "refused", "the plan kept with its lock is not the one its comment shows: run the "
                                             "plan again")
        if held.applied == state.plan:
            return Applied(stack, "applied", "already applied (nothing done again)")
        code, out, err = _run_apply(held.plan.text, state.path)
        output = (out + err).strip("\n")
        if code == 0:
            lock.mark_applied(state.plan)
            return Applied(stack, "applied", _last_line(out) or "applied", output)
        if not out.strip():  # kplan apply shows the plan before it changes anything: it refused
            return Applied(stack, "refused", _last_line(err).removeprefix("Error: "), output)
        return Applied(stack, "failed", "a step failed and kplan rolled back what the run had done (its output says "
                       "how far)" if code == 1 else "a step failed and the rollback is incomplete: `kplan recover "
                       "--rollback` on the stack finishes it", output)
    except KplanError as e:
        return Applied(stack, "refused", str(e))
    finally:
        cluster.close()


def _run_apply(plan_text: str, stack_path: str) -> tuple[int, str, str]:
    """`kplan apply` of the saved plan (written to a private temporary file) for the stack at `stack_path`: its exit
    status, stdout and stderr, also shown in the job's log."""
    with tempfile.TemporaryDirectory(prefix="kplan-ci-") as tmp:
        path = os.path.join(tmp, "kept.plan")
        with open(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600), "w", encoding="utf-8") as f:
            f.write(plan_text)
        done = subprocess.run([sys.executable, "-m", "kplan", "apply", path, "--stack", stack_path, "--auto-approve",
                               "--no-color"], capture_output=True, text=True, stdin=subprocess.DEVNULL)
    click.echo(done.stdout, nl=False)
    click.echo(done.stderr, nl=False, err=True)
    return done.returncode, done.stdout, done.stderr


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ""


def result_text(results: list[Applied], asked: Asked, head: str) -> str:
    """The comment answering `kplan apply`: each stack's outcome, and kplan apply's output folded under it."""
    lines = [f"**kplan apply** (asked by @{asked.user}) at head `{head[:12]}`:", ""]
    words = {"applied": "applied", "refused": "not applied, nothing was changed", "failed": "not applied"}
    for r in results:
        lines.append(f"- stack `{r.stack}`: {words[r.outcome]}: {r.said}")
    for r in results:
        if r.output:
            cut = r.output if len(r.output) <= OUTPUT_LIMIT else "...\n" + r.output[-OUTPUT_LIMIT:]
            lines += ["", f"<details><summary>stack {r.stack}: kplan apply's output</summary>", "", "```",
                      cut.strip("\n").replace("```", "'''"), "```", "</details>"]
    return "\n".join(lines) + "\n"


def apply_from_pull_request(forge, asked: Asked, environment: str | None, policy, *, check_only: bool) -> int:
    """`kplan ci apply`: judge the pull request and the plans its comments show (kplan.ci.gate); refused, answer the
    comment with why and what to do (and mark the plans a moved head or base made stale); else (unless
    `check_only`) apply each stack's kept plan and answer with the outcome. The exit status: 0 when applied (or,
    `check_only`, when it may be), 1 otherwise."""
    from kplan.ci.gate import Refusal, Verdict, judge, parse_command, refusal_text
    from kplan.ci.pull import pull_facts

    command = parse_command(asked.body)
    if command is None:
        click.echo("The comment is not a `kplan apply` command: nothing to do.")
        return 0
    facts = pull_facts(forge, asked.user, asked.permissions, code_owners=policy.code_owners)
    found = plan_comments(forge, environment)
    verdict = judge(facts, policy, command, {s: st for s, (_, st) in found.items()})
    if verdict.ok and not check_only and git_head() != facts.head:
        verdict = Verdict(verdict.stacks, (Refusal(
            f"the job's checkout is not the pull request's head `{facts.head[:12]}`",
            "check out the head the check job names (`ref:` of actions/checkout) in the apply job"),))
    if not verdict.ok:
        for r in verdict.refusals:
            if r.stale:
                for stack in r.stacks:
                    mark(forge, found[stack][0], f"stale: {r.why}. The next plan replaces this comment.")
        forge.create_comment(refusal_text(verdict, asked.user))
        click.echo(refusal_text(verdict, asked.user), err=True)
        return 1
    _outputs(head=facts.head, stacks=" ".join(verdict.stacks))
    if check_only:
        click.echo(f"kplan apply may go ahead: {', '.join(verdict.stacks)} at head {facts.head[:12]}.")
        return 0
    results = []
    for stack in verdict.stacks:
        note, state = found[stack]
        assert state is not None  # judged: every stack to apply has a kept plan
        done = apply_stack(forge.ctx, stack, state, environment, facts.head)
        results.append(done)
        if done.outcome == "applied":
            mark(forge, note, f"applied at head `{facts.head[:12]}`, asked by @{asked.user}")
        else:
            mark(forge, note, f"not applied: {done.said}")
    # kplan apply prints no secret; its output is scrubbed again of the secrets and token this run knows
    forge.create_comment(forge.scrub(result_text(results, asked, facts.head)))
    return 0 if all(r.outcome == "applied" for r in results) else 1


def _outputs(**values: str) -> None:
    """The job's outputs for the steps and jobs after it (GitHub's and Gitea's GITHUB_OUTPUT file), when there is
    one."""
    path = os.environ.get("GITHUB_OUTPUT")
    if path:
        with open(path, "a", encoding="utf-8") as f:
            f.writelines(f"{k}={v}\n" for k, v in values.items())


def release_pull_request(forge, closed_how: str) -> int:
    """`kplan ci release`: every stack lock this pull request holds (found from its plan comments, on each stack's
    cluster) released, and its comment saying so. 0 when every one was released or not held, 1 otherwise."""
    failed = False
    for note in list(forge.comments()):
        key, state = c.plan_key_of(note), read_state(note.body)
        if key is None or state is None:
            continue
        released = _release(forge.ctx, key, state)
        failed = failed or released is None
        if released:
            mark(forge, note, f"lock released: the pull request was {closed_how}")
    return 1 if failed else 0


def release_untouched(forge, planned: set, environment: str | None) -> bool:
    """Before `--mark-untouched` says a stack is not planned any more: the lock this pull request holds on it
    released (another pull request may plan it now). False when one could not be."""
    ok = True
    for note in list(forge.comments()):
        key, state = c.plan_key_of(note), read_state(note.body)
        if key is not None and state is not None and key not in planned and key.env == environment:
            ok = _release(forge.ctx, key, state) is not None and ok
    return ok


def _release(ctx, key: c.Key, state: PlanState) -> bool | None:
    """Release the stack's lock if this pull request holds it: whether it did, None when it could not tell (the error
    told on stderr)."""
    me = pull_request_id(ctx.project, int(ctx.number))
    try:
        cluster = _open_home(state.path, key.env)
        try:
            lock = cluster.pull_request_lock()
            held = lock.state().holder == me
            if held:
                lock.release()
        finally:
            cluster.close()
    except KplanError as e:
        click.echo(f"{state.path}: stack {key.stack}'s lock was not released: {e}", err=True)
        return None
    if held:
        click.echo(f"released stack {key.stack}'s pull request lock")
    return held


def mark_stale_base(forge, branch: str) -> int:
    """`kplan ci stale`: `branch` moved (a push to it): each plan comment of the open pull requests into it that was
    made on another commit of it says it is stale (the next plan of its pull request replaces it). How many."""
    from kplan.ci.forge import Forge

    found = forge.get(f"{forge.base}/branches/{branch}").get("commit") or {}
    head = str(found.get("sha") or found.get("id") or "")
    which = {"base_branch": branch} if forge.gitea else {"base": branch}
    marked = 0
    for pr in list(forge.pages(f"{forge.base}/pulls", {"state": "open", **which, **forge.page_params()})):
        if (pr.get("base") or {}).get("ref") != branch or not isinstance(pr.get("number"), int):
            continue
        thread = Forge(replace(forge.ctx, number=pr["number"]))
        for note in list(thread.comments()):
            key, state = c.plan_key_of(note), read_state(note.body)
            if key is None or state is None or not state.base or state.base == head:
                continue
            if mark(thread, note, f"stale: {branch} moved to `{head[:12]}` since `{key.stack}` was planned. The "
                                  "next plan replaces this comment."):
                click.echo(f"pull request #{pr['number']}: the plan of stack {key.stack} is stale ({branch} moved)")
                marked += 1
    return marked
