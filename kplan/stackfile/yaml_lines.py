"""The line path: a plain block-style document read line by line (one regular expression over the text gives every
line's parts) — about a third less CPU than libyaml's events (`yaml_fast`), which make three Python objects each,
for the files a big stack is made of: `key: value` lines, `- ` items, nesting by indentation, plain or simply
quoted values, full-line comments.

It accepts only a strict subset of YAML and declines (None) anything else — flow collections other than `[]` and
`{}`, multi-line or block scalars, escapes, anchors, tags, inline comments, tabs, trailing blanks, several
documents, duplicate keys, an indentation it does not expect — and the events path then reads the file exactly as
before. Within the subset it gives what the events path gives: the same values (resolved by `yaml_fast._value`),
the same containers and the same raw positions (libyaml's marks: a block mapping starts at its first key, a
sequence at its first `-`, an empty value is located at its key).
tests/unit/stackfile/test_yaml_lines.py checks both on every YAML file of the project and on generated variants.
"""

from __future__ import annotations

import re

from kplan.model.source import PACK_LIMIT, Loc, Positions, SourceMap
from kplan.stackfile.yaml_fast import _FIRST, _Decline, _opened, _value
from kplan.stackfile.yaml_values import MAX_DEPTH, Document

# Every line, in order (findall over the text): indentation, an optional `- ` (and more blanks), then `key:` with
# blanks and a value, or `key:` alone, or a bare value; else a comment or blank line (every group empty), else
# `other` (declined).
_LINES = re.compile(r"^(?:( *+)(- +)?(?:([A-Za-z0-9_][A-Za-z0-9_./-]*+):(?:( +)(.+))?|([^ #\n].*))| *#.*|(.*))$",
                    re.MULTILINE)  # (possessive: a line's blanks and key are never given back)
# What libyaml reads differently from a split on "\n" (other line breaks, tabs) or refuses (control characters,
# surrogates, non-characters, a byte-order mark inside the text).
_UNUSUAL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff\ud800-\udfff\ufffe\uffff]")
# The first characters of a plain value that YAML reads as something else (or that this path leaves to libyaml).
_NOT_PLAIN_FIRST = frozenset("-?:,[]{}#&*!|>'\"%@`")
_MISSING = object()
_MAX_KEY = 1000  # libyaml refuses a key longer than 1024 characters
_NUMBER_SECOND = frozenset("0123456789.")  # a negative number: a plain value may start with "-" then these
# n * _TWICE: n as both the key line and the value line of a packed entry (`pack`): one operation instead of three,
# for the entries of a line that holds its key and value
_TWICE = 1 << 72 | 1 << 24


def line_documents(display: str, text: str, smap: SourceMap) -> list[Document] | None:
    """The one document of `text` by the line path, or None when it declines (see above)."""
    try:
        return _parse(display, text, smap)
    except (_Decline, RecursionError):
        return None


def _scalar(raw: str, scalars: dict):
    """(value, is it an empty plain value) of a value's text, as the events path converts it; _Decline for text
    outside the subset. `[]` and `{}` are new empty containers."""
    first = raw[0]
    if first == "'" or first == '"':
        inner = raw[1:-1]
        if len(raw) < 2 or raw[-1] != first or first in inner or (first == '"' and "\\" in inner):
            raise _Decline
        return _value(inner, first, scalars)
    if raw == "[]":
        return []
    if raw == "{}":
        return {}
    if first in _NOT_PLAIN_FIRST and not (first == "-" and raw[1:2] in _NUMBER_SECOND):
        raise _Decline
    if " #" in raw or ": " in raw or raw[-1] == ":":
        raise _Decline
    return _value(raw, "", scalars) if first in _FIRST else raw


def _parse(display: str, text: str, smap: SourceMap) -> list[Document]:
    """The document, one line after the other: the common line (`key: value` in the open mapping) here, with the
    open mapping in local variables; any other line by the `_Reader`, which keeps the structure."""
    if _UNUSUAL.search(text) is not None or " \n" in text or text.endswith(" "):
        raise _Decline  # (a trailing blank: libyaml drops it from a plain value)
    r = _Reader(display, len(text) < PACK_LIMIT)
    plain: dict[str, object] = {}  # a value's text -> its value, for the texts that are not containers
    keys: dict[str, str] = {}
    intern = keys.setdefault  # one copy of each key text
    packed = r.packed
    container, entries, indent, pending = r.container, r.entries, -1, None  # -1: no line is common before the first
    indent_bits = 0  # indent << 48, for `pack`
    for number, (blanks, dash, key, gap, raw, bare, other) in enumerate(_LINES.findall(text)):
        if key and not dash and pending is None and len(blanks) == indent:  # `indent` is -1 unless in a mapping
            if key in container or len(key) > _MAX_KEY:
                raise _Decline  # a duplicate key: the node path reports both lines
            key = intern(key, key)
            if not raw:
                pending = (key, number, indent)
                continue
            value = plain.get(raw, _MISSING)
            vc = indent + len(key) + 1 + len(gap)
            if value is _MISSING:
                value = r.value(raw, plain, key, number, vc)
            entries[key] = number * _TWICE | indent_bits | vc if packed else (number, indent, number, vc)
            container[key] = value  # type: ignore[call-overload]
        elif key or bare:
            r.line(number, len(blanks), dash, key and intern(key, key), gap, raw, bare, pending, plain)
            container, entries, pending = r.container, r.entries, r.pending
            indent = r.indent if r.is_dict and r.started else -1
            indent_bits = indent << 48 if indent > 0 else 0
        elif other:
            raise _Decline
        # else a comment or a blank line
    return r.end(pending, smap)


