"""Running a secret command (`${secret:cmd:NAME}`, `secret_commands:`): vault, aws, op, secret-tool, ...

Each configured command runs at most once per process (one kplan run), however many references use it and
however often the run resolves them (the early cluster read resolves the cluster's references before the whole
stack's). No shell unless the stack asks for one; stdin is empty; stdout (its trailing newline removed) is the
value; the command is killed at its timeout, with any child in its process group. stderr is discarded and a
failure is told by the command's name, where it is declared and its exit status, never its output: either may
hold the secret.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
from typing import Mapping

from kplan.errors import KplanError
from kplan.model.desired import SecretCommand

_RAN: dict[tuple, tuple[str | None, str | None]] = {}  # the command -> (its value, or why it has none)
_LOCK = threading.Lock()  # one run per command, even when two threads resolve at once


def run_secret_command(command: SecretCommand, environ: Mapping[str, str]) -> str:
    """The command's output; KplanError (one line, without the output) when it cannot give one."""
    key = (command.name, command.argv, command.shell, command.timeout_s)
    with _LOCK:
        if key not in _RAN:
            _RAN[key] = _run(command, environ)
        value, problem = _RAN[key]
    if problem is not None or value is None:
        raise KplanError(problem or f"secret command {command.name} gave no value")
    return value


def _run(command: SecretCommand, environ: Mapping[str, str]) -> tuple[str | None, str | None]:
    what = f"secret command {command.name}" + (f" ({command.origin})" if command.origin else "")
    hidden = "its output is not shown: it may hold the secret"
    env = None if environ is os.environ else {**os.environ, **environ}
    args: str | list[str] = command.argv[0] if command.shell else list(command.argv)
    try:
        proc = subprocess.Popen(args, shell=command.shell, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, env=env, start_new_session=True)
    except OSError as e:
        why = (": no such program (is it installed and on PATH?)" if isinstance(e, FileNotFoundError) else
               ": permission denied (is it executable?)" if isinstance(e, PermissionError) else f" ({e.strerror})")
        return None, f"{what}: cannot run {command.argv[0]!r}{why}"
    try:
        out, _ = proc.communicate(timeout=command.timeout_s)
    except subprocess.TimeoutExpired:
        _kill(proc)
        return None, (f"{what} did not finish within {command.timeout_s:g} s and was stopped (a longer "
                      f"secret_commands.{command.name}.timeout if it needs more)")
    code = proc.returncode
    if code < 0:
        return None, f"{what} was killed by signal {-code} ({hidden})"
    if code != 0:
        hint = "; 127: the shell did not find the program" if command.shell and code == 127 else ""
        return None, f"{what} exited with status {code} ({hidden}{hint})"
    try:
        value = out.decode("utf-8").rstrip("\r\n")
    except UnicodeDecodeError:
        return None, f"{what} printed something that is not UTF-8 text ({hidden})"
    if not value:
        return None, f"{what} printed nothing (exit status 0): no secret to use"
    return value, None


def _kill(proc: subprocess.Popen) -> None:
    """Stop the command and whatever it started (its own process group), and reap it."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except OSError:
        proc.kill()
    try:
        proc.communicate(timeout=2)
    except subprocess.TimeoutExpired:  # a descendant that left the group still holds stdout: leave it
        if proc.stdout is not None:
            proc.stdout.close()
        proc.wait(timeout=2)
