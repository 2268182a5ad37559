"""Where a stack's values were written: `Loc` (file, line, column, YAML path), `SourceMap` (the locations of
containers, keys and values, by object identity) and the two helpers that keep locations while building
values — `deep_merge` (defaults and environment overlays) and `to_origin` (a `Loc` as a spec's `Origin`).

Pure: the stack loader (kplan.stackfile) fills a `SourceMap` while parsing, and every section builder reads it,
so these live below both. The loader's collector of located diagnostics is `kplan.model.diagnostics.Diagnostics`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any, Mapping, TypeAlias, TypeVar, cast

from kplan.model.frozen import slot_init

# A key of a located container: a mapping's key (plain text: the loader refuses others) or a list's index.
Key: TypeAlias = str | int
# A raw position of a fast-path entry: (key line, key column, value line, value column), 0-based.
Entry: TypeAlias = tuple[int, int, int, int]  # or packed in one int (`pack`)
_T = TypeVar("_T")


@slot_init  # a big stack makes one per topic: the faster __init__ (kplan.model.frozen)
@dataclass(frozen=True, slots=True)  # slots: a stack holds one per resource and per config value
class Origin:
    """Where a resource (or a value) was declared, so plans and errors can point at the stack file."""

    file: str
    line: int
    column: int = 1
    cdc_source: str | None = None  # the cdc source that generated this resource, if any
    table: str | None = None  # the captured table a generated topic is for
    # What a CDC-generated resource is: "connector", "table", "schema-history" or "signal" (None if declared).
    role: str | None = None

    def where(self) -> str:
        return f"{self.file}:{self.line}"

    def to_json(self) -> dict[str, Any]:
        """Every field, in this order: the plan JSON's `origin`. The status JSON and `kplan render` show
        projections of it (`render.status`, `stackfile.export`)."""
        return {"file": self.file, "line": self.line, "column": self.column, "cdc_source": self.cdc_source,
                "table": self.table, "role": self.role}

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> "Origin":
        """`to_json` read back (a saved plan); `column` and the CDC fields may be missing."""
        return cls(d["file"], int(d["line"]), int(d.get("column", 1)), d.get("cdc_source"), d.get("table"),
                   d.get("role"))


@dataclass(frozen=True)
class Loc:
    """Where a YAML node sits: file, 1-based line and column, and its path inside its document."""

    file: str
    line: int
    column: int
    path: str = ""

    def child(self, path: str) -> "Loc":
        return Loc(self.file, self.line, self.column, path)


# The locations of a container's entries by key: a list's by index, a mapping's by key, as the loader builds them.
Locs: TypeAlias = dict[str, Loc] | dict[int, Loc] | dict[Key, Loc]


def child_path(path: str, key: Key) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else str(key)


def to_origin(loc: Loc | None, cdc_source: str | None = None, table: str | None = None,
              role: str | None = None) -> Origin:
    loc = loc or Loc("<stack>", 0, 0)
    return Origin(loc.file, loc.line, loc.column, cdc_source=cdc_source, table=table, role=role)


@dataclass
class _Info:
    loc: Loc
    values: dict[Key, Loc] = field(default_factory=dict)  # key/index -> Loc of the value
    keys: dict[Key, Loc] = field(default_factory=dict)  # key -> Loc of the key


def _taken(locs: Locs | None) -> dict[Key, Loc]:
    """`locs` kept as it is (a list's by index or a mapping's by key): it is only looked up by the keys of its own
    container, so one type of key serves both."""
    return cast("dict[Key, Loc]", locs) if locs is not None else {}


# A fast-path entry packed into one int (`pack`): 40 bytes against a tuple's 144 with its line numbers, for every
# key and list item of a stack. Each field has 24 bits: a stack file is at most 5 MiB (kplan.stackfile.files), and
# the fast path keeps tuples for a longer text.
_BITS = 24
PACK_LIMIT = 1 << _BITS  # text longer than this: entries stay tuples
_MASK = PACK_LIMIT - 1


def pack(key_line: int, key_column: int, line: int, column: int) -> int:
    return key_line << 72 | key_column << 48 | line << 24 | column


def _unpack(entry: Entry | int) -> Entry:
    if entry.__class__ is tuple:
        return entry
    e = cast(int, entry)
    return e >> 72, e >> 48 & _MASK, e >> 24 & _MASK, e & _MASK


class Positions:
    """Where a container parsed by the fast path and its entries were written, as raw 0-based (line, column) pairs
    (an entry `pack`ed, or a tuple); turned into `Loc`s only when somebody asks (most containers never are). Its
    path is its parent's and its key, joined when asked."""

    __slots__ = ("file", "parent", "key", "line", "column", "entries")

    def __init__(self, file: str, parent: "Positions | None", key: Key | None, line: int, column: int,
                 entries: dict[Key, Entry | int]) -> None:
        self.file, self.parent, self.key, self.line, self.column = file, parent, key, line, column
        self.entries = entries  # key/index -> (key line, key column, value line, value column), maybe packed

    @property
    def path(self) -> str:
        parent = self.parent
        return "" if parent is None or self.key is None else child_path(parent.path, self.key)

    def loc(self) -> Loc:
        return Loc(self.file, self.line + 1, self.column + 1, self.path)

    def entry_loc(self, key: Key, at: int) -> Loc:
        """Where the entry under `key` was written: its key (`at` 0) or its value (2); the container if unknown."""
        entry = self.entries.get(key)
        if entry is None:
            return self.loc()
        raw = _unpack(entry)
        return Loc(self.file, raw[at] + 1, raw[at + 1] + 1, child_path(self.path, key))

    def value_origin(self, key: Key) -> tuple[str, int, int]:
        entry = self.entries.get(key)
        if entry is None:
            return self.file, self.line + 1, self.column + 1
        _, _, line, column = _unpack(entry)
        return self.file, line + 1, column + 1


