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
from yaml.constructor import SafeConstructor
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

from kplan.model.source import Loc, Positions, SourceMap
from kplan.stackfile.yaml_values import (
    MAX_DEPTH,
    QUOTED_STYLES,
    SIMPLE_SCALARS,
    STR_TAG,
    TIMESTAMP_TAG,
    Document,
    QuotedStr,
)


class _Decline(Exception):
    """The fast path met something it leaves to the node-based loader (which reports or handles it)."""


try:
    from yaml._yaml import CParser as _CParser
except ImportError:  # PyYAML without libyaml: every document takes the node-based path
    _CParser = None

_RESOLVERS = yaml.resolver.Resolver.yaml_implicit_resolvers
_WILDCARD = tuple(_RESOLVERS.get(None, []))
_BY_FIRST = {first: tuple(rs) + _WILDCARD for first, rs in _RESOLVERS.items() if first is not None}
_CONSTRUCTOR = SafeConstructor()  # its int, bool, null and float constructors keep no state


def _value(value: str, style, scalars: dict):
    """A value scalar as the node path converts it: quoted text as `QuotedStr`, a plain scalar by the tag PyYAML's
    resolver gives it (the same table, looked up the same way; `scalars` caches the repeated ones); _Decline for a
    tag the node path handles."""
    if style in QUOTED_STYLES:
        return QuotedStr(value)
    for tag, regexp in _BY_FIRST.get(value[0] if value else "", _WILDCARD):
        if regexp.match(value):
            break
    else:
        return value
    if tag == STR_TAG or tag == TIMESTAMP_TAG:  # dates stay text: nothing in a stack is a date
        return value
    if tag not in SIMPLE_SCALARS:
        raise _Decline
    try:
        return scalars[(tag, value)]
    except KeyError:
        out = scalars[(tag, value)] = SafeConstructor.yaml_constructors[tag](_CONSTRUCTOR, ScalarNode(tag, value))
        return out


def _child_path(frame: list, new, line: int, column: int) -> str:
    """Put the container `new` (starting at line, column) in the open container `frame`; its path."""
    container = frame[0]
    if container.__class__ is dict:
        key = frame[3]
        if key is None:
            raise _Decline  # a list or mapping as a key
        kl, kc = frame[4]
        frame[2][key] = (kl, kc, line, column)
        container[key] = new
        frame[3] = None
        return f"{frame[1]}.{key}" if frame[1] else key
    i = len(container)
    frame[2][i] = (line, column, line, column)
    container.append(new)
    return f"{frame[1]}[{i}]"


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
    scalars: dict[tuple[str, str], object] = {}  # (tag, text) -> value: partitions, booleans... repeat a lot
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
            root = _root(get_event, start, display, marked, registered, scalars)
            if get_event().__class__ is not DocumentEndEvent:
                raise _Decline
            mark = start.start_mark
            docs.append(Document(display, len(docs), root, Loc(display, mark.line + 1, mark.column + 1, "")))
    finally:
        parser.dispose()
    if not docs:
        raise _Decline
    for obj, positions in registered:
        smap.register_positions(obj, positions)
    return docs


def _root(get_event, start, display: str, marked: bool, registered: list, scalars: dict) -> dict:
    """The document's root mapping that `start` opens, and everything in it up to its end: one tight loop over
    the events, each container recorded in `registered` with its `Positions`."""
    root: dict = {}
    entries: dict = {}
    registered.append((root, Positions(display, "", start.start_mark.line, start.start_mark.column, entries)))
    # One frame per open container: [container, path, entries, pending key or None, its (line, column)]
    frame: list = [root, "", entries, None, None]
    frames: list[list] = []
    while True:
        event = get_event()
        cls = event.__class__
        if cls is ScalarEvent:
            if marked and (event.anchor is not None or event.tag is not None):
                raise _Decline
            mark = event.start_mark
            value = event.value
            container = frame[0]
            if container.__class__ is dict and frame[3] is None:  # a key
                if value == "<<" and event.style not in QUOTED_STYLES:
                    raise _Decline  # a merge key
                if value in container:
                    raise _Decline  # duplicate key: the node path reports both lines
                frame[3] = value
                frame[4] = (mark.line, mark.column)
                continue
            style = event.style
            out = _value(value, style, scalars)
            if container.__class__ is dict:
                key = frame[3]
                kl, kc = frame[4]
                if value == "" and not style:  # an empty value: point at its key
                    frame[2][key] = (kl, kc, kl, kc)
                else:
                    frame[2][key] = (kl, kc, mark.line, mark.column)
                container[key] = out
                frame[3] = None
            else:
                frame[2][len(container)] = (mark.line, mark.column, mark.line, mark.column)
                container.append(out)
        elif cls is MappingStartEvent or cls is SequenceStartEvent:
            if marked and (event.anchor is not None or event.tag is not None):
                raise _Decline
            mark = event.start_mark
            new: dict | list = {} if cls is MappingStartEvent else []
            path = _child_path(frame, new, mark.line, mark.column)
            if len(frames) >= MAX_DEPTH:
                raise _Decline
            frames.append(frame)
            entries = {}
            registered.append((new, Positions(display, path, mark.line, mark.column, entries)))
            frame = [new, path, entries, None, None]
        elif cls is MappingEndEvent or cls is SequenceEndEvent:
            if not frames:
                return root
            frame = frames.pop()
        else:
            raise _Decline  # an alias
