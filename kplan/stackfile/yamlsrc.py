"""Reading stack files into plain Python values while remembering where every value was written.

PyYAML's `safe_load` forgets positions, silently keeps the last of two duplicate keys and expands alias bombs
until memory runs out. This loader composes nodes with `yaml.SafeLoader`, converts them itself and records, for
every mapping and list, the location (file, line, column, YAML path) of the container, of each key and of each
value (`SourceMap`). It refuses files over 5 MiB, non-UTF-8 text, duplicate keys (reporting both lines) and
documents that expand to too many values through aliases, each as a diagnostic rather than a traceback.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import yaml
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from kplan.stackfile.diagnostics import Diagnostics, Loc

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_VALUES = 250_000  # per document, after expanding aliases
MAX_DEPTH = 64
STACK_SUFFIXES = (".yaml", ".yml")

_MERGE_TAG = "tag:yaml.org,2002:merge"
_QUOTED_STYLES = ("'", '"', "|", ">")  # plain scalars have style None (PyYAML) or "" (libyaml)
_STD_TAGS = {"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}


class QuotedStr(str):
    """A string written quoted (or as a block scalar): a `${VAR}` in it stays a string after substitution."""

    __slots__ = ()


@dataclass
class _Info:
    loc: Loc
    values: dict = field(default_factory=dict)  # key/index -> Loc of the value
    keys: dict = field(default_factory=dict)  # key -> Loc of the key


class _Positions:
    """Where a container parsed by the fast path and its entries were written, as raw 0-based (line, column) pairs;
    turned into an `_Info` of `Loc`s only when somebody asks (most containers never are)."""

    __slots__ = ("file", "path", "line", "column", "entries")

    def __init__(self, file: str, path: str, line: int, column: int, entries: dict):
        self.file, self.path, self.line, self.column = file, path, line, column
        self.entries = entries  # key/index -> (key line, key column, value line, value column)

    def info(self) -> _Info:
        values: dict = {}
        keys: dict = {}
        for key in self.entries:
            values[key] = self.value_loc(key)
            if not isinstance(key, int):
                keys[key] = self.key_loc(key)
        return _Info(self.loc(), values, keys)

    def loc(self) -> Loc:
        return Loc(self.file, self.line + 1, self.column + 1, self.path)

    def value_loc(self, key) -> Loc:
        entry = self.entries.get(key)
        if entry is None:
            return self.loc()
        return Loc(self.file, entry[2] + 1, entry[3] + 1, child_path(self.path, key))

    def key_loc(self, key) -> Loc:
        entry = self.entries.get(key)
        if entry is None:
            return self.loc()
        return Loc(self.file, entry[0] + 1, entry[1] + 1, child_path(self.path, key))


class _Borrowed:
    """A container built from others (a deep merge): each entry's locations are its source container's, looked up
    when asked — a merge of ten thousand topics with their defaults copies no location."""

    __slots__ = ("loc", "sources")

    def __init__(self, loc: Loc, sources: dict):
        self.loc = loc
        self.sources = sources  # key -> the container the value (and key) came from


class SourceMap:
    """Locations of containers (dicts, lists) and of their keys and values, keyed by object identity.

    Values stay plain dicts/lists/scalars (so JSON Schema and the rest of the code see ordinary data); whoever
    builds a new container from located ones registers it here to keep the locations."""

    def __init__(self):
        self._info: dict[int, tuple[object, _Info | _Positions | _Borrowed]] = {}

    def register(self, obj, loc: Loc, values: dict | None = None, keys: dict | None = None):
        """Keep `obj`'s locations. `values`/`keys` are taken over, not copied: pass dicts nobody changes later."""
        self._info[id(obj)] = (obj, _Info(loc, values if values is not None else {}, keys if keys is not None else {}))
        return obj

    def _register_positions(self, obj, positions: _Positions) -> None:
        self._info[id(obj)] = (obj, positions)

    def register_borrowed(self, obj, loc: Loc, sources: dict):
        """Keep `obj`'s location `loc`, and for each key the container its value came from (see `_Borrowed`):
        `sources` is taken over, not copied."""
        self._info[id(obj)] = (obj, _Borrowed(loc, sources))
        return obj

    def _get(self, obj) -> _Info | None:
        entry = self._info.get(id(obj))
        if entry is None or entry[0] is not obj:
            return None
        info = entry[1]
        if isinstance(info, _Positions):
            info = info.info()
            self._info[id(obj)] = (obj, info)
        elif isinstance(info, _Borrowed):
            values, keys = {}, {}
            for key, source in info.sources.items():
                at = self.value_loc(source, key)
                if at is not None:
                    values[key], keys[key] = at, self.key_loc(source, key)
            info = _Info(info.loc, values, keys)
            self._info[id(obj)] = (obj, info)
        return info

    def _entry(self, obj) -> _Info | _Positions | _Borrowed | None:
        """What is known of `obj`, raw positions left as they are (a single location is made on demand)."""
        entry = self._info.get(id(obj))
        return entry[1] if entry is not None and entry[0] is obj else None

    def loc(self, obj) -> Loc | None:
        info = self._entry(obj)
        return info.loc() if isinstance(info, _Positions) else info.loc if info else None

    def value_loc(self, obj, key) -> Loc | None:
        """Where the value under `key` (or index) was written; the container's location if unknown."""
        info = self._entry(obj)
        if info is None:
            return None
        if isinstance(info, _Positions):
            return info.value_loc(key)
        if isinstance(info, _Borrowed):
            source = info.sources.get(key)
            return (self.value_loc(source, key) if source is not None else None) or info.loc
        return info.values.get(key) or info.loc

    def value_origin(self, obj, key) -> tuple[str, int, int] | None:
        """(file, line, column) of the value under `key`, without making a `Loc` (origins of many values)."""
        info = self._entry(obj)
        if isinstance(info, _Positions):
            entry = info.entries.get(key)
            return (info.file, entry[2] + 1, entry[3] + 1) if entry is not None else (
                info.file, info.line + 1, info.column + 1)
        loc = self.value_loc(obj, key)
        return (loc.file, loc.line, loc.column) if loc is not None else None

    def key_loc(self, obj, key) -> Loc | None:
        info = self._entry(obj)
        if info is None:
            return None
        if isinstance(info, _Positions):
            return info.key_loc(key)
        if isinstance(info, _Borrowed):
            source = info.sources.get(key)
            at = self.value_loc(source, key) if source is not None else None
            return (self.key_loc(source, key) if at is not None else None) or info.loc
        return info.keys.get(key) or info.values.get(key) or info.loc

    def set_value_loc(self, obj, key, loc: Loc | None, key_loc: Loc | None = None) -> None:
        info = self._get(obj)
        if info is not None and loc is not None:
            info.values[key] = loc
            if key_loc is not None:
                info.keys[key] = key_loc


