"""How kplan ends once the command's outcome is decided: Ctrl-C then ends the process with 130 and a line saying
the command had finished (kplan.start arms it before the command line is imported, kplan.cli.main when the outcome is
decided). Built-in modules only: it is imported before anything else of kplan's."""

import _signal


class _Exiting:
    """Ctrl-C once the command's outcome is decided and printed (the interpreter exits): the process ends with 130
    and a line that says the command had finished. Not before the interpreter has waited for kplan's other
    threads (a lock thread still releasing a lock it took), unless a second Ctrl-C forces it. `arm` installs it."""

    came = 0
    threads_done = False  # the interpreter has joined every non-daemon thread (atexit handlers run after that)
    code: int | None = None  # the command's exit code, once decided (kplan.cli.main)

    def arm(self) -> None:
        import atexit

        _signal.signal(_signal.SIGINT, self)
        atexit.register(self._threads_joined)

    def __call__(self, signum, frame) -> None:
        self.came += 1
        if self.came > 1 or self.threads_done:
            self._end()

    def _threads_joined(self) -> None:
        self.threads_done = True
        if self.came:
            self._end()

    def last(self) -> None:
        """The last atexit handler (registered first): every thread of kplan's joined, every other handler run.
        The process ends here with the command's code, without the interpreter's teardown: a SIGINT during the
        teardown (once Python has put the default action back) killed the process (-2, seen by test_interrupt), and
        the teardown frees the librdkafka clients a daemon thread may still use (an abandoned read of the cluster:
        one `kplan plan` that stopped at a policy error ended by SIGSEGV). kplan closes its clients and files
        itself, so nothing is left for the teardown to flush."""
        if self.code is not None:
            _flush()
            import os

            os._exit(self.code)

    @staticmethod
    def _end() -> None:
        import os

        _flush()
        os.write(2, b"Interrupted after the command had finished (see above).\n")
        os._exit(130)


def _flush() -> None:
    import sys

    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError, AttributeError):
            pass


def forget_unhandled_interrupt() -> None:
    """Python 3.11 marks a KeyboardInterrupt raised inside `exec` (dataclasses build their methods so) as unhandled
    even when kplan handled it, and then ends the process by SIGINT (-2) instead of with kplan's exit code: clear
    that mark once kplan has handled the interrupt."""
    try:
        import ctypes

        ctypes.c_int.in_dll(ctypes.pythonapi, "_Py_UnhandledKeyboardInterrupt").value = 0
    except (ImportError, ValueError, AttributeError, OSError):
        pass


exiting = _Exiting()
