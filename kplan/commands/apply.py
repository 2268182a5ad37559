"""`kplan apply` and `kplan destroy`: execute a plan with a rollback journal under the stack's lock."""

from __future__ import annotations

import os
from typing import Any

import click

from kplan.commands._common import confirm_yes, load_or_exit
from kplan.commands._output import ENV_OPTION, NO_COLOR_OPTION, TEMPLATE_DIR_OPTION, WAIT_OPTION, emit, use_color
from kplan.commands._unreadable import ALLOW_UNREADABLE_OPTION, allowances
from kplan.errors import KplanError
from kplan.session.open import wait_for_stack_cluster

APPROVE_OPTION = click.option("--auto-approve", is_flag=True, help="Apply without asking for confirmation.")
ALLOW_CONSUMERS_OPTION = click.option(
    "--allow-active-consumers", is_flag=True,
    help="Allow deleting or replacing topics that consumer groups with live members read (docs/consumers.md).")
MAX_DELETIONS_OPTION = click.option("--max-deletions", type=click.IntRange(min=0), metavar="N",
                                    help="Refuse to run a plan that deletes or replaces more than N resources.")


def _is_plan_file(path: str) -> bool:
    if os.path.isdir(path):
        return False
    try:
        with open(path, encoding="utf-8") as f:
            head = f.read(4096).lstrip()
        return head.startswith("{") and '"format_version"' in head
    except (OSError, UnicodeDecodeError):
        return False


AUDIT_OPTION = click.option(
    "--audit-topic", envvar="KPLAN_AUDIT_TOPIC", metavar="TOPIC",
    help="Write one audit event (who, what, when, how it ended) to this Kafka topic once the run has ended, on "
         "each cluster of the stack (also KPLAN_AUDIT_TOPIC; docs/operations.md).")


def _run_options(*extra):
    """The options of apply and destroy, in their order in --help; `extra` (apply's --stack) after --no-color."""

    def decorate(f):
        for option in reversed((click.argument("path", type=click.Path(exists=True)), ENV_OPTION, APPROVE_OPTION,
                                MAX_DELETIONS_OPTION, ALLOW_CONSUMERS_OPTION, ALLOW_UNREADABLE_OPTION, NO_COLOR_OPTION,
                                *extra, TEMPLATE_DIR_OPTION, WAIT_OPTION, AUDIT_OPTION, click.pass_context)):
            f = option(f)
        return f

    return decorate


@click.command("apply")
@_run_options(click.option("--stack", "stack_path", type=click.Path(exists=True), metavar="PATH",
                           help="With a saved plan: the stack it was made from (default: the path recorded in the "
                                "plan)."))
def apply_command(ctx, path, environment, stack_path, **options):
    """Apply the stack at PATH (or a plan saved with `kplan plan -out FILE`) to the cluster."""
    saved = None
    if _is_plan_file(path):
        from kplan.state.planfile import load_plan, stack_path_of

        saved = load_plan(path)
        if saved.selection is not None:  # `kplan plan --owner/--label ... --format json > file`: a view
            raise KplanError(f"{path} is a plan filtered with --owner/--label ({saved.selection.describe()}): it "
                             "hides other resources' changes, so it is never applied; save the whole plan "
                             "(`kplan plan -out FILE`, without --owner/--label) and apply that")
        stack_path = stack_path or stack_path_of(path)
        if not stack_path:
            raise KplanError(f"{path} does not record its stack's path: pass --stack PATH")
        environment = environment or saved.environment
        path = stack_path
    _run(ctx, path, environment, destroy=bool(saved and saved.destroy), saved=saved, **options)


@click.command("destroy")
@_run_options()
def destroy_command(ctx, path, environment, **options):
    """Delete everything the stack at PATH owns (connectors first); protected resources are refused."""
    _run(ctx, path, environment, destroy=True, saved=None, **options)


