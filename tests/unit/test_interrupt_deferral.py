"""kplan.transport.interrupts: Ctrl-C held while a write is in flight, deferred while a completed run finishes."""

import os
import signal

import pytest

from kplan.transport import interrupts


@pytest.fixture(autouse=True)
def _python_handles_ctrl_c():
    """Python's own SIGINT handler, whatever this process inherited: a process started in the background by a
    non-interactive shell ignores SIGINT from its start (a clean-clone CI run launched so failed
    test_ctrl_c_inside_held_is_raised_when_the_block_ends: `held` hands a Ctrl-C to the handler it replaced, and
    an ignored one is not raised)."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def _ctrl_c() -> None:
    os.kill(os.getpid(), signal.SIGINT)  # handled at the next bytecode of the main thread


def test_ctrl_c_inside_held_is_raised_when_the_block_ends():
    done = []
    with pytest.raises(KeyboardInterrupt):
        with interrupts.held():
            _ctrl_c()
            done.append("the write's answer")
    assert done == ["the write's answer"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_a_second_ctrl_c_inside_held_stops_at_once():
    done = []
    with pytest.raises(KeyboardInterrupt):
        with interrupts.held():
            _ctrl_c()
            _ctrl_c()
            done.append("not reached")
    assert done == []


def test_defer_records_ctrl_c_and_undefer_reports_it_without_raising():
    interrupts.defer()
    try:
        _ctrl_c()
        finished = "the bookkeeping"
    finally:
        came = interrupts.undefer()
    assert came and finished
    assert not interrupts.undefer()
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_held_inside_defer_leaves_the_interrupt_to_the_deferral():
    interrupts.defer()
    try:
        with interrupts.held():
            _ctrl_c()
    finally:
        came = interrupts.undefer()
    assert came
