"""`kplan plan` over a repository of stacks (several PATHs, `--tree DIR`, `--changed-files FILE`): which stacks,
then one section per stack (text, markdown or json) and a summary line. The planning itself is
kplan.session.many's; the exit status is as for one stack, over all of them (1 if any failed, else 2 with
--detailed-exitcode if any has changes)."""

from __future__ import annotations

import json
import os
from typing import Sequence

import click

from kplan.ci.repository import NOTHING
from kplan.session.many import Planned


def select_stacks(paths: Sequence[str], trees: Sequence[str], changed_files: str | None) -> list[str]:
    """The stack roots to plan (what it notices on the way, on stderr): the PATHs as given, every stack root under
    each tree (the working directory when only --changed-files is given), narrowed to those the changed files touch."""
    from kplan.stackfile.roots import find_stacks, read_changed_files, touched

    changed: list[str] | None = None
    if changed_files is not None:
        trees = trees or (".",)
        try:  # once for every tree: `-` is standard input, which a second read finds empty
            changed = read_changed_files(changed_files)
        except OSError as e:
            raise click.UsageError(f"--changed-files {changed_files}: {e.strerror or e}") from None
    found: list[str] = []
    for top in trees:
        tree = find_stacks(top)
        for directory, names in sorted(tree.mixed.items()):
            click.echo(f"Warning: {directory}: its stack files name several stacks ({', '.join(names)}) and some "
                       "name none: neither one stack nor one stack per file; not planned", err=True)
        if changed is not None:
            roots, untouched = touched(tree, changed)
            if untouched:
                click.echo(f"{len(untouched)} changed file(s) touch no stack under {top}: "
                           + ", ".join(untouched[:10]) + (" ..." if len(untouched) > 10 else ""), err=True)
        else:
            roots = tree.roots
        found += roots
    first: dict[str, str] = {}  # each stack once, as first named
    for p in [*paths, *found]:
        first.setdefault(os.path.realpath(p), p)
    return list(first.values())


def emit_many(results: list[Planned], fmt: str, color: bool, owner: str | None = None, labels=None) -> None:
    """One section per stack, then the summary line (json: one document; markdown: sections `kplan ci comment`
    splits again, kplan.ci.repository)."""
    if owner is not None or labels:
        from kplan.plan.select import select_all

        planned = [(r, r.plan) for r in results if r.plan is not None]
        for (r, _), selected in zip(planned, select_all([p for _, p in planned], owner, labels or {})):
            r.plan = selected
    for r in results:
        for line in r.warnings:
            click.echo(f"{r.path}: {line}", err=True)
    if fmt == "json":
        click.echo(json.dumps(as_json(results), indent=2))
    else:
        from kplan.render import render

        for n, r in enumerate(results):
            if fmt == "markdown":
                from kplan.ci.repository import section_head

                click.echo(("\n" if n else "") + section_head(r.path, r.name, planned=r.plan is not None,
                                                              environment=r.environment))
            else:
                header = f"── {r.path}" + (f" (stack {r.name})" if r.name else "")
                click.echo(("\n" if n else "") + (click.style(header, bold=True) if color else header), color=color)
            if r.plan is not None:
                click.echo(render(r.plan, fmt, color=color), nl=False, color=color)
            else:
                bullet = "- " if fmt == "markdown" else ""
                click.echo("\n".join(f"{bullet}{line}" for line in r.errors))
        click.echo(("\n" if results else "") + summary_line(results))
    if fmt != "text":  # as for one stack: every error also goes to stderr, one line each (here with its stack's path)
        for r in results:
            for line in r.errors if r.plan is None else (d.format() for d in r.plan.errors):
                click.echo(f"{r.path}: {line}", err=True)


def write_reports(results: list[Planned], directory: str) -> None:
    """`--report-dir DIR`: each planned stack's plan as its own HTML page, DIR/<stack>.html (the names `kplan ci
    comment --summary --report-url` links to)."""
    from kplan.ci.repository import page_name
    from kplan.errors import KplanError
    from kplan.render import render

    written = 0
    try:
        os.makedirs(directory, exist_ok=True)
        for r in results:
            if r.plan is not None:
                with open(os.path.join(directory, page_name(r.name or r.path)), "w", encoding="utf-8") as f:
                    f.write(render(r.plan, "html"))
                written += 1
    except OSError as e:
        raise KplanError(f"{directory}: cannot write the HTML plan pages: {e.strerror or e}") from None
    click.echo(f"Wrote {written} HTML plan page(s) to {directory}.", err=True)


def save_plans(results: list[Planned], directory: str) -> None:
    """`--out-dir DIR`: each stack's plan without errors saved as DIR/<stack>.plan (`kplan.ci.repository.plan_name`),
    recording its stack's path as `-out` does: the plan its section showed, for `kplan apply` or `kplan ci comment
    --plans DIR`."""
    from kplan.ci.repository import plan_name
    from kplan.errors import KplanError
    from kplan.state.planfile import save_plan

    saved = [r for r in results if not r.failed]
    try:
        os.makedirs(directory, exist_ok=True)
    except OSError as e:
        raise KplanError(f"{directory}: cannot write the saved plans: {e.strerror or e}") from None
    for r in saved:
        save_plan(r.plan, os.path.join(directory, plan_name(r.name or r.path)), stack_path=r.path)
    click.echo(f"Saved {len(saved)} plan(s) to {directory}.", err=True)


def counts(results: list[Planned]) -> dict[str, int]:
    failed = sum(1 for r in results if r.failed)
    changes = sum(1 for r in results if not r.failed and r.has_changes)
    return {"stacks": len(results), "changes": changes, "unchanged": len(results) - failed - changes,
            "failed": failed}


def summary_line(results: list[Planned]) -> str:
    c = counts(results)
    if not results:
        return NOTHING
    return (f"Stacks: {c['stacks']} planned: {c['changes']} with changes, {c['unchanged']} without changes, "
            f"{c['failed']} failed.")


def as_json(results: list[Planned]) -> dict:
    """{"format_version", "stacks": [{path, stack, status, errors, plan (kplan's plan JSON, or null)}], "summary"}"""
    from kplan.render import render

    stacks = []
    for r in results:
        status = "failed" if r.failed else ("changes" if r.has_changes else "no-changes")
        stacks.append({"path": r.path, "stack": r.name, "status": status, "errors": list(r.errors),
                       "plan": json.loads(render(r.plan, "json")) if r.plan is not None else None})
    return {"format_version": "1", "stacks": stacks, "summary": counts(results)}


def exit_code(results: list[Planned], detailed: bool) -> int:
    if any(r.failed for r in results):
        return 1
    return 2 if detailed and any(r.has_changes for r in results) else 0
