"""Ctrl-C ends any command with one line, `Interrupted.`, and exit code 130 (docs/install-and-containers.md) —
whatever error the interrupt left behind it: click's Abort, or an error a C extension's call made of it
(confluent-kafka's flush: SystemError "returned NULL without setting an exception"). Without Ctrl-C, such an error
stays an internal error, and an Abort of click's own (a prompt's input ended) stays `Aborted.`."""

from __future__ import annotations

import os
import signal
import time

import click
import pytest

import kplan.cli as cli_mod
from kplan.transport import interrupts


@pytest.fixture(autouse=True)
def _no_ctrl_c_left():
    """A test's Ctrl-C stays its own: left recorded, the next test's run in this process would stop before its first
    step (kplan.transport.interrupts.check)."""
    yield
    interrupts.came = interrupts.ending = False


def run(monkeypatch, capsys, body) -> tuple[int, str]:
    command = click.command("boom")(body)
    monkeypatch.setattr(cli_mod.LazyGroup, "get_command", lambda self, ctx, name: command)
    with pytest.raises(SystemExit) as e:
        cli_mod.main(["boom"])
    return e.value.code, capsys.readouterr().err


def ctrl_c() -> None:
    os.kill(os.getpid(), signal.SIGINT)
    time.sleep(5)  # interrupted at once
    pytest.fail("no KeyboardInterrupt")


def test_ctrl_c_is_interrupted_with_130(monkeypatch, capsys):
    code, err = run(monkeypatch, capsys, ctrl_c)
    assert code == 130 and err.strip().splitlines()[-1] == "Interrupted."


def test_an_error_a_c_extension_made_of_ctrl_c_is_interrupted_too(monkeypatch, capsys):
    def flush_interrupted():
        try:
            ctrl_c()
        except KeyboardInterrupt:
            raise SystemError("<method 'flush' of 'cimpl.Producer' objects> returned NULL without setting an "
                              "exception") from None

    code, err = run(monkeypatch, capsys, flush_interrupted)
    assert code == 130 and err.strip() == "Interrupted." and "internal error" not in err


def test_without_ctrl_c_the_same_error_is_an_internal_error(monkeypatch, capsys):
    def broken():
        raise SystemError("returned NULL without setting an exception")

    code, err = run(monkeypatch, capsys, broken)
    assert code == 1 and "internal error: SystemError" in err


def test_a_prompt_whose_input_ended_is_aborted(monkeypatch, capsys):
    def no_input():
        raise click.exceptions.Abort()

    code, err = run(monkeypatch, capsys, no_input)
    assert code == 1 and err.strip() == "Aborted."


def test_the_handler_is_put_back(monkeypatch, capsys):
    before = signal.getsignal(signal.SIGINT)
    run(monkeypatch, capsys, ctrl_c)
    assert signal.getsignal(signal.SIGINT) is before


def test_ctrl_c_during_a_completed_runs_bookkeeping_finishes_it_and_says_so_with_130(monkeypatch, capsys):
    done = []

    def completed_run():
        interrupts.defer()  # as the executor does once the last step is done
        os.kill(os.getpid(), signal.SIGINT)
        done.append("journal complete, record unmarked, lock released")
        click.echo("Apply complete! Resources: 1 added, 0 changed, 0 destroyed.")

    code, err = run(monkeypatch, capsys, completed_run)
    assert done and code == 130
    assert err.strip().splitlines()[-1].startswith("Interrupted after the last step: the run had completed")


def test_a_second_ctrl_c_during_the_bookkeeping_stops_it(monkeypatch, capsys):
    def completed_run():
        interrupts.defer()
        os.kill(os.getpid(), signal.SIGINT)
        ctrl_c()  # the second one raises

    code, err = run(monkeypatch, capsys, completed_run)
    assert code == 130 and err.strip() == "Interrupted."


def ctrl_c_lands_in(monkeypatch, module, name: str) -> None:
    """SIGINT inside `module.name`'s next call (it is handled there, at the next instruction), once."""
    function = getattr(module, name)
    sent = []

    def interrupted(*args, **kwargs):
        result = function(*args, **kwargs)
        if not sent:
            sent.append(True)
            os.kill(os.getpid(), signal.SIGINT)
        return result

    monkeypatch.setattr(module, name, interrupted)


def run_uninterrupted(monkeypatch, capsys, body) -> tuple[int, str]:
    try:
        return run(monkeypatch, capsys, body)
    except KeyboardInterrupt:  # (not out of the test: pytest would take it for the user's and stop the session)
        pytest.fail("KeyboardInterrupt out of kplan.cli.main: a traceback and a death by SIGINT (-2)")


def test_ctrl_c_as_the_command_ends_says_so_with_130_not_a_traceback(monkeypatch, capsys):
    """/tmp/sigint_hunt.py, loaded: SIGINT as main decided a completed apply's exit code (its deferral just ended)
    raised KeyboardInterrupt there: "Apply complete!", then a traceback and a death by SIGINT (-2)."""
    ctrl_c_lands_in(monkeypatch, interrupts, "undefer")
    code, err = run_uninterrupted(monkeypatch, capsys, lambda: click.echo("Apply complete! Resources: 1 added."))
    assert code == 130 and "Traceback" not in err
    assert err.strip().splitlines()[-1] == "Interrupted after the command had finished (see above)."


def test_ctrl_c_while_an_error_is_told_is_interrupted_with_130_not_a_traceback(monkeypatch, capsys):
    from kplan.errors import KplanError

    def fails():
        raise KplanError("the cluster refused")

    ctrl_c_lands_in(monkeypatch, cli_mod, "scrub")  # as the error's line is written
    code, err = run_uninterrupted(monkeypatch, capsys, fails)
    assert code == 130 and err.strip().splitlines()[-1] == "Interrupted."