@dataclass
class Document:
    file: str  # the path as displayed (relative to where the user pointed)
    index: int  # 0-based document number in a multi-document file
    root: dict
    loc: Loc


@dataclass
class SourceFile:
    display: str  # shown in diagnostics and origins
    relpath: str  # relative to the stack root (for the inputs digest)
    data: bytes


def child_path(path: str, key) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else str(key)


def list_stack_files(path: str, diags: Diagnostics) -> list[tuple[str, str]]:
    """(display path, path relative to the stack root) of each stack file: the file itself, or the directory's
    `*.yaml`/`*.yml` files (not hidden, not recursive) in name order."""
    if not os.path.exists(path):
        diags.error(Loc(path, 0, 0), "no such file or directory")
        return []
    if os.path.isdir(path):
        names = sorted(
            n for n in os.listdir(path)
            if not n.startswith(".") and n.endswith(STACK_SUFFIXES) and os.path.isfile(os.path.join(path, n))
        )
        if not names:
            diags.error(Loc(path, 0, 0), "directory contains no stack files (*.yaml, *.yml)")
        return [(os.path.join(path, n), n) for n in names]
    return [(path, os.path.basename(path))]


def read_file(display: str, diags: Diagnostics, limit: int | None = None) -> bytes | None:
    limit = MAX_FILE_BYTES if limit is None else limit
    try:
        size = os.stat(display).st_size
        if size > limit:
            diags.error(Loc(display, 0, 0),
                        f"file is too large ({size / 1024 / 1024:.1f} MiB; "
                        f"stack files are limited to {limit // 1024 // 1024} MiB)")
            return None
        with open(display, "rb") as f:
            data = f.read(limit + 1)
    except OSError as e:
        diags.error(Loc(display, 0, 0), f"cannot read the file: {e.strerror or e}")
        return None
    if len(data) > limit:
        diags.error(Loc(display, 0, 0), f"file is too large (stack files are limited to {limit // 1024 // 1024} MiB)")
        return None
    return data


