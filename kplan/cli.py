"""The `kplan` command line.

Sub-commands are registered lazily (name -> "module:function") so that `kplan --help` and `kplan --version`
stay fast: they must not import confluent-kafka or jinja2. Each command module imports what it needs.
"""

from __future__ import annotations

import gc
import importlib
import os
import re
import signal
import sys
import threading

import click

from kplan import DOCS_URL, __version__
from kplan.errors import KplanError
from kplan.exiting import EXIT_USAGE, exiting, forget_unhandled_interrupt
from kplan.secrets import scrub
from kplan.transport import interrupts

# name -> (module:function, one-line help). Keep the help here so listing commands imports nothing.
COMMANDS: dict[str, tuple[str, str]] = {
    "plan": ("kplan.commands.plan:plan_command", "Show what apply would change (text, markdown or json)."),
    "show": ("kplan.commands.show:show_command", "Render a plan saved with `kplan plan -out FILE`."),
    "validate": ("kplan.commands.validate:validate_command",
                 "Check a stack and report every problem with its file and line."),
    "render": ("kplan.commands.render:render_command",
               "Print the expanded resources of a stack (what CDC and overlays become)."),
    "apply": ("kplan.commands.apply:apply_command", "Apply a stack or a saved plan, rolling back on failure."),
    "destroy": ("kplan.commands.apply:destroy_command", "Delete everything a stack owns (connectors first)."),
    "import": ("kplan.commands.import_:import_command", "Write stack files from the resources a cluster already has."),
    "recover": ("kplan.commands.apply:recover_command", "Roll back or resume an apply that was killed mid-way."),
    "unlock": ("kplan.commands.apply:unlock_command", "Release a stack's apply lock left by a dead run."),
    "schema": ("kplan.commands.schema:schema_command",
               "Print the stack or plan JSON Schema shipped with kplan (for editors and tools), or its path."),
    "status": ("kplan.commands.status:status_command",
               "Show what exists, is missing or drifted, and each connector's state."),
    "watch": ("kplan.commands.watch:watch_command",
              "Plan every stack on an interval and export drift as Prometheus metrics (never applies)."),
    "plugins": ("kplan.commands.plugins:plugins_group",
                "Install the connector plugins a stack declares by Maven coordinates into a worker's plugin path."),
    "operator": ("kplan.commands.operator:operator_command",
                 "Reconcile KafkaStack resources on Kubernetes: plan to status, apply what is approved."),
    "ci": ("kplan.commands.ci:ci_group",
           "Post a plan to a pull/merge request (one comment, updated in place) and keep a drift issue."),
}


# Patterns, compiled by `re` when help is first written (a command's run never writes it)
DOCS_PAGE = r"\bdocs/([a-z0-9-]+)\.md\b"
_KEPT = r"\bdocs/([a-z0-9\u2011]+)\.md\b"  # a page's path as the wrapping keeps it whole


class HelpFormatter(click.HelpFormatter):
    """click's help, with each page of the documentation that the code names by its path in the repository
    (docs/NAME.md) shown as its address on the published site (DOCS_URL + "NAME/"), which an installed kplan's user
    can open. The path is wrapped as one word (its hyphens made non-breaking) and becomes the address as it is
    written out, whole, though the line then runs past the width."""

    def write_text(self, text: str) -> None:
        super().write_text(_whole(text))

    def write_dl(self, rows, col_max: int = 30, col_spacing: int = 2) -> None:
        super().write_dl([(term, _whole(text)) for term, text in rows], col_max, col_spacing)

    def write(self, string: str) -> None:
        super().write(re.sub(_KEPT, lambda m: f"{DOCS_URL}{m.group(1).replace(chr(0x2011), '-')}/", string))


def _whole(text: str) -> str:
    return re.sub(DOCS_PAGE, lambda m: m.group(0).replace("-", "\u2011"), text)


class Context(click.Context):
    formatter_class = HelpFormatter


def _with_help_links(command: click.Command) -> click.Command:
    """A command (and a group's sub-commands) whose help shows the documentation's addresses."""
    command.context_class = Context
    for sub in getattr(command, "commands", {}).values():
        _with_help_links(sub)
    return command


class LazyGroup(click.Group):
    """A click group whose sub-commands are imported only when invoked (or when their own --help is asked)."""

    context_class = Context

    def list_commands(self, ctx):
        return sorted(COMMANDS)

    def get_command(self, ctx, name):
        entry = COMMANDS.get(name)
        if entry is None:
            return None
        module_name, attr = entry[0].split(":")
        return _with_help_links(getattr(importlib.import_module(module_name), attr))

    def format_commands(self, ctx, formatter):
        # The top-level help lists commands from the registry alone, importing none of their modules.
        with formatter.section("Commands"):
            formatter.write_dl([(name, COMMANDS[name][1]) for name in sorted(COMMANDS)])


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]},
             epilog=f"Documentation: {DOCS_URL}")
