"""The node-based YAML path, the reference: PyYAML composes each document's nodes (libyaml when available, and
after a YAML error the pure-Python loader again, whose messages are clearer), and `_Converter` turns them into
plain values, recording every container's, key's and value's location in the `SourceMap`.

It handles everything the fast path (`yaml_fast`) declines — anchors, aliases, merge keys, explicit tags — and
reports each problem as a located diagnostic: duplicate keys (both lines), alias bombs and recursive aliases
(`_expanded_size`, measured without expanding), nesting deeper than `MAX_DEPTH`, non-mapping or empty documents,
YAML errors.
"""

from __future__ import annotations

import yaml
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from kplan.model.diagnostics import Diagnostics
from kplan.model.source import Loc, SourceMap, child_path
from kplan.stackfile.files import line_col
from kplan.stackfile.yaml_values import MAX_DEPTH, NOT_SIMPLE, QUOTED_STYLES, Document, QuotedStr, simple_scalar

MAX_VALUES = 250_000  # per document, after expanding aliases

_MERGE_TAG = "tag:yaml.org,2002:merge"
_NULL_TAG = "tag:yaml.org,2002:null"
_STD_TAGS = {"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}
_FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when PyYAML was built with it


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


def parse_nodes(display: str, text: str, smap: SourceMap, diags: Diagnostics) -> list[Document]:
    """Every non-empty YAML document in `text`, converted and located; problems become diagnostics."""
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
    for node in nodes:
        if node is not None and not (isinstance(node, ScalarNode) and node.tag == _NULL_TAG):
            doc = _convert_document(display, node, smap, diags)
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
                    "invalid YAML: " + ("; ".join(p for p in (e.context, e.problem) if p) or str(e)))
    elif isinstance(e, yaml.reader.ReaderError):
        line, col = line_col(text, e.position)
        what = f"character #x{e.character:04x}" if isinstance(e.character, int) else f"byte {e.character!r}"
        diags.error(Loc(display, line, col), f"invalid YAML: unacceptable {what} ({e.reason})")
    elif isinstance(e, RecursionError):
        diags.error(Loc(display, 0, 0), "invalid YAML: nested too deeply")
    else:  # pragma: no cover - every PyYAML error is one of the above
        diags.error(Loc(display, 0, 0), f"invalid YAML: {e}")


def _loc(display: str, node, path: str) -> Loc:
    return Loc(display, node.start_mark.line + 1, node.start_mark.column + 1, path)


def _convert_document(display: str, node, smap: SourceMap, diags: Diagnostics) -> Document | None:
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
    return Document(display, root, root_loc)


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
        if node.tag not in _STD_TAGS:
            self.diags.error(_loc(self.display, node, path), f"unsupported YAML tag {node.tag!r}")
        if isinstance(node, SequenceNode):
            return self._sequence(node, path)
        return self._mapping(node, path)

    def _scalar(self, node, path: str):
        try:
            value = simple_scalar(node)  # the common case, without the constructor's bookkeeping
            if value is not NOT_SIMPLE:
                return value
            value = self.constructor.construct_object(node, deep=True)
        except ConstructorError as e:
            self.diags.error(_loc(self.display, node, path), f"unsupported YAML value: {e.problem}")
            return None
        except (ValueError, TypeError, KeyError):  # e.g. `!!int abc`: an explicit tag the text does not fit
            self.diags.error(_loc(self.display, node, path), f"invalid YAML value {node.value!r} for tag {node.tag}")
            return None
        if isinstance(value, bytes):
            self.diags.error(_loc(self.display, node, path), "unsupported YAML value: binary data")
            return None
        if isinstance(value, str) and node.style in QUOTED_STYLES:
            return QuotedStr(value)
        return value

    def _sequence(self, node, path: str):
        out: list = []
        values = {}
        for i, child in enumerate(node.value):
            cpath = child_path(path, i)
            values[i] = self._value_loc(child, cpath, None)
            out.append(self.convert(child, cpath))
        return self.smap.register(out, _loc(self.display, node, path), values)

    def _value_loc(self, node, path: str, key_loc: Loc | None) -> Loc:
        if (key_loc is not None and isinstance(node, ScalarNode) and node.value == ""
                and node.style not in QUOTED_STYLES):
            return key_loc.child(path)  # an empty value: point at its key
        return _loc(self.display, node, path)

    def _mapping(self, node, path: str):
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
            converted = self.convert(src, path)
            for key, value in converted.items():
                if key not in seen:
                    seen.add(key)
                    entries.append((key, value, self.smap.key_loc(converted, key), self.smap.value_loc(converted, key)))
        return entries
