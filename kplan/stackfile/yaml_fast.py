"""The fast YAML path: documents built straight from libyaml's events, with raw positions kept for the
`SourceMap` to turn into locations on demand — about five times faster than composing nodes, for the documents
nearly every stack is made of.

It declines (None) anything else — anchors, aliases, merge keys, explicit tags, duplicate or non-text keys,
unusual values, non-mapping or empty documents, YAML errors — and the node-based path (`yaml_nodes`) then handles
and reports it exactly as before. It re-implements PyYAML's implicit tag resolution (`_plain_tag`, the same
table). tests/unit/test_yaml_fast_path.py checks that both paths give the same values, types and locations.
"""

from __future__ import annotations

import yaml
from yaml.constructor import SafeConstructor
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


def _plain_tag(value: str) -> str:
    """The tag PyYAML's resolver gives a plain scalar (the same table, looked up the same way)."""
    for tag, regexp in _BY_FIRST.get(value[0] if value else "", _WILDCARD):
        if regexp.match(value):
            return tag
    return STR_TAG


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
    from yaml.events import (
        AliasEvent,
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

    # Anchors, aliases and tags need one of these characters somewhere; without any, no event is checked for them.
    marked = "&" in text or "*" in text or "!" in text
    parser = _CParser(text)
    get_event = parser.get_event
    constructor = SafeConstructor()
    constructors = SafeConstructor.yaml_constructors
    scalars: dict[tuple[str, str], object] = {}  # (tag, text) -> value: partitions, booleans... repeat a lot
    registered: list[tuple[object, Positions]] = []
    docs: list[Document] = []
    # One frame per open container: [container, path, entries, pending key or None, its (line, column)]
    frames: list[list] = []
    frame: list | None = None
    index = -1
    root = None
    root_mark = None
    try:
        while True:
            event = get_event()
            cls = event.__class__
            if cls is ScalarEvent:
                if marked and (event.anchor is not None or event.tag is not None):
                    raise _Decline
                mark = event.start_mark
                value = event.value
                if frame is None:
                    raise _Decline  # a document that is a single value
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
                if style in QUOTED_STYLES:
                    out: object = QuotedStr(value)
                else:
                    tag = _plain_tag(value)
                    if tag == STR_TAG or tag == TIMESTAMP_TAG:  # dates stay text: nothing in a stack is a date
                        out = value
                    elif tag in SIMPLE_SCALARS:
                        try:
                            out = scalars[(tag, value)]
                        except KeyError:
                            out = scalars[(tag, value)] = constructors[tag](constructor, ScalarNode(tag, value))
                    else:
                        raise _Decline
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
                if frame is None:
                    if cls is SequenceStartEvent:
                        raise _Decline  # a document that is a list
                    path = ""
                    root, root_mark = new, mark
                else:
                    container = frame[0]
                    if container.__class__ is dict:
                        key = frame[3]
                        if key is None:
                            raise _Decline  # a list or mapping as a key
                        path = f"{frame[1]}.{key}" if frame[1] else key
                        kl, kc = frame[4]
                        frame[2][key] = (kl, kc, mark.line, mark.column)
                        container[key] = new
                        frame[3] = None
                    else:
                        i = len(container)
                        path = f"{frame[1]}[{i}]"
                        frame[2][i] = (mark.line, mark.column, mark.line, mark.column)
                        container.append(new)
                    if len(frames) >= MAX_DEPTH:
                        raise _Decline
                    frames.append(frame)
                entries: dict = {}
                registered.append((new, Positions(display, path, mark.line, mark.column, entries)))
                frame = [new, path, entries, None, None]
            elif cls is MappingEndEvent or cls is SequenceEndEvent:
                frame = frames.pop() if frames else None
            elif cls is DocumentStartEvent:
                index += 1
                root = None
            elif cls is DocumentEndEvent:
                if root is None:
                    raise _Decline  # an empty document: the node path says what it ignores or refuses
                docs.append(Document(display, index, root, Loc(display, root_mark.line + 1, root_mark.column + 1, "")))
            elif cls is StreamEndEvent:
                break
            elif cls is AliasEvent:
                raise _Decline
            elif cls is not StreamStartEvent:
                raise _Decline
    finally:
        parser.dispose()
    if not docs:
        raise _Decline
    for obj, positions in registered:
        smap.register_positions(obj, positions)
    return docs
