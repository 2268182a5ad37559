"""`kplan plan`: compare a stack with the cluster and show what apply would do."""

from __future__ import annotations

import os
from typing import Mapping, Sequence

import click

from kplan.commands._output import (
    ENV_OPTION,
    FORMAT_OPTION,
    NO_COLOR_OPTION,
    TEMPLATE_DIR_OPTION,
    WAIT_OPTION,
    emit,
    use_color,
    write_report,
)
from kplan.commands._unreadable import ALLOW_UNREADABLE_OPTION


@click.command("plan")
@click.argument("paths", metavar="PATH...", nargs=-1, type=click.Path(exists=True))
@click.option("--tree", "trees", metavar="DIR", multiple=True, type=click.Path(exists=True, file_okay=False),
              help="Plan every stack found under DIR (repeatable; docs/ci.md, A repository of stacks), each cluster "
                   "read once for all the stacks that target it.")
@click.option("--changed-files", metavar="FILE", type=click.Path(dir_okay=False, allow_dash=True),
              help="Plan only the stacks these changed files touch (one path a line, `-` for stdin: `git diff "
                   "--name-only`), among those under --tree (default: the working directory).")
@ENV_OPTION
@FORMAT_OPTION
@NO_COLOR_OPTION
@click.option("--destroy", is_flag=True, help="Show what `kplan destroy` would remove.")
@click.option("-out", "--out", "out", metavar="FILE", type=click.Path(dir_okay=False),
              help="Save the plan (no secrets) for `kplan show` and `kplan apply`.")
@click.option("--report", metavar="FILE.html", type=click.Path(dir_okay=False),
              help="Also write the plan as one self-contained HTML page (docs/html-report.md), even when it has "
                   "errors.")
@click.option("--report-dir", metavar="DIR", type=click.Path(file_okay=False),
              help="With several stacks: write each stack's plan as its own HTML page, DIR/<stack>.html.")
@click.option("--out-dir", metavar="DIR", type=click.Path(file_okay=False),
              help="With several stacks: save each stack's plan (one without errors) as DIR/<stack>.plan, the plan "
                   "its section shows, for `kplan apply` and `kplan ci comment --plans DIR`.")
@click.option("--detailed-exitcode", is_flag=True, help="Exit 0 = no changes, 2 = changes, 1 = error.")
@click.option("--allow-active-consumers", is_flag=True,
              help="Allow deleting or replacing topics that consumer groups with live members read "
                   "(docs/consumers.md).")
@ALLOW_UNREADABLE_OPTION
@click.option("--owner", metavar="OWNER",
              help="Show only the resources this owner owns (a view: the summary says how much is hidden; a "
                   "filtered plan cannot be saved or applied).")
@click.option("--label", "labels", metavar="KEY=VALUE", multiple=True,
              help="Show only the resources with this label (repeatable; with --owner, both must match).")
@click.option("--rebalance", is_flag=True,
              help="Also spread the replicas of the stack's topics evenly over the brokers and racks, with the fewest "
                   "moves, and make each partition's new preferred replica its leader (docs/rebalance.md).")
@click.option("--elect-leaders", is_flag=True,
              help="Also make each partition's preferred (first) replica its leader where it is not.")
@click.option("--topic", "rebalance_topics", metavar="PATTERN", multiple=True,
              help="With --rebalance/--elect-leaders: only the stack's topics matching PATTERN (a glob; repeatable).")
@click.option("--throttle", metavar="RATE",
              help="With --rebalance: copy at most RATE per broker while replicas move, e.g. 10MiB/s.")
@TEMPLATE_DIR_OPTION
@WAIT_OPTION
@click.option("--live-state", metavar="FILE", type=click.Path(exists=True, dir_okay=False), hidden=True,
              help="Plan against a live-state JSON file instead of the cluster (tests, offline demos).")
@click.pass_context
def plan_command(ctx, paths, trees, changed_files, environment, fmt, no_color, destroy, out, report, report_dir,
                 out_dir, detailed_exitcode, allow_active_consumers, allow_unreadable, owner, labels, rebalance,
                 elect_leaders, rebalance_topics, throttle, template_dirs, wait_s, live_state):
    """Show the changes that would make the cluster match the stack at PATH (several PATHs, --tree or
    --changed-files: every stack, one section each, each cluster read once)."""
    from kplan.model.metadata import parse_labels  # not kplan.plan yet: the plan model loads while the read runs

    try:
        wanted = parse_labels(labels)
    except ValueError as e:
        raise click.UsageError(str(e)) from None
    request = rebalance_request(rebalance, elect_leaders, rebalance_topics, throttle, destroy)
    if len(paths) != 1 or trees or changed_files is not None:
        if request is not None:
            raise click.UsageError("--rebalance/--elect-leaders: one stack at a time")
        plan_stacks(ctx, paths, trees, changed_files, environment, fmt=fmt, color=use_color(no_color),
                    destroy=destroy, unsupported={"--out": out, "--report": report, "--wait-for-cluster": wait_s,
                                                  "--allow-unreadable": allow_unreadable}, report_dir=report_dir,
                    out_dir=out_dir, detailed_exitcode=detailed_exitcode, allow_active_consumers=allow_active_consumers,
                    owner=owner, labels=wanted, template_dirs=template_dirs, live_state=live_state)
    if report_dir or out_dir:
        raise click.UsageError("--report-dir: for several stacks; one stack's page is --report FILE.html" if report_dir
                               else "--out-dir: for several stacks; one stack's plan is saved with -out FILE")
    path = paths[0]
    filtered = owner is not None or bool(wanted)
    if filtered and out:
        raise click.UsageError("a plan filtered with --owner/--label is a view of part of the stack and cannot be "
                               "saved: apply would make the hidden changes too. Save the whole plan (without "
                               "--owner/--label) to apply it")
    plan = compute_plan(ctx, path, environment, destroy=destroy, live_state=live_state, template_dirs=template_dirs,
                        wait_s=wait_s, allow_active_consumers=allow_active_consumers,
                        allow_unreadable=allow_unreadable, rebalance=request)
    if filtered:
        from kplan.plan.select import select_all

        (plan,) = select_all([plan], owner, wanted)
    emit(plan, fmt, use_color(no_color))
    if report:
        write_report(plan, report)
    if out:
        if plan.has_errors:
            click.echo(f"Error: the plan has errors; it was not saved to {out}.", err=True)
        else:
            from kplan.state.planfile import save_plan

            save_plan(plan, out, stack_path=path)
            click.echo(f"Saved the plan to {out}: `kplan show {out}` shows it, `kplan apply {out}` applies exactly it.",
                       err=True)
    if plan.has_errors:
        ctx.exit(1)
    ctx.exit(2 if detailed_exitcode and plan.has_changes else 0)