def _run(ctx: click.Context, path, environment, *, destroy, saved, auto_approve, max_deletions,
         allow_active_consumers, allow_unreadable, no_color, template_dirs, wait_s, audit_topic):
    stack = load_or_exit(ctx, path, environment, template_dirs=template_dirs)
    # a saved plan made with --allow-unreadable allows what it records (what was reviewed is applied)
    allow_unreadable = allowances(stack, allow_unreadable) | {n.system for n in (saved.not_read if saved else ())}
    wait_for_stack_cluster(stack, wait_s)
    color = use_color(no_color)
    several = stack.multi_cluster  # then one run over all of its clusters (kplan.session.run.run_apply_all)
    early = None
    if not several:  # open the cluster and take the lock while the rest of apply loads
        from kplan.session.early import EarlyLock

        early = EarlyLock(stack, os.environ, creates=not destroy)  # interrupted, it cleans up after itself
    # From here until run_apply holds the lock, any way out (Ctrl-C included) releases what the thread took;
    # abandon() leaves a lock the run holds to the run (kplan.session.early).
    try:
        from kplan.kinds import UNITS
        from kplan.render.common import not_read_note
        from kplan.session.run import RunOptions, close_all, open_all, report_lines, run_apply, run_apply_all
        from kplan.state.journal import new_run_id

        def show(plan):
            emit(plan, "text", color)

        def confirm(plan):
            if auto_approve:
                return True
            if destroy:
                ok = confirm_yes(f"Type the stack name ({stack.name}) to destroy everything it owns", stack.name)
            else:
                ok = confirm_yes("Do you want to perform these actions? Only 'yes' will be accepted")
            if not ok:
                click.echo("Apply cancelled." if not destroy else "Destroy cancelled.")
            return ok

        opts = RunOptions(destroy=destroy, max_deletions=max_deletions, confirm=confirm, show=show,
                          saved_plan=saved, allow_active_consumers=allow_active_consumers)
        clusters = open_all(stack, os.environ) if early is None else [early.opened()]  # what Cluster.open raised
        try:
            for c in clusters:
                c.session.allow_unreadable = allow_unreadable
            run_id = early.run_id if early is not None else new_run_id()  # several clusters: one run, one id
            result, plan = audited((lambda: run_apply_all(clusters, opts, run_id=run_id)) if several else
                                   (lambda: run_apply(clusters[0], opts, early=early)),
                                   clusters, audit_topic, "destroy" if destroy else "apply", run_id)
        finally:
            close_all(clusters)
    except BaseException:
        if early is not None:
            early.abandon()
        raise
    if result is None:  # nothing to do, or not approved: exit 0, saying so when the plan had nothing to change
        if not plan.has_changes:
            click.echo(("No changes to apply." if not destroy else "Nothing to destroy.") + not_read_note(plan))
        ctx.exit(0)
    s = plan.summary
    line = (f"Destroy complete! Resources: {s.destroy} destroyed" if destroy else
            f"Apply complete! Resources: {s.add} added, {s.change} changed, {s.destroy} destroyed"
            + (f", {s.restart} restarted" if s.restart and not several else ""))
    line += (f" across {len(plan.groups)} clusters" if several else "") + f".{not_read_note(plan)}"
    # after it, what the applied changes left for a person to do, as a kind's Runtime says it (`left_behind`: e.g.
    # what a deleted PostgreSQL source left, with the SQL to drop it)
    _finish(ctx, result, line if result.exit_code == 0 else None, color,
            after=[text for u in UNITS if (runs := u.runtime) is not None for text in runs.left_behind(plan)],
            report=report_lines if several else None)


def _finish(ctx, result, success_line: str | None, color: bool, after: list[str] | None = None,
            report=None) -> None:
    """The last words of a run: its success line (exit 0), or what failed, what was rolled back and what was
    not (exit 1 or 3; `report`: its lines, kplan.session.run.report_failure's by default)."""
    from kplan.session.run import report_failure

    if success_line is not None:
        click.echo(click.style(success_line, fg="green", bold=True) if color else success_line, color=color)
        for text in after or ():
            click.echo(text)
        ctx.exit(0)
    for line in (report or report_failure)(result):
        click.echo(line, err=True)
    ctx.exit(result.exit_code)