class _Reader:
    """The structure of the document being read: the open container, its parents (`frames`), a `key:` whose
    value is on the next lines (`pending`)."""

    def __init__(self, display: str, packed: bool) -> None:
        self.display, self.packed = display, packed
        self.scalars: dict[object, object] = {}
        self.registered: list[tuple[object, Positions]] = []
        self.root: dict = {}
        self.container: dict | list = self.root
        self.entries: dict = {}
        self.positions = Positions(display, None, None, 0, 0, self.entries)
        self.is_dict = True
        self.indent = 0  # the open container's column
        self.frames: list[tuple] = []  # (container, positions, entries, is_dict, indent) of each parent
        self.pending: tuple[str, int, int] | None = None  # (key, key line, key column)
        self.started = self.marker = False

    def _entry(self, kl: int, kc: int, line: int, column: int) -> int | tuple[int, int, int, int]:
        return kl << 72 | kc << 48 | line << 24 | column if self.packed else (kl, kc, line, column)

    def value(self, raw: str, plain: dict, key: str, number: int, column: int) -> object:
        """A value's text as the events path converts it (remembered in `plain` unless a new container)."""
        value = _scalar(raw, self.scalars)
        if value.__class__ is list or value.__class__ is dict:
            self.registered.append((value, Positions(self.display, self.positions, key, number, column, {})))
        else:
            plain[raw] = value
        return value

    def line(self, number: int, column: int, dash: str, key: str, gap: str, raw: str, bare: str,
             pending: tuple[str, int, int] | None, plain: dict) -> None:
        """Any line but the common one: a list item, the first key of a block, the end of blocks..."""
        if bare == "---" and not dash and not self.started and not self.marker:
            self.marker = True  # an explicit start of the (one) document
            return
        if not dash and not key:
            raise _Decline  # a bare value outside a list: a multi-line value, a document marker, a directive...
        if not self.started:
            if column or dash:
                raise _Decline  # the document is a list, or indented
            self.positions.line = number  # the root mapping starts at its first key
            self.registered.append((self.root, self.positions))
            self.started = True
        self.pending = None
        if pending is not None:
            self._pending(pending, number, column, dash)
        while self.indent > column or not self.is_dict and self.indent == column and not dash:
            if not self.frames:
                raise _Decline
            self.container, self.positions, self.entries, self.is_dict, self.indent = self.frames.pop()
        if self.indent != column or self.is_dict == bool(dash):
            raise _Decline  # a key where a list item belongs, or the other way round, or an odd indentation
        kc = column
        if dash:  # a list item: a value, or a mapping that starts on this line
            kc = column + len(dash)
            if not key:
                self._item(bare, number, kc)
                return
            self._open({}, len(self.container), number, kc, number, kc)
        if key in self.container or len(key) > _MAX_KEY:
            raise _Decline
        if not raw:
            self.pending = (key, number, kc)
            return
        vc = kc + len(key) + 1 + len(gap)
        self.entries[key] = number * _TWICE | kc << 48 | vc if self.packed else (number, kc, number, vc)
        value = plain.get(raw, _MISSING)  # as on the common line: a text already read (a config's first value)
        if value is _MISSING:
            value = self.value(raw, plain, key, number, vc)
        self.container[key] = value  # type: ignore[call-overload]

    def _pending(self, pending: tuple[str, int, int], number: int, column: int, dash: str) -> None:
        """The value of the open `key:`: a block that starts on this line, or empty (null, located at its key)."""
        key, kl, kc = pending
        if column > self.indent or column == self.indent and dash:
            self._open([] if dash else {}, key, kl, kc, number, column)
        else:
            self.entries[key] = self._entry(kl, kc, kl, kc)
            self.container[key] = _value("", "", self.scalars)  # type: ignore[call-overload]

    def _item(self, bare: str, number: int, column: int) -> None:
        value = _scalar(bare, self.scalars)
        if value.__class__ is list or value.__class__ is dict:
            raise _Decline
        self.entries[len(self.container)] = self._entry(number, column, number, column)
        self.container.append(value)  # type: ignore[union-attr]

    def _open(self, new: dict | list, key: str | int, kl: int, kc: int, line: int, column: int) -> None:
        """Open the container `new` under `key` of the open one (written at kl, kc; `new` starts at line, column)."""
        if len(self.frames) >= MAX_DEPTH:
            raise _Decline
        self.frames.append((self.container, self.positions, self.entries, self.is_dict, self.indent))
        self.positions = _opened(line, column, new, self.container, self.positions, self.entries, key, kl, kc,
                                 self.packed)
        self.registered.append((new, self.positions))
        self.container, self.entries, self.indent = new, self.positions.entries, column
        self.is_dict = new.__class__ is dict

    def end(self, pending: tuple[str, int, int] | None, smap: SourceMap) -> list[Document]:
        if not self.started:
            raise _Decline
        if pending is not None:  # the last line's `key:`: an empty value (no line below it, column -1)
            self._pending(pending, 0, -1, "")
        smap.register_all_positions(self.registered)
        return [Document(self.display, self.root, Loc(self.display, self.registered[0][1].line + 1, 1, ""))]