def decode(display: str, data: bytes, diags: Diagnostics) -> str | None:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        diags.error(Loc(display, 1, 1), "file is UTF-16 text: save it as UTF-8")
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        col = e.start - (data.rfind(b"\n", 0, e.start) + 1) + 1
        diags.error(Loc(display, line, col), f"file is not UTF-8 text (invalid byte 0x{data[e.start]:02x})")
        return None


_FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# Scalar tags built straight from their constructor (no state; an explicit tag may still not fit the text).
_SIMPLE_SCALARS = frozenset({"tag:yaml.org,2002:int", "tag:yaml.org,2002:bool", "tag:yaml.org,2002:null",
                             "tag:yaml.org,2002:float"})  # libyaml when PyYAML was built with it


def _compose_all(text: str, loader_cls, nodes: list) -> None:
    """Compose every document's node graph into `nodes` (kept on failure: the documents before the error)."""
    loader = None
    try:
        loader = loader_cls(text)  # the reader checks every character here already
        while loader.check_node():
            nodes.append(loader.get_node())
    finally:
        if loader is not None:
            loader.dispose()


def parse_documents(display: str, text: str, smap: SourceMap, diags: Diagnostics) -> list[Document]:
    """Every non-empty YAML document in `text`, converted and located. Problems become diagnostics.

    Plain documents take the fast path (`_fast_documents`); anything it does not handle is composed into nodes
    with libyaml when available, and after a YAML error parsed again with the pure-Python loader, whose messages
    are clearer."""
    fast = _fast_documents(display, text, smap)
    if fast is not None:
        return fast
    nodes: list = []
    failure = None
    try:
        _compose_all(text, _FAST_LOADER, nodes)
    except (yaml.YAMLError, RecursionError):
        nodes = []
        try:
            _compose_all(text, yaml.SafeLoader, nodes)
        except (yaml.YAMLError, RecursionError) as e:
            failure = e
    docs: list[Document] = []
    for index, node in enumerate(nodes):
        if node is not None and not _is_null(node):
            doc = _convert_document(display, index, node, smap, diags)
            if doc is not None:
                docs.append(doc)
    if failure is not None:
        _report_yaml_error(display, text, failure, diags)
        return docs
    if not nodes:
        diags.error(Loc(display, 0, 0), "file is empty (no YAML document)")
    elif not docs and not diags.has_errors:
        diags.error(Loc(display, 0, 0), "file has no content (only empty YAML documents)")
    return docs


def _report_yaml_error(display: str, text: str, e: BaseException, diags: Diagnostics) -> None:
    if isinstance(e, yaml.MarkedYAMLError):
        mark = e.problem_mark or e.context_mark
        diags.error(Loc(display, mark.line + 1 if mark else 0, mark.column + 1 if mark else 0),
                    f"invalid YAML: {_yaml_error_message(e)}")
    elif isinstance(e, yaml.reader.ReaderError):
        line, col = _line_col(text, e.position)
        what = f"character #x{e.character:04x}" if isinstance(e.character, int) else f"byte {e.character!r}"
        diags.error(Loc(display, line, col), f"invalid YAML: unacceptable {what} ({e.reason})")
    elif isinstance(e, RecursionError):
        diags.error(Loc(display, 0, 0), "invalid YAML: nested too deeply")
    else:  # pragma: no cover - every PyYAML error is one of the above
        diags.error(Loc(display, 0, 0), f"invalid YAML: {e}")


def _yaml_error_message(e: yaml.MarkedYAMLError) -> str:
    parts = [p for p in (e.context, e.problem) if p]
    return "; ".join(parts) or str(e)


def _line_col(text: str, pos: int) -> tuple[int, int]:
    line = text.count("\n", 0, pos) + 1
    return line, pos - (text.rfind("\n", 0, pos) + 1) + 1


class _Decline(Exception):
    """The fast path met something it leaves to the node-based loader (which reports or handles it)."""


try:
    from yaml._yaml import CParser as _CParser
except ImportError:  # PyYAML without libyaml: every document takes the node-based path
    _CParser = None

_STR_TAG = "tag:yaml.org,2002:str"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
_RESOLVERS = yaml.resolver.Resolver.yaml_implicit_resolvers
_WILDCARD = tuple(_RESOLVERS.get(None, []))
_BY_FIRST = {first: tuple(rs) + _WILDCARD for first, rs in _RESOLVERS.items() if first is not None}