@click.command("recover")
@click.argument("path", type=click.Path(exists=True))
@ENV_OPTION
@click.option("--rollback", "mode", flag_value="rollback", help="Undo what the interrupted run did.")
@click.option("--resume", "mode", flag_value="resume", help="Finish the interrupted run's plan.")
@click.option("--force", is_flag=True, help="Take over the interrupted run's lock even if its holder may be alive.")
@APPROVE_OPTION
@ALLOW_UNREADABLE_OPTION
@NO_COLOR_OPTION
@TEMPLATE_DIR_OPTION
@AUDIT_OPTION
@click.pass_context
def recover_command(ctx: click.Context, path, environment, mode, force, auto_approve, allow_unreadable, no_color,
                    template_dirs, audit_topic):
    """Recover from an apply that was killed mid-way (idempotent: safe to run twice). --resume plans again (a
    declared Connect cluster it cannot read is an error, unless --allow-unreadable names it, as for apply)."""
    from kplan.render.common import not_read_note
    from kplan.session.cluster import Cluster
    from kplan.session.run import RunOptions, recover, recover_all, recovered, report_failure

    if mode is None:
        raise click.UsageError("say how to recover: --rollback (undo the interrupted run) or --resume (finish it)")
    if allow_unreadable and mode != "resume":
        raise click.UsageError("--allow-unreadable goes with --resume, which plans again; --rollback plans nothing: "
                               "it undoes the steps the run journaled")
    stack = load_or_exit(ctx, path, environment, template_dirs=template_dirs)
    allowed = allowances(stack, allow_unreadable)
    color = use_color(no_color)
    shown = []  # the resume's plan: what it did not read (--allow-unreadable) is not "as the stack declares"

    def show(plan):
        shown.append(plan)
        emit(plan, "text", color)

    def each(cluster, call):  # a cluster's recovery: its audit event on that cluster (with its resume's plan)
        n = len(shown)
        return audited(call, [cluster], audit_topic, f"recover --{mode}", "",
                       plan_of=lambda: shown[-1] if len(shown) > n else None)

    # a resume shows its plan and asks before it goes on (unless --auto-approve)
    opts = RunOptions(show=show, confirm=lambda plan: auto_approve or confirm_yes(
        "Finish the interrupted run with these actions? Only 'yes' will be accepted"))
    if stack.multi_cluster:
        # each cluster's run (with --rollback, the parts of an interrupted run that had completed on other clusters
        # are rolled back too); exit with the worst outcome
        worst = 0
        for name, result, message in recover_all(stack, mode, force=force, opts=opts, environ=os.environ,
                                                 allow_unreadable=allowed, each=each):
            click.echo(f"Cluster {name}: {message}")
            if result is not None and result.status != recovered(mode):
                worst = max(worst, result.exit_code)
                for line in report_failure(result):
                    click.echo(f"  {line}", err=True)
        ctx.exit(worst)
    cluster = Cluster.open(stack, os.environ)
    cluster.session.allow_unreadable = allowed
    try:
        result, message = each(cluster, lambda: recover(cluster, mode, force=force, opts=opts))
    finally:
        cluster.close()
    click.echo(message)
    if result is None:
        ctx.exit(0)
    ok = result.status == recovered(mode)
    note = not_read_note(shown[-1]) if shown else ""
    _finish(ctx, result, ("Recovery complete: the cluster is " + (
        "as it was before the interrupted run." if mode == "rollback" else
        f"as the stack declares in what was read.{note}" if note else "as the stack declares.")) if ok else None,
        color)


@click.command("unlock")
@click.argument("path", type=click.Path(exists=True))
@ENV_OPTION
@APPROVE_OPTION
@TEMPLATE_DIR_OPTION
@click.option("--force", is_flag=True,
              help="Release the lock even when its holder is still running on this host.")
@click.pass_context
def unlock_command(ctx, path, environment, auto_approve, template_dirs, force):
    """Release the stack's apply lock left behind by a dead run."""

    stack = load_or_exit(ctx, path, environment, template_dirs=template_dirs)
    for member in stack.members or (stack,):
        _unlock_one(ctx, member, auto_approve, force)
    ctx.exit(0)