def plan_stacks(ctx: click.Context, paths, trees, changed_files, environment, *, fmt: str, color: bool,
                destroy: bool, unsupported: Mapping, report_dir: str | None, out_dir: str | None,
                detailed_exitcode: bool, allow_active_consumers: bool, owner, labels, template_dirs,
                live_state) -> None:
    """A repository of stacks in one run (kplan.commands.plan_many, kplan.session.many); exits."""
    from kplan.commands.plan_many import emit_many, exit_code, save_plans, select_stacks, write_reports
    from kplan.session.many import plan_many

    if not paths and not trees and changed_files is None:
        raise click.UsageError("Missing argument 'PATH...'.")
    given = [option for option, value in unsupported.items() if value]
    if given or fmt == "html":
        raise click.UsageError(f"{', '.join(given) or '--format html'}: one stack at a time (plan that stack alone)")
    chosen = select_stacks(paths, trees, changed_files)
    results = plan_many(chosen, environment, environ=os.environ, template_dirs=template_dirs, destroy=destroy,
                        allow_active_consumers=allow_active_consumers, live_state=live_state)
    emit_many(results, fmt, color, owner, labels)
    if report_dir:
        write_reports(results, report_dir)
    if out_dir:
        if owner is not None or labels:
            raise click.UsageError("--out-dir: a plan filtered with --owner/--label is a view and cannot be saved")
        save_plans(results, out_dir)
    ctx.exit(exit_code(results, detailed_exitcode))


def rebalance_request(rebalance: bool, elect_leaders: bool, topics: Sequence[str], throttle: str | None,
                      destroy: bool):
    """The plan's rebalance request (kplan.model.rebalance), None when not asked; a misuse is a usage error."""
    if not (rebalance or elect_leaders):
        if topics or throttle:
            raise click.UsageError("--topic and --throttle go with --rebalance or --elect-leaders")
        return None
    if destroy:
        raise click.UsageError("--rebalance/--elect-leaders: not with --destroy")
    if throttle and not rebalance:
        raise click.UsageError("--throttle goes with --rebalance (an election copies no data)")
    rate = None
    if throttle:
        from kplan.rules.units import UnitError, parse_size_bytes

        text = throttle.strip()
        text = text[:-2] if text.lower().endswith("/s") else text
        try:
            rate = parse_size_bytes(text)
        except (UnitError, ValueError) as e:
            raise click.UsageError(f"--throttle {throttle}: {e}") from None
        if rate <= 0:
            raise click.UsageError(f"--throttle {throttle}: must be a positive rate")
    from kplan.model.rebalance import RebalanceRequest

    return RebalanceRequest(rebalance=rebalance, elect_leaders=elect_leaders, topics=tuple(topics), throttle=rate)


def compute_plan(ctx: click.Context, path: str, environment: str | None, *, destroy: bool, live_state: str | None,
                 template_dirs: Sequence[str], wait_s: float | None, allow_active_consumers: bool,
                 allow_unreadable: Sequence[str], rebalance):
    """Load the stack (every problem one line, then exit 1), read the live state (batched), plan, then validate
    the plan against the real systems (`allow_unreadable`: --allow-unreadable, kplan.commands._unreadable)."""
    from kplan.commands._common import load_and_open_or_exit

    stack, session, allowed = load_and_open_or_exit(ctx, path, environment, allow_unreadable, live_state=live_state,
                                                    template_dirs=template_dirs, wait_s=wait_s)
    if session is None and rebalance is not None:  # several clusters: each read and planned, one combined plan
        raise click.UsageError("--rebalance/--elect-leaders: a stack on one cluster at a time")
    # after the load: the read started meanwhile (cluster/prefetch.py)
    from kplan.session.open import sessions_of
    from kplan.session.plan import plan_all

    with sessions_of(stack, session, live_state=live_state, environ=os.environ, allowed=allowed) as sessions:
        return plan_all(sessions, several=session is None, one_cluster_each=live_state is None, destroy=destroy,
                        allow_active_consumers=allow_active_consumers, rebalance=rebalance)[1]
