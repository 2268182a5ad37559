"""`kplan ci comment` and `kplan ci drift-issue`: a Markdown plan as one pull/merge request comment, updated in
place on every push, and a drift issue opened, updated or closed by a scheduled job. See docs/ci.md."""

from __future__ import annotations

import json
import os
import sys

import click

from kplan.errors import KplanError


def _forge_options(f):
    """Where the pull request is: the platform, its API, the repository and the token's variable."""
    opts = [
        click.option("--platform", type=click.Choice(["github", "gitea", "gitlab"]),
                     help="Default: GitHub Actions, Gitea (or Forgejo) Actions or GitLab CI, as the CI variables "
                          "say."),
        click.option("--api-url", metavar="URL", help="Default: GITHUB_API_URL or CI_API_V4_URL."),
        click.option("--repo", "project", metavar="REPO",
                     help="GitHub or Gitea OWNER/NAME, or GitLab project id or path. "
                          "Default: GITHUB_REPOSITORY or CI_PROJECT_ID."),
        click.option("--token-env", "token_var", metavar="VAR",
                     help="The variable holding the API token. Default: GITHUB_TOKEN (or GH_TOKEN); Gitea: "
                          "GITEA_TOKEN (or GITHUB_TOKEN); KPLAN_GITLAB_TOKEN (or GITLAB_TOKEN)."),
    ]
    for opt in reversed(opts):
        f = opt(f)
    return f


def _options(f):
    opts = [
        _forge_options,
        click.option("--stack", metavar="NAME", help="Default: the stack named by the plan's title."),
        click.option("-e", "--env", "--environment", "environment", metavar="ENV",
                     help="Default: the environment named by the plan's title."),
        click.option("--commit", metavar="SHA",
                     help="Shown in the footer. Default: the pull request head or CI commit."),
    ]
    for opt in reversed(opts):
        f = opt(f)
    return f


@click.group("ci")
def ci_group():
    """Post plans to GitHub or Gitea pull requests or GitLab merge requests, and keep a drift issue."""


@ci_group.command("comment")
@click.argument("plan", default="-", metavar="[PLAN.md]")
@_options
@click.option("--number", type=int, metavar="N",
              help="The pull request number or merge request iid. Default: from GITHUB_EVENT_PATH or "
                   "CI_MERGE_REQUEST_IID.")
@click.option("--report-url", envvar="KPLAN_REPORT_URL", metavar="URL",
              help="Where the job uploaded the plan as one HTML page (`kplan plan --report`); a plan too long for "
                   "a comment is then posted as a summary linking to it. Default: KPLAN_REPORT_URL.")
@click.option("--summary", "one_summary", is_flag=True,
              help="A repository's plans (`kplan plan --tree DIR --format markdown`): one comment summing up every "
                   "stack, each linked to its page under --report-url (`kplan plan --report-dir`), instead of one "
                   "comment per stack.")
@click.option("--plans", "plans_dir", metavar="DIR", type=click.Path(file_okay=False),
              help="Apply from the pull request: the stacks' saved plans (`kplan plan --tree ... --out-dir DIR`). Each "
                   "stack's comment then names the head, base and cluster state its plan was made from; a plan with "
                   "changes takes the stack's pull request lock and is kept with it for `kplan ci apply`.")
@click.option("--mark-untouched", is_flag=True,
              help="A repository's plans: the plan comments of stacks this run did not plan (an earlier push touched "
                   "them, the pull request's changes no longer do) say they are not planned any more. Only comments "
                   "of the same environment (-e, or the plans'); use it when one job plans every stack of the "
                   "pull request.")