def _unlock_one(ctx, stack, auto_approve, force=False) -> None:
    from kplan.session.cluster import Cluster

    where = f" on cluster {stack.cluster_name}" if stack.cluster_name else ""
    cluster = Cluster.open(stack, os.environ)
    try:
        lock = cluster.lock()
        if not lock.exists():
            click.echo(f"Stack {stack.name!r} is not locked{where}.")
            return
        holder = lock.holder()
        who = holder.describe() if holder else "holder unknown"
        click.echo(f"Stack {stack.name!r} is locked{where} by {who}.")
        if holder is not None and not holder.released and holder.alive_here():
            alive = (f"the holder, pid {holder.pid}, is still running on this host: releasing its lock lets another "
                     "run change the stack at the same time")
            if not force:
                click.echo(f"Error: {alive}; wait for it to finish (or stop it), or pass --force to release it "
                           "anyway. Left locked.", err=True)
                ctx.exit(1)
            click.echo(f"Warning: {alive} (--force).", err=True)
        if not auto_approve and not confirm_yes("Release it? Only do this if that run is dead. Type 'yes'"):
            click.echo("Left locked.")
            ctx.exit(1)
        lock.release()
        click.echo("Unlocked.")
    finally:
        cluster.close()


def audited(call, clusters, topic: str | None, command: str, run_id: str, plan_of=None):
    """`call()`'s answer, (result or None, plan or message), after writing the run's audit event (kplan.state.audit)
    once the run has ended, whatever the ending, when an audit `topic` is given: one per cluster of `clusters`, on
    that cluster, with its part of the plan and its outcome (`call()`'s result: one cluster's ApplyResult, or a
    several-cluster run's MultiResult); the run's outcome is its own either way. `plan_of`: the plan, when `call()`
    answers a message."""
    from kplan.secrets import scrub
    from kplan.state.audit import event, now, write

    if not topic:
        return call()
    to: str = topic
    started = now()

    def written(endings) -> None:  # (plan, outcome, error) of each cluster
        for cluster, (plan, outcome, error) in zip(clusters, endings):
            doc = event(command, cluster.stack, cluster.cluster_id, plan, outcome, started=started, ended=now(),
                        run_id=run_id, error=error)
            try:
                write(cluster, to, doc)
            except KplanError as e:
                where = f" on cluster {cluster.stack.cluster_name}" if cluster.stack.cluster_name else ""
                click.echo(scrub(f"Warning: the audit event was not written to {to}{where}: {e}"), err=True)

    try:
        result, second = call()
    except KeyboardInterrupt as e:
        from kplan.session.run import Interrupted

        # stopped between two clusters' parts: those it ran say how they ended, the others are cancelled
        written(_endings(e.result, e.plan, len(clusters)) if isinstance(e, Interrupted) else
                [(None, "cancelled", "")] * len(clusters))
        raise
    except KplanError as e:
        written([(None, "error", str(e))] * len(clusters))
        raise
    written(_endings(result, second if plan_of is None else plan_of(), len(clusters)))
    return result, second


def _endings(result, plan, n: int) -> list[tuple[object, str, str]]:
    """(its part of the plan, outcome, error) of each of a run's `n` clusters, from its result (None: nothing to
    do, or not approved; an ApplyResult; a MultiResult, kplan.session.run) and its plan (a several-cluster run's:
    one group a cluster)."""
    from kplan.session.run import MultiResult

    parts = list(plan.groups) if plan is not None and plan.groups else [plan] * n
    if isinstance(result, MultiResult):
        # None: a cluster the run never started, as it was interrupted before it (kplan.session.run.Interrupted)
        ends: list[tuple[Any, bool | None]] = [(o.result, o.skipped) for o in result.outcomes]
        ends += [(None, None)] * (n - len(ends))
    else:
        ends = [(result, False)] * n
    out: list[tuple[object, str, str]] = []
    for part, (r, skipped) in zip(parts, ends):
        if skipped:  # the run stopped (another cluster failed) before it
            cause = result.cause
            out.append((part, "error", f"not applied: cluster {cause.name} failed: "
                                       f"{cause.result.error if cause.result else ''}"))
        elif r is None:  # nothing to do there, not approved, or (skipped None) interrupted before it
            out.append((part, "cancelled" if (result is None or skipped is None) and part is not None
                        and part.has_changes else "nothing-to-do", ""))
        else:
            out.append((part, {"complete": "applied"}.get(str(r.status), str(r.status)), r.error))
    return out
