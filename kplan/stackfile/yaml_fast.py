"""The fast YAML path: documents built straight from libyaml's events, with raw positions kept for the
`SourceMap` to turn into locations on demand — about five times faster than composing nodes, for the documents
nearly every stack is made of.

It declines (None) anything else — anchors, aliases, merge keys, explicit tags, duplicate or non-text keys,
unusual values, non-mapping or empty documents, YAML errors — and the node-based path (`yaml_nodes`) then handles
and reports it exactly as before. It re-implements PyYAML's implicit tag resolution (`_value`, the same table).
The work is one loop over a document's events (`_root`), calling out only per value and per container.
tests/unit/stackfile/test_yaml_fast_path.py checks that both paths give the same values, types and locations.
"""

from __future__ import annotations

import yaml
from yaml.events import (
    DocumentEndEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
    StreamStartEvent,
)
from yaml.nodes import ScalarNode

from kplan.model.source import PACK_LIMIT, Loc, Positions, SourceMap, pack
from kplan.stackfile.yaml_values import MAX_DEPTH, NOT_SIMPLE, QUOTED_STYLES, Document, QuotedStr, simple_scalar


class _Decline(Exception):
    """The fast path met something it leaves to the node-based loader (which reports or handles it)."""


try:
    from yaml._yaml import CParser as _CParser
except ImportError:  # PyYAML without libyaml: every document takes the node-based path
    _CParser = None

_RESOLVERS = yaml.resolver.Resolver.yaml_implicit_resolvers
_WILDCARD = tuple(_RESOLVERS.get(None, []))
_BY_FIRST = {first: tuple(rs) + _WILDCARD for first, rs in _RESOLVERS.items() if first is not None}


class _Any:
    def __contains__(self, _) -> bool:
        return True


# The first characters some resolver may claim (PyYAML's own table has none for any character: `_WILDCARD`).
_FIRST = frozenset(_BY_FIRST) if not _WILDCARD else _Any()


def _value(value: str, style, scalars: dict):
    """A value scalar as the node path converts it: quoted text as `QuotedStr`, a plain scalar by the tag PyYAML's
    resolver gives it (the same table, looked up the same way; `scalars` caches the repeated ones); _Decline for a
    tag the node path handles."""
    if style in QUOTED_STYLES:
        try:
            return scalars[(style, value)]  # one copy of each: '86400000' repeats a lot
        except KeyError:
            out = scalars[(style, value)] = QuotedStr(value)
            return out
    known = scalars.get(value)  # a plain text seen before that is not itself (numbers, booleans repeat a lot)
    if known is not None:
        return known
    for tag, regexp in _BY_FIRST.get(value[0] if value else "", _WILDCARD):
        if regexp.match(value):
            break
    else:
        return value
    try:
        return scalars[(tag, value)]
    except KeyError:
        built = simple_scalar(ScalarNode(tag, value))
        if built is NOT_SIMPLE:
            raise _Decline from None
        scalars[(tag, value)] = built
        if built is not None:
            scalars[value] = built
        return built


def _opened(line: int, column: int, new, container, parent: Positions, entries: dict, key: str | int | None,
            kl: int, kc: int, packed: bool) -> Positions:
    """Put the container `new` that starts at line, column in the open `container` (under its pending `key`, written
    at kl, kc; or appended to a list): its `Positions`. (The line path's `_Reader` opens its containers here too.)"""
    if container.__class__ is dict:
        if key is None:
            raise _Decline  # a list or mapping as a key
        entries[key] = pack(kl, kc, line, column) if packed else (kl, kc, line, column)
        container[key] = new
        return Positions(parent.file, parent, key, line, column, {})
    at = len(container)
    entries[at] = pack(line, column, line, column) if packed else (line, column, line, column)
    container.append(new)
    return Positions(parent.file, parent, at, line, column, {})


def fast_documents(display: str, text: str, smap: SourceMap) -> list[Document] | None:
    """The documents of `text` by the fast path, or None when it declines (see above). Without aliases a document
    expands to no more values than it has, so the node path's alias-bomb limit is not needed here."""
    if _CParser is None:
        return None
    try:
        return _fast_parse(display, text, smap)
    except (_Decline, yaml.YAMLError, RecursionError):
        return None