def comment_command(plan, platform, api_url, project, token_var, stack, environment, commit, number, report_url,
                    one_summary, plans_dir, mark_untouched):
    """Post PLAN.md (a `kplan plan --format markdown` output; `-` or nothing: stdin) as one comment on the pull or
    merge request, or update the one an earlier run posted for the same stack and environment. A repository's
    plans (several stacks): one comment per stack, or with --summary one comment for all."""
    from kplan.ci import comment as c
    from kplan.ci.forge import Forge
    from kplan.ci.post import post_plan
    from kplan.ci.repository import split

    markdown = _read_plan(plan)
    report_url = (report_url or "").strip() or None
    if report_url and not report_url.startswith(("https://", "http://")):
        raise KplanError(f"--report-url / KPLAN_REPORT_URL {report_url!r} is not an http(s) URL: give the address "
                         "of the uploaded HTML plan (e.g. the upload-artifact step's artifact-url output)")
    repository = split(markdown)
    if repository is None and (one_summary or mark_untouched or plans_dir):
        option = "--summary" if one_summary else "--mark-untouched" if mark_untouched else "--plans"
        raise click.UsageError(f"{option}: for a repository's plans (`kplan plan --tree DIR --format markdown`)")
    if one_summary and plans_dir:
        raise click.UsageError("--plans: one comment per stack (not with --summary)")
    if repository is None:
        key = _key(c.Kind.PLAN, markdown, stack, environment)
    elif stack:
        raise click.UsageError("--stack: a repository's plans name their stacks themselves")
    ctx = _context(platform, api_url, project, number, token_var, commit, need_number=True)
    if plans_dir and ctx.platform == "gitlab":
        raise KplanError("--plans: apply from the pull request is for GitHub and Gitea; a GitLab merge request is "
                         "applied after the merge (docs/ci.md)")
    forge = Forge(ctx)
    footer = c.footer(forge.name, ctx.commit, ctx.run_url)
    if repository is not None:
        ok = _comment_repository(forge, ctx, *repository, footer=footer, environment=environment,
                                 report_url=report_url, one_summary=one_summary, mark_untouched=mark_untouched,
                                 plans_dir=plans_dir)
        if not ok:
            raise click.exceptions.Exit(1)
        return
    out = post_plan(forge, key, markdown, footer=footer, report_url=report_url)
    what, where = _on(ctx)
    _tell(out, f"{out.action.value} {what} {out.id} on {where}", f"{what} {out.id} on {where} already shows this plan")


def _comment_repository(forge, ctx, sections, summary: str, *, footer: str, environment: str | None,
                        report_url: str | None, one_summary: bool, mark_untouched: bool = False,
                        plans_dir: str | None = None) -> bool:
    """Each stack's plan as that stack's own comment (created, or updated in place), or one summary comment; one
    output line per comment. `mark_untouched`: then the plan comments of the stacks not planned say so;
    `plans_dir`: the saved plans, kept with each stack's pull request lock (kplan.commands.ci_pr). False when a
    saved plan could not be kept."""
    from kplan.ci import comment as c
    from kplan.ci.post import Posted, post_plan
    from kplan.ci.post import mark_untouched as mark
    from kplan.ci.repository import page_name, summary_body

    what, where = _on(ctx)
    found = [c.key_from_plan(c.Kind.PLAN, s.markdown) for s in sections]  # each plan's marker says its stack and env
    env = environment or next((f.env for f in found if f is not None and f.env), None)
    posts: list[tuple[c.Key, str, str | None, str]]
    if one_summary:
        posts = [(c.Key(c.Kind.REPOSITORY, "repository", env),
                  summary_body(sections, summary, report_url=report_url, environment=env), None, "")]
    else:
        posts = []
        for s, marked in zip(sections, found):
            try:
                key = c.Key(c.Kind.PLAN, c.check_key_part("stack", marked.stack if marked else s.label),
                            marked.env if marked else environment)
            except ValueError as e:
                click.echo(f"{s.path}: not posted: {e}", err=True)
                continue
            page = f"{report_url.rstrip('/')}/{page_name(s.label)}" if report_url else None
            posts.append((key, s.markdown, page, s.path))
    if not posts and not mark_untouched:
        click.echo(f"nothing posted on {where}: the plans name no stack ({summary or 'no stacks'})")
    kept: dict = {}
    ok = True
    if plans_dir:
        from kplan.commands.ci_pr import keep_plans

        kept, ok = keep_plans(ctx, [(key, path) for key, _, _, path in posts], plans_dir)
    for key, body, page, _ in posts:
        state = kept.get(key)
        out = post_plan(forge, key, body, footer=f"{state.lines}\n\n{footer}" if state else footer,
                        report_url=page, state=state.state.line() if state else "")
        who = f"stack {key.stack}" if key.kind is c.Kind.PLAN else "the summary"
        _tell(out, f"{out.action.value} {what} {out.id} on {where} for {who}",
              f"{what} {out.id} on {where} already shows {who}")
    if mark_untouched and not one_summary:
        if plans_dir:
            from kplan.commands.ci_pr import release_untouched

            ok = release_untouched(forge, {k for k, _, _, _ in posts}, env) and ok
        for key, out in mark(forge, {k for k, _, _, _ in posts}, env, footer=footer):
            if out.action is Posted.UNCHANGED:
                click.echo(f"{what} {out.id} on {where} already says stack {key.stack} is not planned any more")
            else:
                click.echo(f"updated {what} {out.id} on {where}: stack {key.stack} is not planned any more")
    return ok


