"""The `kplan` command's first instructions (the console script's entry, and `python -m kplan`'s).

Ctrl-C must end kplan with "Interrupted." and exit 130 from its first instruction on. Importing the command line
(click, kplan's modules) takes tens of milliseconds, and a KeyboardInterrupt raised inside those imports, outside
any handler of kplan's, would end the interpreter with its own traceback and a death by SIGINT. So the first
thing done is to install a handler that, until `kplan.cli.main` installs its own, ends the process at once: nothing
has been done yet (no lock, no request, no output). `_signal` is the built-in module behind `signal` (which
imports enum: a few milliseconds more before the handler would be in place).
"""

import _signal


def _before_main(signum, frame) -> None:
    import os

    os.write(2, b"Interrupted.\n")
    os._exit(130)


# -- Dataclasses' methods, compiled once -------------------------------------------------------------------------
# `@dataclass` writes each class's `__init__`, `__eq__`, `__repr__`, ... as source text and compiles it when the
# class is made: at every start, ~100 classes and ~600 functions for `kplan validate`, a quarter of its CPU. The text
# is the same every time, so its compiled code is kept beside the module's bytecode (`__pycache__/<module>.
# dataclasses.<tag>.marshal`, written as Python writes its own: not under PYTHONDONTWRITEBYTECODE, silently not where
# it cannot write; `make venv` writes them all: `warm_dataclasses`) and reused: the dataclasses module's `exec` is
# given the compiled code for a text it has seen. The same functions are made from the same code, in the same
# namespaces.

_codes: dict = {}  # a module's file -> {source text: code}
_changed: set = set()
_warming = False  # warm_dataclasses(): every module's code written anew (the texts of changed classes left out)


def _cache_of(module_file: str):
    import sys
    from pathlib import Path

    path = Path(module_file)
    return path.parent / "__pycache__" / f"{path.stem}.dataclasses.{sys.implementation.cache_tag}.marshal"


def _known(module_file: str) -> dict:
    import marshal

    codes = _codes.get(module_file)
    if codes is None:
        codes = {}
        if not _warming:
            try:
                loaded = marshal.loads(_cache_of(module_file).read_bytes())
                codes = loaded if isinstance(loaded, dict) else {}
            except (OSError, EOFError, ValueError, TypeError):
                pass
        _codes[module_file] = codes
    return codes


def _exec(source, globals=None, locals=None):  # noqa: A002 - the builtin's own parameters
    import builtins

    module_file = (globals or {}).get("__file__")
    if isinstance(source, str) and isinstance(module_file, str) and module_file.endswith(".py"):
        codes = _known(module_file)
        code = codes.get(source)
        if code is None:
            code = codes[source] = compile(source, "<string>", "exec")
            if not _changed:  # registered after exiting.last (which ends the process), so it runs before it
                import atexit

                atexit.register(_save)
            _changed.add(module_file)
        source = code
    return builtins.exec(source, globals, locals)


def _save(force: bool = False) -> None:
    import marshal
    import os
    import sys

    if sys.dont_write_bytecode and not force:
        return
    for module_file in sorted(_changed):
        target = _cache_of(module_file)
        try:
            target.parent.mkdir(exist_ok=True)
            temporary = target.with_name(f"{target.name}.{os.getpid()}")
            temporary.write_bytes(marshal.dumps(_codes[module_file]))
            os.replace(temporary, target)
        except OSError:
            pass
    _changed.clear()


def _cached_dataclasses() -> None:
    import dataclasses

    dataclasses.exec = _exec  # type: ignore[attr-defined]  # the module's global shadows the builtin it calls


def warm_dataclasses() -> None:
    """Compile every dataclass of kplan's and keep the code, whatever PYTHONDONTWRITEBYTECODE says (`make venv`, as
    it compiles kplan's bytecode ahead)."""
    import importlib
    import pkgutil

    import kplan

    global _warming
    _warming = True
    _cached_dataclasses()
    for module in pkgutil.walk_packages(kplan.__path__, "kplan."):
        if not module.name.endswith("__main__"):
            importlib.import_module(module.name)
    _save(force=True)
    _warming = False


def main(argv=None) -> None:
    _signal.signal(_signal.SIGINT, _before_main)
    import atexit  # built in

    from kplan.exiting import exiting

    atexit.register(exiting.last)
    try:
        _cached_dataclasses()
        from kplan.cli import main as run
    except KeyboardInterrupt:  # a SIGINT that came before the handler above was in place
        _before_main(_signal.SIGINT, None)
    run(argv)
