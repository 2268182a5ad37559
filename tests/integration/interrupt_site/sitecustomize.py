"""Loaded by the Python of a `kplan` that tests/integration/test_interrupt.py starts (on its PYTHONPATH): writes one
byte to the file descriptor INTERRUPT_TEST_FD as soon as kplan has replaced Python's own SIGINT handler — kplan's
first instruction (kplan.start) — so that the test sends Ctrl-C at moments counted from there, not from the
process's start (a SIGINT before kplan runs is Python's to handle, not kplan's). An audit hook sees every import,
file opening and compilation, so it notices the change at the next one."""

import _signal
import os
import sys

_fd = int(os.environ.get("INTERRUPT_TEST_FD", "-1"))
_python_handler = _signal.getsignal(_signal.SIGINT)


def _hook(event, args):
    global _fd
    if _fd >= 0 and _signal.getsignal(_signal.SIGINT) is not _python_handler:
        fd, _fd = _fd, -1
        os.write(fd, b"K")
        os.close(fd)


if _fd >= 0:
    sys.addaudithook(_hook)
