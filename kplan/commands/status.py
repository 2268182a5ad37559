"""`kplan status PATH`: which of a stack's resources exist, are missing or drifted, and how its connectors run.

The I/O lives here: load the stack, read the cluster and Connect in one batched read, plan (to find what
differs), read each CDC source's slot or binlog health at its database (status only), resolve the stack's
`${secret:...}` references only so that traces can be scrubbed of them. The report itself is built and rendered by
the pure `kplan.plan.status`.
"""

from __future__ import annotations

import os

import click

from kplan.commands._output import ENV_OPTION, NO_COLOR_OPTION, TEMPLATE_DIR_OPTION, WAIT_OPTION, use_color
from kplan.commands._unreadable import ALLOW_UNREADABLE_OPTION


@click.command("status")
@click.argument("path", type=click.Path(exists=True))
@ENV_OPTION
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="text for terminals, json for tools.")
@NO_COLOR_OPTION
@ALLOW_UNREADABLE_OPTION
@TEMPLATE_DIR_OPTION
@WAIT_OPTION
@click.option("--live-state", metavar="FILE", type=click.Path(exists=True, dir_okay=False), hidden=True,
              help="Report against a live-state JSON file instead of the cluster (tests, offline demos).")
@click.pass_context
def status_command(ctx, path, environment, fmt, no_color, allow_unreadable, template_dirs, wait_s, live_state):
    """Show the status of the resources the stack at PATH declares.

    For each topic: whether it exists, is missing or has drifted from the stack (what differs), its partitions
    and replication factor. For each connector: the same, its state and each task's state and worker, with the
    first lines of a FAILED connector's or task's trace. Each resource shows where it was declared. Connector
    configs are never printed. For each CDC source (PostgreSQL, MariaDB/MySQL): its replication slot (active, the
    WAL it retains) or binlog position, read at its database (docs/cdc-health.md). Orphans under the stack's
    claims (docs/orphans.md) are listed after them. A declared Connect cluster (of several) that cannot be read is
    an error, unless --allow-unreadable names it: then the rest is reported, and the summary says what was not
    read (its connectors are unknown, never "in sync").

    \b
    Exit status:
      0  every resource exists, matches the stack (drift kplan leaves alone,
         e.g. an undeclared override or binding, is shown but not counted),
         and every connector and task is in its declared state; with
         --allow-unreadable, every resource that was read
      1  error: the stack is invalid, or the cluster (or its only Connect
         cluster) cannot be read
      2  something is missing, drifted in a way apply changes, or not in its
         declared state, an orphan under a claim with prune (the next apply
         deletes it; docs/orphans.md), a CDC source's replication slot is
         unhealthy (docs/cdc-health.md), or the check found an error (an
         unfinished apply, an unresolvable secret, a declared Connect
         cluster it could not read...)
      4  --wait-for-cluster: the cluster was not ready in time
    """
    from kplan.commands._common import load_and_open_or_exit
    from kplan.commands._unreadable import allowances_or_close
    from kplan.plan.status import build_status
    from kplan.render.status import render_status
    from kplan.session.plan import plan_stack

    stack, session = load_and_open_or_exit(ctx, path, environment, live_state=live_state, environ=os.environ,
                                           template_dirs=template_dirs, wait_s=wait_s)
    allowed = allowances_or_close(stack, allow_unreadable, session)
    if session is None:  # several clusters: one report per cluster, under its name
        _status_each(ctx, stack, fmt, no_color, live_state, allowed)
        return
    session.allow_unreadable = allowed
    try:  # ONE batched read of the cluster and Connect (or a live-state file); no plan-time validation
        live, plan = plan_stack(session, validate=False)
        reads = _status_reads(session, live_state)
    finally:
        session.close()
    report = _with_status_reads(build_status(stack, live, plan, secrets=session.secrets.plaintexts()), reads)
    color = use_color(no_color) and fmt == "text"
    click.echo(render_status(report, fmt, color=color), nl=False, color=color)
    if fmt != "text":  # text shows them inline; with json, stdout stays pure JSON and errors also go to stderr
        for d in report.diagnostics:
            click.echo(d.format(), err=True)
    ctx.exit(report.exit_code)


def _status_each(ctx, stack, fmt: str, no_color: bool, live_state: str | None, allowed: frozenset[str]) -> None:
    """Each cluster's report (text: under a heading; json: {"clusters": [{"cluster": name, ...report}]}); the exit
    status is the worst. `allowed`: --allow-unreadable."""
    import json

    from kplan.plan.status import build_status
    from kplan.render.status import render_status
    from kplan.session.multi import plan_all
    from kplan.session.open import member_sessions

    sessions, close = member_sessions(stack, live_state=live_state)
    for s in sessions:
        s.allow_unreadable = allowed
    try:
        planned, _ = plan_all(sessions, destroy=False, validate=False, one_cluster_each=live_state is None)
        reads = [_status_reads(s, live_state) for s in sessions]
    finally:
        close()
    reports = [(s.stack.cluster_name,
                _with_status_reads(build_status(s.stack, live, plan, secrets=s.secrets.plaintexts()), r))
               for s, (live, plan), r in zip(sessions, planned, reads)]
    color = use_color(no_color) and fmt == "text"
    if fmt == "text":
        for name, report in reports:
            heading = f"── cluster {name}"
            click.echo(click.style(heading, bold=True) if color else heading, color=color)
            click.echo(render_status(report, fmt, color=color), nl=False, color=color)
    else:
        doc = {"clusters": [{"cluster": name, **json.loads(render_status(report, "json"))} for name, report in reports]}
        click.echo(json.dumps(doc, indent=2))
        for _, report in reports:
            for d in report.diagnostics:
                click.echo(d.format(), err=True)
    ctx.exit(max(report.exit_code for _, report in reports))


def _status_reads(session, live_state: str | None) -> list:
    """What each kind reads for status alone (its UNIT's `io.status_read_ref`: a CDC source's slot or binlog health
    at its database, docs/cdc-health.md), as (the unit, what it read); none with a live-state file, which stands for
    a cluster kplan does not reach."""
    if live_state is not None:
        return []
    from kplan.kinds import UNITS

    stack = session.stack
    return [(u, u.status_read(u.kind.declared(stack), session.secrets, session.reader, stack.cluster.timeout_s))
            for u in UNITS if u.status_read is not None]


def _with_status_reads(report, reads: list):
    """The report with what each kind read for status (its UNIT's `status_with`)."""
    for unit, found in reads:
        report = unit.status_with(report, found)
    return report
