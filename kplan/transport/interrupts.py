"""Ctrl-C where kplan must not stop half-way: it waits until what is under way is done, and a second Ctrl-C stops
at once (forced).

Two uses:
- `held()`: a write request in flight. Interrupted while awaiting its answer, kplan could not know whether the
  system did it, and the system may do it after a rollback looked (a connector created after its undo found none).
  The interrupt is raised once the answer is in (at most the request's timeout).
- `defer()` ... `undefer()`: the run's bookkeeping once its last step is done (journal complete, record unmarked,
  lock released, clients closed). The run completed: it is finished, and the command then says that Ctrl-C came
  after the apply completed (`kplan.cli`).

Only the main thread receives SIGINT (Python runs signal handlers there), so elsewhere both do nothing.
"""

from __future__ import annotations

import signal
import threading
from contextlib import contextmanager
from typing import Iterator

# Whether Ctrl-C came during the command (kplan.cli installs `on_sigint`). A KeyboardInterrupt raised inside a C
# extension's call can come out as another error (confluent-kafka's `flush` answers SystemError "returned NULL
# without setting an exception"; Python wraps one raised while a class is created at import in a RuntimeError): once
# Ctrl-C came, the run ends as interrupted whatever the error it left, not as an internal error or a failed step.
came = False
# Whether the command has ended (kplan.cli.main decides its exit code): Ctrl-C is then only recorded, and told there.
ending = False
RETRY_S = 0.01


def on_sigint(signum, frame) -> None:
    """kplan's SIGINT handler: KeyboardInterrupt, but never inside the import system's own bookkeeping (its module
    locks: raised there, it left the global import lock held and the lock thread's next import waiting forever, seen
    by test_interrupt): then the signal is sent again a moment later, to land in the code being imported or after.
    Once the command has ended (`ending`) it only records that Ctrl-C came: kplan.cli.main says so."""
    global came
    came = True
    if ending:
        return
    if frame is not None and frame.f_code.co_filename.startswith("<frozen importlib"):
        import os

        threading.Timer(RETRY_S, os.kill, (os.getpid(), signal.SIGINT)).start()
        return
    raise KeyboardInterrupt


def check() -> None:
    """Raise the Ctrl-C that came but was lost: a KeyboardInterrupt raised inside a callback a C extension runs
    (librdkafka's, through confluent-kafka) can be swallowed there, and the run would go on as if none had come
    (a loaded CI run of test_interrupt: SIGINT before the first step, then every step applied, exit 0). The
    executor asks before each step; once every step is done (`defer`) it is the command's to report."""
    if came and _tail is None and _main_thread():
        raise KeyboardInterrupt


def _main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


class _Deferral:
    """SIGINT recorded instead of raised (a second one raises, through the handler it replaced)."""

    def __init__(self) -> None:
        self.came = 0
        self.previous = signal.getsignal(signal.SIGINT)

    def handler(self, signum, frame) -> None:
        self.came += 1
        if self.came > 1:  # forced: stop now
            _deliver(self.previous, signum, frame)

    def listen(self) -> None:
        signal.signal(signal.SIGINT, self.handler)

    def restore(self) -> None:
        signal.signal(signal.SIGINT, self.previous)


def _deliver(handler, signum=signal.SIGINT, frame=None) -> None:
    """What `handler` (the one a deferral replaced) does with a SIGINT: kplan's and Python's raise
    KeyboardInterrupt."""
    if callable(handler):
        handler(signum, frame)
    elif handler != signal.SIG_IGN:
        raise KeyboardInterrupt


@contextmanager
def held() -> Iterator[None]:
    """Ctrl-C during the block is raised when the block ends (a second one at once)."""
    if not _main_thread():
        yield
        return
    deferral = _Deferral()
    deferral.listen()
    try:
        yield
    finally:
        deferral.restore()
        if deferral.came == 1:
            _deliver(deferral.previous)


_tail: _Deferral | None = None


def defer() -> None:
    """From now on Ctrl-C only records that it came (a second one raises), until `undefer`. Idempotent."""
    global _tail
    if _tail is None and _main_thread():
        _tail = _Deferral()
        _tail.listen()


def undefer() -> bool:
    """End `defer`: whether Ctrl-C came meanwhile (and was not raised: that is the caller's to report)."""
    global _tail
    tail, _tail = _tail, None
    if tail is None:
        return False
    tail.restore()
    return tail.came == 1