def _on(ctx) -> tuple[str, str]:
    """What a plan is posted as, and where: (`comment`, `pull request #12`) or (`note`, `merge request !12`)."""
    if ctx.platform != "gitlab":
        return "comment", f"pull request #{ctx.number}"
    return "note", f"merge request !{ctx.number}"


def _tell(out, done: str, unchanged: str) -> None:
    """The line saying what was posted: `done` and its link, or `unchanged` when nothing needed to change."""
    from kplan.ci.post import Posted

    click.echo(unchanged if out.action is Posted.UNCHANGED else done + (f": {out.url}" if out.url else ""))


@ci_group.command("drift-issue")
@click.argument("plan", default="-", metavar="[PLAN.md]")
@_options
@click.option("--resolved", is_flag=True,
              help="There is no drift: close the stack's open drift issue (with a comment), if any. The stack is "
                   "named by --stack or by the plan's title.")
@click.option("--label", metavar="LABEL", help="Put this label on the issue and look only among issues with it.")
def drift_issue_command(plan, platform, api_url, project, token_var, stack, environment, commit, resolved, label):
    """Open an issue "kplan: drift in stack NAME" with PLAN.md (what `kplan plan --detailed-exitcode` found), or
    update the open one; with --resolved, close it."""
    from kplan.ci import comment as c
    from kplan.ci.forge import Forge
    from kplan.ci.post import Posted, report_drift, resolve_drift

    # --resolved needs no plan when --stack names the stack; else the plan (no changes) names it in its title
    markdown = "" if resolved and stack else _read_plan(plan)
    key = _key(c.Kind.DRIFT, markdown, stack, environment)
    ctx = _context(platform, api_url, project, None, token_var, commit, need_number=False)
    forge = Forge(ctx)
    if resolved:
        out = resolve_drift(forge, key, commit=ctx.commit, label=label)
        click.echo(f"closed drift issue {out.id}: no drift" if out.action is Posted.CLOSED
                   else f"no drift, and no open drift issue for stack {key.stack}")
        return
    out = report_drift(forge, key, markdown, footer=c.footer(forge.name, ctx.commit, ctx.run_url), label=label)
    _tell(out, f"{out.action.value} drift issue {out.id}", f"drift issue {out.id} already shows this plan")


@ci_group.command("apply")
@_forge_options
@click.option("-e", "--env", "--environment", "environment", metavar="ENV",
              help="The environment the plan comments are of (as `kplan ci comment -e`). Default: none.")
@click.option("--approvals", type=click.IntRange(min=0), default=1, show_default=True, envvar="KPLAN_APPROVALS",
              metavar="N", help="How many people other than the author must approve the pull request's head "
                                "(also KPLAN_APPROVALS).")
@click.option("--code-owners", is_flag=True, envvar="KPLAN_CODE_OWNERS",
              help="Each changed file of a stack to apply that has code owners (the base branch's CODEOWNERS, in the "
                   "forge's own syntax) must be approved at the head by one of them (also KPLAN_CODE_OWNERS).")
@click.option("--check", "check_only", is_flag=True,
              help="Only what the forge can tell (no cluster, no secrets): refuse with a comment, or exit 0 and write "
                   "the head and stacks to GITHUB_OUTPUT for the job that applies.")
