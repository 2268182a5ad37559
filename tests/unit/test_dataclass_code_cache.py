"""Dataclasses' methods compiled once (kplan.start, issue 55): a class made from the kept code is the same class, and
a text seen before is not compiled again."""

from __future__ import annotations

import dataclasses
import sys
import textwrap
import types

from kplan import start

MODULE = textwrap.dedent("""
    from dataclasses import dataclass, field

    @dataclass(frozen=True)
    class Point:
        x: int
        y: int = 2
        tags: tuple = field(default_factory=tuple)
""")


def _load(path, code, monkeypatch):
    module = types.ModuleType("point_module")
    module.__file__ = str(path)
    monkeypatch.setitem(sys.modules, "point_module", module)
    exec(code, module.__dict__)
    return module.Point


def test_a_class_made_from_the_kept_code_is_the_same_and_nothing_is_compiled_twice(tmp_path, monkeypatch):
    path = tmp_path / "point_module.py"
    path.write_text(MODULE)
    code = compile(MODULE, str(path), "exec")
    monkeypatch.setattr(dataclasses, "exec", start._exec, raising=False)
    monkeypatch.setattr(start, "_codes", {})
    monkeypatch.setattr(start, "_changed", set())
    first = _load(path, code, monkeypatch)
    start._save(force=True)
    assert start._cache_of(str(path)).exists()

    compiled: list[str] = []
    real_compile = compile
    monkeypatch.setattr(start, "_codes", {})  # a new process: only the file on disk

    def counting(source, *args, **kwargs):
        compiled.append(source)
        return real_compile(source, *args, **kwargs)

    monkeypatch.setattr("builtins.compile", counting)
    again = _load(path, code, monkeypatch)
    assert compiled == []
    assert again(1) == again(1, 2, ()) and again(1) != again(2) and repr(again(1)) == repr(first(1)).replace(
        first.__qualname__, again.__qualname__)
    assert dataclasses.fields(again) == dataclasses.fields(again) and len(dataclasses.fields(again)) == 3