def _plain_tag(value: str) -> str:
    """The tag PyYAML's resolver gives a plain scalar (the same table, looked up the same way)."""
    for tag, regexp in _BY_FIRST.get(value[0] if value else "", _WILDCARD):
        if regexp.match(value):
            return tag
    return _STR_TAG


def _fast_documents(display: str, text: str, smap: SourceMap) -> list[Document] | None:
    """Documents built straight from libyaml's events, with raw positions kept for `SourceMap` to turn into
    locations on demand: about five times faster than composing nodes, for the documents nearly every stack is
    made of. None when the text has anything else — anchors, aliases, merge keys, explicit tags, duplicate or
    non-text keys, unusual values, non-mapping or empty documents, YAML errors — which the node-based loader then
    handles (and reports) exactly as before. Without aliases a document expands to no more values than it has."""
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
    registered: list[tuple[object, _Positions]] = []
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
                    if value == "<<" and event.style not in _QUOTED_STYLES:
                        raise _Decline  # a merge key
                    if value in container:
                        raise _Decline  # duplicate key: the node path reports both lines
                    frame[3] = value
                    frame[4] = (mark.line, mark.column)
                    continue
                style = event.style
                if style in _QUOTED_STYLES:
                    out: object = QuotedStr(value)
                else:
                    tag = _plain_tag(value)
                    if tag == _STR_TAG or tag == _TIMESTAMP_TAG:  # dates stay text: nothing in a stack is a date
                        out = value
                    elif tag in _SIMPLE_SCALARS:
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
                registered.append((new, _Positions(display, path, mark.line, mark.column, entries)))
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
        smap._register_positions(obj, positions)
    return docs


def _is_null(node) -> bool:
    return isinstance(node, ScalarNode) and node.tag == "tag:yaml.org,2002:null"


def _loc(display: str, node, path: str) -> Loc:
    return Loc(display, node.start_mark.line + 1, node.start_mark.column + 1, path)


def _convert_document(display: str, index: int, node, smap: SourceMap, diags: Diagnostics) -> Document | None:
    root_loc = _loc(display, node, "")
    if not isinstance(node, MappingNode):
        kind = "a list" if isinstance(node, SequenceNode) else "a single value"
        diags.error(root_loc, f"a stack document must be a mapping of keys (stack, cluster, topics, ...), not {kind}")
        return None
    size = _expanded_size(node, {}, set(), 0)
    if size is None:
        diags.error(root_loc, "recursive YAML alias (an anchor that contains itself): refusing the document")
        return None
    if size < 0:
        diags.error(root_loc, f"document nests more than {MAX_DEPTH} levels deep: refusing it")
        return None
    if size > MAX_VALUES:
        diags.error(root_loc, f"document has more than {MAX_VALUES} values once YAML aliases are expanded: "
                              "refusing it (an alias bomb?)")
        return None
    conv = _Converter(display, smap, diags)
    root = conv.convert(node, "")
    return Document(display, index, root, root_loc)


def _expanded_size(node, memo: dict, active: set, depth: int) -> int | None:
    """How many values the node stands for once aliases are expanded; None for a recursive alias, -1 when
    nested too deep. Memoized per node, so an alias bomb is measured without being expanded."""
    key = id(node)
    if key in memo:
        return memo[key]
    if depth > MAX_DEPTH:
        return -1
    if isinstance(node, ScalarNode):
        return 1
    if key in active:
        return None
    active.add(key)
    total = 1
    children = node.value if isinstance(node, SequenceNode) else [c for kv in node.value for c in kv]
    for child in children:
        n = _expanded_size(child, memo, active, depth + 1)
        if n is None or n < 0:
            active.discard(key)
            return n
        total += n
        if total > MAX_VALUES:
            break
    active.discard(key)
    memo[key] = total
    return total