class _Borrowed:
    """A container built from others (a deep merge): each entry's locations are its source container's, looked up
    when asked — a merge of ten thousand topics with their defaults copies no location."""

    __slots__ = ("loc", "sources")

    def __init__(self, loc: Loc, sources: dict[Key, object]) -> None:
        self.loc = loc
        self.sources = sources  # key -> the container the value (and key) came from


class SourceMap:
    """Locations of containers (dicts, lists) and of their keys and values, keyed by object identity.

    Values stay plain dicts/lists/scalars (so JSON Schema and the rest of the code see ordinary data); whoever
    builds a new container from located ones registers it here to keep the locations."""

    def __init__(self) -> None:
        self._info: dict[int, tuple[object, _Info | Positions | _Borrowed]] = {}

    def register(self, obj: _T, loc: Loc, values: Locs | None = None, keys: Locs | None = None) -> _T:
        """Keep `obj`'s locations. `values`/`keys` are taken over, not copied: pass dicts nobody changes later."""
        self._info[id(obj)] = (obj, _Info(loc, _taken(values), _taken(keys)))
        return obj

    def register_all_positions(self, registered: list[tuple[object, Positions]]) -> None:
        """Keep each object's raw positions (the YAML fast paths), made into locations when asked: a parsed file's
        containers at once (each pair kept as it is, in one C-level pass: a big stack has hundreds of thousands)."""
        self._info.update(zip(map(id, map(itemgetter(0), registered)), registered))

    def register_borrowed(self, obj: _T, loc: Loc, sources: dict[Key, object]) -> _T:
        """Keep `obj`'s location `loc`, and for each key the container its value came from (see `_Borrowed`):
        `sources` is taken over, not copied."""
        self._info[id(obj)] = (obj, _Borrowed(loc, sources))
        return obj

    def _entry(self, obj: object) -> _Info | Positions | _Borrowed | None:
        """What is known of `obj`, raw positions left as they are (a single location is made on demand)."""
        entry = self._info.get(id(obj))
        return entry[1] if entry is not None and entry[0] is obj else None

    def loc(self, obj: object) -> Loc | None:
        info = self._entry(obj)
        return info.loc() if isinstance(info, Positions) else info.loc if info else None

    def value_loc(self, obj: object, key: Key) -> Loc | None:
        """Where the value under `key` (or index) was written; the container's location if unknown."""
        return self._located(obj, key, 2)

    def key_loc(self, obj: object, key: Key) -> Loc | None:
        """Where the key `key` was written (a list item's: its value's); the container's location if unknown."""
        return self._located(obj, key, 0)

    def _located(self, obj: object, key: Key, at: int) -> Loc | None:
        """The location of the key (`at` 0) or of the value (`at` 2) under `key`, as `Positions.entry_loc` takes it."""
        info = self._entry(obj)
        if info is None:
            return None
        if isinstance(info, Positions):
            return info.entry_loc(key, at)
        if isinstance(info, _Borrowed):  # the source's key is asked only where it knows the value
            source = info.sources.get(key)
            found = self._located(source, key, 2) if source is not None else None
            return (self._located(source, key, 0) if at == 0 and found is not None else found) or info.loc
        return (info.keys.get(key) if at == 0 else None) or info.values.get(key) or info.loc

    def item_locs(self, items: list[Any]) -> list[Loc | None]:
        """`value_loc(items, i)` of every index of the list `items`, its path joined once (a hundred thousand
        topics' locations)."""
        info = self._entry(items)
        if not isinstance(info, Positions):
            return [self.value_loc(items, i) for i in range(len(items))]
        file, path, entries = info.file, info.path, info.entries
        out: list[Loc | None] = []
        for i in range(len(items)):
            entry = entries.get(i)
            if entry is None:
                out.append(info.loc())
                continue
            _, _, line, column = _unpack(entry)
            out.append(Loc(file, line + 1, column + 1, f"{path}[{i}]"))
        return out

    def value_origin(self, obj: object, key: Key) -> tuple[str, int, int] | None:
        """(file, line, column) of the value under `key`, without making a `Loc` (origins of many values)."""
        info = self._entry(obj)
        if isinstance(info, Positions):
            return info.value_origin(key)
        loc = self.value_loc(obj, key)
        return (loc.file, loc.line, loc.column) if loc is not None else None


def deep_merge(base: object, over: Any, smap: SourceMap, loc: Loc | None = None) -> Any:
    """A new mapping: `base` overlaid by `over` (mappings merge, the rest replaces, None removes the key).

    Locations follow the winning values; the result's own location is `loc` (or over's, or base's)."""
    if not isinstance(over, dict):
        return over
    if not isinstance(base, dict):
        base = {}
    out: dict[Key, Any] = dict(base)  # the values are the stack's: any YAML
    # where each value (and its key) was written: looked up when asked
    sources: dict[Key, object] = dict.fromkeys(base, base)
    for k, v in over.items():
        if v is None:
            out.pop(k, None)
            sources.pop(k, None)
            continue
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = deep_merge(out[k], v, smap, smap.loc(v))
        else:
            out[k] = v
        sources[k] = over
    where = loc or smap.loc(over) or smap.loc(base) or Loc("<stack>", 0, 0)
    return smap.register_borrowed(out, where, sources)