def apply_command(platform, api_url, project, token_var, environment, approvals, code_owners, check_only):
    """Apply from the pull request, on a `kplan apply [STACK...]` comment (an issue_comment event): exactly the saved
    plans the plan comments show, kept with each stack's pull request lock (`kplan ci comment --plans`), once the
    pull request is approved, mergeable and up to date, by someone who may write to the repository; else a comment
    saying why not and what to do. The outcome is posted as a comment. docs/ci.md."""
    from kplan.ci.forge import Forge
    from kplan.ci.gate import Policy
    from kplan.commands.ci_pr import apply_from_pull_request, asked_by

    path = os.environ.get("GITHUB_EVENT_PATH", "")
    if not path:
        raise KplanError("kplan ci apply runs on a comment: GITHUB_EVENT_PATH is not set")
    asked = asked_by(_read_event(path))
    forge = Forge(_context(platform, api_url, project, None, token_var, None, need_number=True))
    code = apply_from_pull_request(forge, asked, environment, Policy(approvals=approvals, code_owners=code_owners),
                                   check_only=check_only)
    if code:
        raise click.exceptions.Exit(code)


@ci_group.command("release")
@_forge_options
@click.option("--number", type=int, metavar="N",
              help="The pull request number. Default: from GITHUB_EVENT_PATH.")
def release_command(platform, api_url, project, token_var, number):
    """The pull request was merged or closed: release the stack locks it holds (those its plan comments name, on each
    stack's cluster; run in a checkout of its head, for the stacks' files)."""
    from kplan.ci.forge import Forge
    from kplan.commands.ci_pr import release_pull_request

    ctx = _context(platform, api_url, project, number, token_var, None, need_number=True)
    merged = False
    if os.environ.get("GITHUB_EVENT_PATH") and number is None:
        pr = _read_event(os.environ["GITHUB_EVENT_PATH"]).get("pull_request") or {}
        merged = bool(pr.get("merged"))
    code = release_pull_request(Forge(ctx), "merged" if merged else "closed")
    if code:
        raise click.exceptions.Exit(code)


@ci_group.command("stale")
@_forge_options
@click.option("--base", "branch", metavar="BRANCH",
              help="The branch that moved. Default: the pushed branch (GITHUB_REF of a push event).")
def stale_command(platform, api_url, project, token_var, branch):
    """A push to a base branch: the plan comments of the open pull requests into it, made on another commit of it,
    say they are stale (apply from the pull request, docs/ci.md)."""
    from kplan.ci.forge import Forge
    from kplan.commands.ci_pr import mark_stale_base

    ref = os.environ.get("GITHUB_REF", "")
    branch = branch or (ref.removeprefix("refs/heads/") if ref.startswith("refs/heads/") else "")
    if not branch:
        raise click.UsageError("which branch moved? give --base BRANCH (GITHUB_REF names no branch)")
    forge = Forge(_context(platform, api_url, project, None, token_var, None, need_number=False))
    marked = mark_stale_base(forge, branch)
    if not marked:
        click.echo(f"No plan comment of an open pull request into {branch} is stale.")


def _read_plan(plan: str) -> str:
    try:
        text = sys.stdin.read() if plan == "-" else open(plan, encoding="utf-8").read()
    except OSError as e:
        raise KplanError(f"{plan}: cannot read the plan: {e.strerror or e}") from None
    except UnicodeDecodeError:
        raise KplanError(f"{plan}: not a UTF-8 text file (give the output of `kplan plan --format markdown`)") from None
    if not text.strip():
        raise KplanError(f"{'stdin' if plan == '-' else plan}: the plan is empty "
                         "(give the output of `kplan plan --format markdown`)")
    return text


def _key(kind, markdown: str, stack: str | None, environment: str | None):
    from kplan.ci import comment as c

    found = c.key_from_plan(kind, markdown) if markdown else None
    name = stack or (found.stack if found else None)
    if not name:
        raise KplanError("which stack? the plan has no kplan title line; give --stack NAME")
    env = environment if environment is not None else (found.env if found and not stack else None)
    try:
        return c.Key(kind, c.check_key_part("stack", name), c.check_key_part("environment", env) if env else None)
    except ValueError as e:
        raise KplanError(str(e)) from None


def _context(platform, api_url, project, number, token_var, commit, *, need_number: bool):
    from kplan.ci.context import ContextError, Overrides, detect

    try:
        return detect(os.environ, Overrides(platform, api_url, project, number, token_var, commit),
                      need_number=need_number, read_event=_read_event)
    except ContextError as e:
        raise KplanError(str(e)) from None


def _read_event(path: str):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        raise KplanError(f"{path}: cannot read the GitHub event file (GITHUB_EVENT_PATH): {e}") from None