class _Converter:
    def __init__(self, display: str, smap: SourceMap, diags: Diagnostics):
        self.display = display
        self.smap = smap
        self.diags = diags
        self.constructor = SafeConstructor()

    def convert(self, node, path: str):
        if isinstance(node, ScalarNode):
            return self._scalar(node, path)
        if isinstance(node, SequenceNode):
            return self._sequence(node, path)
        return self._mapping(node, path)

    def _scalar(self, node, path: str):
        tag = node.tag
        if tag == "tag:yaml.org,2002:timestamp":
            return node.value  # dates stay text: nothing in a stack is a date
        if tag == "tag:yaml.org,2002:str":  # the common case, without the constructor's bookkeeping
            return QuotedStr(node.value) if node.style in _QUOTED_STYLES else node.value
        try:
            if tag in _SIMPLE_SCALARS:
                return SafeConstructor.yaml_constructors[tag](self.constructor, node)
            value = self.constructor.construct_object(node, deep=True)
        except ConstructorError as e:
            self.diags.error(_loc(self.display, node, path), f"unsupported YAML value: {e.problem}")
            return None
        except (ValueError, TypeError, KeyError):  # e.g. `!!int abc`: an explicit tag the text does not fit
            self.diags.error(_loc(self.display, node, path), f"invalid YAML value {node.value!r} for tag {tag}")
            return None
        if isinstance(value, bytes):
            self.diags.error(_loc(self.display, node, path), "unsupported YAML value: binary data")
            return None
        if isinstance(value, str) and node.style in _QUOTED_STYLES:
            return QuotedStr(value)
        return value

    def _sequence(self, node, path: str):
        if node.tag not in _STD_TAGS:
            self.diags.error(_loc(self.display, node, path), f"unsupported YAML tag {node.tag!r}")
        out: list = []
        values = {}
        for i, child in enumerate(node.value):
            cpath = child_path(path, i)
            values[i] = self._value_loc(child, cpath, None)
            out.append(self.convert(child, cpath))
        return self.smap.register(out, _loc(self.display, node, path), values)

    def _value_loc(self, node, path: str, key_loc: Loc | None) -> Loc:
        if (key_loc is not None and isinstance(node, ScalarNode) and node.value == ""
                and node.style not in _QUOTED_STYLES):
            return key_loc.child(path)  # an empty value: point at its key
        return _loc(self.display, node, path)

    def _mapping(self, node, path: str):
        if node.tag not in _STD_TAGS:
            self.diags.error(_loc(self.display, node, path), f"unsupported YAML tag {node.tag!r}")
        out: dict = {}
        values: dict = {}
        keys: dict = {}
        merged: list[tuple[str, object, Loc, Loc]] = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                merged.extend(self._merge_sources(value_node, path))
                continue
            if not isinstance(key_node, ScalarNode):
                self.diags.error(_loc(self.display, key_node, path),
                                 "mapping keys must be plain text, not lists or mappings")
                continue
            key = str(key_node.value)
            cpath = child_path(path, key)
            kloc = _loc(self.display, key_node, cpath)
            if key in keys:
                first = keys[key]
                self.diags.error(kloc, f'duplicate key "{key}" (first defined at line {first.line}; '
                                       "YAML would silently keep only this one)")
                continue
            keys[key] = kloc
            values[key] = self._value_loc(value_node, cpath, kloc)
            out[key] = self.convert(value_node, cpath)
        for key, value, kloc, vloc in merged:  # `<<: *anchor` entries: explicit keys win, earlier merges win
            if key not in out:
                out[key] = value
                keys[key] = kloc
                values[key] = vloc
        return self.smap.register(out, _loc(self.display, node, path), values, keys)

    def _merge_sources(self, value_node, path: str):
        sources = value_node.value if isinstance(value_node, SequenceNode) else [value_node]
        entries = []
        seen = set()
        for src in sources:
            if not isinstance(src, MappingNode):
                self.diags.error(_loc(self.display, src, path),
                                 "a YAML merge (<<) needs a mapping or a list of mappings")
                continue
            converted = self._mapping(src, path)
            for key, value in converted.items():
                if key not in seen:
                    seen.add(key)
                    entries.append((key, value, self.smap.key_loc(converted, key), self.smap.value_loc(converted, key)))
        return entries


def load_path(path: str, smap: SourceMap, diags: Diagnostics) -> tuple[list[SourceFile], list[Document]]:
    """Read and parse a stack (file or directory). Returns the files read (for the digest) and their documents."""
    files: list[SourceFile] = []
    docs: list[Document] = []
    for display, rel in list_stack_files(path, diags):
        data = read_file(display, diags)
        if data is None:
            continue
        files.append(SourceFile(display, rel, data))
        text = decode(display, data, diags)
        if text is None:
            continue
        docs.extend(parse_documents(display, text, smap, diags))
    return files, docs
