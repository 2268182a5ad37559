"""Where a test may break or stall an apply run, passed in rather than read from the environment.

The executor calls these hooks around every step; the default, `NO_FAULTS`, does nothing, and nothing in kplan
ever does more. Tests subclass `Faults` to fail a step after it ran (to prove the rollback) or to pause a run at
a point so that it can be killed there (to prove recovery):

    step_started(index)    the journal says the step started; it has written nothing yet
    in_step(index)         the step's writes are done, its journal entry still says "started"
    after_step_ran(index)  right after: raising here fails the step (it is rolled back with the others)
    after_step(index)      the journal says the step is done

`index` is the step's 0-based index (its journal entry's "index"; the progress line shows index + 1).

and at every durable transition of kplan's own state, `at(point)` right after it happened:

    "lock-taken"         the stack's lock topic was created and its holder written
    "journal-written"    a journal write (local file and, when reachable, the cluster copy) returned
    "ownership-written"  the ownership record (with or without a run marker) was written
    "lock-releasing"     right before the lock is released

A test counts the calls to kill the process at the N-th transition of any run, recovery included (see
tests/integration/faulty_kplan.py `--kill-at`).

Tests that run the real CLI in another process install their faults with `install()` before calling
`kplan.cli.main` (see tests/integration/faulty_kplan.py). No option, command or environment variable reaches
`install()`: only code that imports this module and calls it.
"""

from __future__ import annotations


class Faults:
    """No faults: every hook returns at once."""

    def step_started(self, index: int) -> None:
        pass

    def in_step(self, index: int) -> None:
        pass

    def after_step_ran(self, index: int) -> None:
        pass

    def after_step(self, index: int) -> None:
        pass

    def at(self, point: str) -> None:
        pass


NO_FAULTS = Faults()
_installed: Faults = NO_FAULTS


def install(faults: Faults | None) -> None:
    """Test code only: the faults every later apply run of this process uses (None: none again)."""
    global _installed
    _installed = NO_FAULTS if faults is None else faults


POINTS = ("lock-taken", "journal-written", "ownership-written", "lock-releasing")


def at(point: str) -> None:
    """Product code: a durable transition of kplan's state just happened (see the module docstring)."""
    _installed.at(point)


def installed() -> Faults:
    """The faults a test installed in this process, else `NO_FAULTS`."""
    return _installed