def _fast_parse(display: str, text: str, smap: SourceMap) -> list[Document]:
    """Every document of the stream, each a mapping (`_root`); _Decline for anything else."""
    # Anchors, aliases and tags need one of these characters somewhere; without any, no event is checked for them.
    marked = "&" in text or "*" in text or "!" in text
    parser = _CParser(text)
    get_event = parser.get_event
    # (tag, text) -> value, and a plain text -> the value it resolves to: partitions, booleans... repeat a lot
    scalars: dict[object, object] = {}
    keys: dict[str, str] = {}  # one copy of each key text: a hundred thousand topics say `partitions` once
    packed = len(text) < PACK_LIMIT  # then no line or column reaches 2**24: entries packed in one int each
    registered: list[tuple[object, Positions]] = []
    docs: list[Document] = []
    try:
        if get_event().__class__ is not StreamStartEvent:
            raise _Decline
        while True:
            cls = get_event().__class__
            if cls is StreamEndEvent:
                break
            if cls is not DocumentStartEvent:
                raise _Decline
            start = get_event()
            if start.__class__ is not MappingStartEvent or marked and (start.anchor is not None
                                                                       or start.tag is not None):
                raise _Decline  # an empty document, a list or a single value: the node path says what it does
            root = _root(get_event, start, display, marked, registered, scalars, keys, packed)
            if get_event().__class__ is not DocumentEndEvent:
                raise _Decline
            mark = start.start_mark
            docs.append(Document(display, root, Loc(display, mark.line + 1, mark.column + 1, "")))
    finally:
        parser.dispose()
    if not docs:
        raise _Decline
    smap.register_all_positions(registered)
    return docs


def _root(get_event, start, display: str, marked: bool, registered: list, scalars: dict, keys: dict,
          packed: bool) -> dict:
    """The document's root mapping that `start` opens, and everything in it up to its end: one tight loop over
    the events, each container recorded in `registered` with its `Positions` (entries `pack`ed when `packed`).
    The open container's state is in local variables; `frames` keeps its parents'."""
    root: dict = {}
    entries: dict = {}
    positions = Positions(display, None, None, start.start_mark.line, start.start_mark.column, entries)
    registered.append((root, positions))
    intern = keys.setdefault
    container: dict | list = root
    is_dict = True
    key = None  # the open mapping's pending key, and where it was written
    kl = kc = 0
    frames: list[tuple] = []  # (container, positions, entries, is_dict) of each parent
    while True:
        event = get_event()
        cls = event.__class__
        if cls is ScalarEvent:
            if marked and (event.anchor is not None or event.tag is not None):
                raise _Decline
            value = event.value
            if is_dict and key is None:  # a key
                if value == "<<" and event.style not in QUOTED_STYLES:
                    raise _Decline  # a merge key
                if value in container:
                    raise _Decline  # duplicate key: the node path reports both lines
                key = intern(value, value)
                mark = event.start_mark
                kl = mark.line
                kc = mark.column
                continue
            style = event.style
            # a plain text no resolver can claim is itself (most names)
            out = _value(value, style, scalars) if style or not value or value[0] in _FIRST else value
            mark = event.start_mark
            line = mark.line
            column = mark.column
            if is_dict:
                if value == "" and not style:  # an empty value: point at its key
                    line, column = kl, kc
                entries[key] = (kl << 72 | kc << 48 | line << 24 | column if packed  # `pack`, inline
                                else (kl, kc, line, column))
                container[key] = out  # type: ignore[index]
                key = None
            else:
                entries[len(container)] = (line << 72 | column << 48 | line << 24 | column if packed
                                           else (line, column, line, column))
                container.append(out)  # type: ignore[union-attr]
        elif cls is MappingStartEvent or cls is SequenceStartEvent:
            if marked and (event.anchor is not None or event.tag is not None) or len(frames) >= MAX_DEPTH:
                raise _Decline
            new: dict | list = {} if cls is MappingStartEvent else []
            frames.append((container, positions, entries, is_dict))
            mark = event.start_mark
            positions = _opened(mark.line, mark.column, new, container, positions, entries, key, kl, kc, packed)
            registered.append((new, positions))
            container, entries, is_dict, key = new, positions.entries, cls is MappingStartEvent, None
        elif cls is MappingEndEvent or cls is SequenceEndEvent:
            if not frames:
                return root
            container, positions, entries, is_dict = frames.pop()
        else:
            raise _Decline  # an alias
