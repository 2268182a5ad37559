"""`kplan status PATH`: which of a stack's resources exist, are missing or drifted, and how its connectors run.

The I/O lives here: load the stack, read the cluster and Connect in one batched read, plan (to find what
differs), read each CDC source's slot or binlog health at its database (status only), resolve the stack's
`${secret:...}` references only so that traces can be scrubbed of them. The report itself is built and rendered by
the pure `kplan.plan.status`.
"""

from __future__ import annotations

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
    import json
    from dataclasses import replace

    from kplan.commands._common import load_and_open_or_exit
    from kplan.plan.status import build_status
    from kplan.render.status import render_status
    from kplan.session.open import sessions_of
    from kplan.session.plan import plan_all

    stack, session, allowed = load_and_open_or_exit(ctx, path, environment, allow_unreadable, live_state=live_state,
                                                    template_dirs=template_dirs, wait_s=wait_s)
    several = session is None  # then one report per cluster, under its name
    # ONE batched read of each cluster and Connect (or a live-state file); no plan-time validation
    with sessions_of(stack, session, live_state=live_state, allowed=allowed) as sessions:
        planned, _ = plan_all(sessions, several=several, validate=False, one_cluster_each=live_state is None)
        reads = [_status_reads(s, live_state) for s in sessions]
        restarts = [_restarts(s, live_state) for s in sessions]
    reports = []
    for s, (live, plan), found_by, notes in zip(sessions, planned, reads, restarts):
        report = build_status(s.stack, live, plan, secrets=s.secrets.plaintexts())
        report = replace(report, warnings=report.warnings + notes) if notes else report  # notes: judge nothing
        for runs, found in found_by:  # what each kind read for status, in the report (its Runtime's `status_with`)
            report = runs.status_with(report, found)
        reports.append((s.stack.cluster_name, report))
    color = use_color(no_color) and fmt == "text"
    if fmt == "text":
        for name, report in reports:
            if several:
                heading = f"── cluster {name}"
                click.echo(click.style(heading, bold=True) if color else heading, color=color)
            click.echo(render_status(report, fmt, color=color), nl=False, color=color)
    else:  # stdout stays pure JSON: {"clusters": [{"cluster": name, ...report}]} for several; errors also to stderr
        if several:
            click.echo(json.dumps({"clusters": [{"cluster": name, **json.loads(render_status(report, "json"))}
                                                for name, report in reports]}, indent=2))
        else:
            click.echo(render_status(reports[0][1], fmt), nl=False)
        for _, report in reports:
            for d in report.diagnostics:
                click.echo(d.format(), err=True)
    ctx.exit(max(report.exit_code for _, report in reports))


def _status_reads(session, live_state: str | None) -> list:
    """What each kind reads for status alone (its Runtime's `status_read`: a CDC source's slot or binlog health at its
    database, docs/cdc-health.md), as (the Runtime, what it read); none with a live-state file, which stands for a
    cluster kplan does not reach."""
    if live_state is not None:
        return []
    from kplan.kinds import UNITS

    stack = session.stack
    return [(runs, runs.status_read(u.kind.declared(stack), session.secrets, session.reader, stack.cluster.timeout_s))
            for u in UNITS if (runs := u.runtime) is not None]


def _restarts(session, live_state: str | None) -> tuple:
    """What `kplan watch` did under the stack's restart policies (docs/auto-restart.md), as it keeps it on the
    cluster (kplan.state.restarts), as each kind's healing part notes it (the report's notes: they judge nothing, a
    FAILED resource is judged by its state); read only when the stack declares such a policy."""
    from kplan.commands.watch_heal import healing_parts

    parts = [p for p in healing_parts() if p.declares(session.stack)] if live_state is None else []
    if not parts:
        return ()
    from kplan.state.restarts import read_restarts
    from kplan.transport.kafka import client_config

    stack = session.stack
    found = read_restarts(client_config(stack.cluster, session.secrets), stack.name, session.reader.admin,
                          stack.cluster.timeout_s)
    return tuple(d for p in parts for d in p.notes(stack, found))