@click.version_option(__version__, prog_name="kplan")
@click.option("--debug", is_flag=True, envvar="KPLAN_DEBUG", help="Show tracebacks for errors.")
@click.pass_context
def cli(ctx, debug):
    """kplan plans and applies Kafka topics and Kafka Connect connectors declared in stack files.

    Typical use: `kplan validate STACK`, `kplan plan STACK`, `kplan apply STACK`.
    """
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug


GC_YOUNG = 10_000  # allocations between young collections (Python's default: 700)


def main(argv=None) -> None:
    """Console entry point (through kplan.start, which guards the imports before this): one clear error line
    instead of a traceback (unless --debug)."""
    previous = None
    try:
        if threading.current_thread() is threading.main_thread():
            interrupts.ending = False
            previous = signal.signal(signal.SIGINT, interrupts.on_sigint)
            interrupts.came = False
        _main(argv)
    except (SystemExit, KeyboardInterrupt) as e:
        # First (no call before it: a signal pending now is handled after it): from here on Ctrl-C is recorded, not
        # raised, and told below, or once armed by kplan.exiting, so one after "Apply complete!" is never a traceback
        # and a death by SIGINT. A KeyboardInterrupt _main's own handlers did not catch (before them, or in them while
        # an error was told) is Ctrl-C.
        interrupts.ending = True
        late = interrupts.undefer()
        if argv is None:  # the process ends now (the `kplan` command, `python -m kplan`; tests pass their argv)
            # Ctrl-C while the interpreter exits must not turn the outcome decided here into a traceback and a
            # death by SIGINT: it ends the process with 130 once kplan's threads are done (kplan.exiting)
            exiting.arm()
        if isinstance(e, KeyboardInterrupt):
            click.echo("Interrupted.", err=True)
            code = 130
        elif late and e.code in (0, None):  # Ctrl-C came while a completed run was finished
            click.echo("Interrupted after the last step: the run had completed, so its journal, ownership record "
                       "and lock were finished first (see above).", err=True)
            code = 130
        else:
            code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
            # a Ctrl-C lost on its way (kplan.transport.interrupts.check), or one that came as the command ended
            if code == 0 and interrupts.came:
                click.echo("Interrupted after the command had finished (see above).", err=True)
                code = 130
        if argv is None:
            exiting.code = code
            if interrupts.came:
                forget_unhandled_interrupt()
        raise SystemExit(code) from None
    finally:
        interrupts.undefer()
        if argv is None:
            if signal.getsignal(signal.SIGINT) is not exiting:
                exiting.arm()
            # Interpreter shutdown runs a full collection over everything the run built: 40-67 ms of a 0.45 s
            # no-change plan of 1,000 topics, against ~11 ms with everything moved out of the collector's reach
            # first. kplan's clients are closed explicitly before this (records are flushed and acknowledged as
            # written); started by kplan.start, the process ends after the atexit handlers, without the
            # interpreter's teardown (kplan.exiting.exiting.last).
            gc.freeze()
        else:  # in-process (tests): the next call starts afresh, whatever the handler before was (None: set in C)
            if previous is not None:
                signal.signal(signal.SIGINT, previous)
            interrupts.ending = False


def _main(argv) -> None:
    # A run builds many long-lived objects (a stack's specs, the live state) and little cyclic garbage; with the
    # default thresholds the collector scans them over and over: a quarter of a no-change plan's CPU at 2,000
    # topics (bench/plan_scale.py). Collected less often, with the same peak memory there.
    gc.set_threshold(GC_YOUNG, 50, 100)
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args or os.environ.get("KPLAN_DEBUG", "").strip().lower() not in ("", "0", "false", "no")
    try:
        rv = cli.main(args=args, prog_name="kplan", standalone_mode=False)
        # Without standalone mode, click returns ctx.exit(code)'s code instead of exiting.
        sys.exit(rv if isinstance(rv, int) and not isinstance(rv, bool) else 0)
    except click.exceptions.Abort as e:
        # click's word for Ctrl-C; else e.g. a prompt's input ended
        interrupted = interrupts.came or isinstance(e.__cause__, KeyboardInterrupt)
        told, code = ("Interrupted.", 130) if interrupted else ("Aborted.", 1)
    except click.exceptions.Exit as e:
        sys.exit(e.exit_code)
    except click.ClickException as e:
        e.show()
        # a usage error (click's UsageError and its kinds: no such option or command, a bad value, a missing
        # argument) has a code of its own, not click's 2; other ClickExceptions (a file click cannot open) are 1
        sys.exit(EXIT_USAGE if isinstance(e, click.UsageError) else e.exit_code)
    except KplanError as e:
        if debug:
            raise
        told, code = scrub(f"Error: {e}"), e.exit_code
    except KeyboardInterrupt:
        told, code = "Interrupted.", 130
    except Exception as e:  # noqa: BLE001 - the last line of defence against tracebacks
        if debug:
            raise
        told, code = ("Interrupted.", 130) if interrupts.came else (
            scrub(f"Error: internal error: {type(e).__name__}: {e} (run with --debug for the traceback)"), 1)
    click.echo(told, err=True)
    sys.exit(code)


if __name__ == "__main__":  # pragma: no cover
    main()
