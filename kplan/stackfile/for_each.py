"""`for_each`: one entry of any section written once and expanded into one entry per item of a list or mapping
(tenants, regions), before the schema and everything after it see the stack.

    topics:
      - for_each: ${tenants}                 # a list, a mapping, or a variable holding one
        name: "orders.${each.key}"           # the item (a list), or the key (a mapping)
        partitions: ${each.value.partitions:-6}
        overrides:                           # per item: merged over that item's entry (null removes a key)
          acme: {config: {retention.ms: 30d}}

An expansion is the entry without `for_each` and `overrides`, the item's override merged over it (as an
environment overlay merges: mappings key by key, the rest replaced, null removes), then substituted with the
item bound to `${each.key}` / `${each.value}` (kplan.stackfile.variables) — so a value from the item is typed
like a variable's. Every value of an expansion is located where it is written in the for_each entry (or its
override), under the YAML path `topics[0] (for_each item "acme")`: each error names the entry and the item.

The entry itself is left out of substitution (`loop_entries`), so each expansion is substituted exactly once
(`$${` stays a literal `${`; `${secret:...}` references pass through, to be resolved at the edge).
"""

from __future__ import annotations

import json

from kplan.model.diagnostics import Diagnostics
from kplan.model.source import Loc, SourceMap, child_path
from kplan.stackfile.located import merged_copy
from kplan.stackfile.merge import LISTS
from kplan.stackfile.schema import describe
from kplan.stackfile.variables import Resolver, substitute_tree
from kplan.stackfile.yaml_nodes import MAX_VALUES
from kplan.stackfile.yaml_values import Document
from kplan.words import closest, meant

LOOP = "for_each"
OVERRIDES = "overrides"
_ITEM_TYPES = (str, int)


def loop_entries(docs: list[Document]) -> set[tuple[int, object]]:
    """(id(list), index) of every for_each entry: substitution leaves them to `expand_loops`."""
    return {(id(items), i) for doc in docs for key in LISTS if isinstance(items := doc.root.get(key), list)
            for i, item in enumerate(items) if isinstance(item, dict) and LOOP in item}


def expand_loops(docs: list[Document], smap: SourceMap, resolver: Resolver, diags: Diagnostics) -> dict[int, str]:
    """Replace every for_each entry of the documents' sections by its expansions, in place (the section's list is
    a new one, each entry located where it was declared). Returns id(expansion) -> how messages name its item
    (`for_each item "acme"`)."""
    items_of: dict[int, str] = {}
    budget = [MAX_VALUES]
    for doc in docs:
        for key in LISTS:
            items = doc.root.get(key)
            if not isinstance(items, list):
                continue
            if not _stray_overrides(items, smap, diags):
                continue  # no for_each entry
            out: list = []
            locs: dict[int, Loc] = {}
            for i, item in enumerate(items):
                loc = smap.value_loc(items, i) or doc.loc.child(child_path(key, i))
                loop = isinstance(item, dict) and LOOP in item
                for entry, at in (_expand(item, loc, smap, resolver, diags, items_of, budget) if loop
                                  else [(item, loc)]):
                    locs[len(out)] = at
                    out.append(entry)
            doc.root[key] = smap.register(out, smap.loc(items) or doc.loc, locs)
    return items_of


def _stray_overrides(items: list, smap: SourceMap, diags: Diagnostics) -> bool:
    """`overrides` beside no for_each: one error, and the key is dropped (it overrides nothing). Whether any item
    is a for_each entry (the same pass: a section may hold a hundred thousand)."""
    loops = False
    for item in items:
        if isinstance(item, dict):
            if LOOP in item:
                loops = True
            elif OVERRIDES in item:
                diags.error(smap.key_loc(item, OVERRIDES), "overrides is only allowed in an entry with for_each (it "
                            "overrides keys of one item's expansion)")
                del item[OVERRIDES]
    return loops


def item_word(key) -> str:
    """How messages name an item: `for_each item "acme"`, `for_each item 3`."""
    return f"for_each item {json.dumps(key, ensure_ascii=False) if isinstance(key, str) else key}"


def _expand(entry: dict, loc: Loc, smap: SourceMap, resolver: Resolver, diags: Diagnostics,
            items_of: dict[int, str], budget: list[int]) -> list[tuple[dict, Loc]]:
    where = smap.value_loc(entry, LOOP) or loc
    items = _items(entry[LOOP], entry, where, smap, resolver, diags)
    if items is None:
        return []
    overrides = _overrides(entry, [k for k, _ in items], smap, diags)
    body = {k: v for k, v in entry.items() if k not in (LOOP, OVERRIDES)}
    smap.register_borrowed(body, loc, dict.fromkeys(body, entry))
    size = _size(body) + sum(_size(o) for o in overrides.values())
    if size * len(items) > budget[0]:
        diags.error(where, f"the for_each entries expand to more than {MAX_VALUES:,} values (this one: {len(items)} "
                           f"items of {size} values each): use fewer items, or split the stack")
        return []
    budget[0] -= size * len(items)
    out = []
    for key, value in items:
        at = loc.child(f"{loc.path} ({item_word(key)})")
        copied = merged_copy(body, overrides.get(key), at.path, smap, at)
        substitute_tree(copied, smap, resolver.for_item(key, value), diags)
        items_of[id(copied)] = item_word(key)
        out.append((copied, at))
    return out


def _items(raw, entry: dict, where: Loc, smap: SourceMap, resolver: Resolver,
           diags: Diagnostics) -> list[tuple[object, object]] | None:
    """The items, (each.key, each.value): a list's items (key and value alike) or a mapping's entries, substituted;
    None after one located error when they are not that."""
    holder = smap.register_borrowed({LOOP: raw}, where, {LOOP: entry})
    found = Diagnostics()
    substitute_tree(holder, smap, resolver, found)  # a variable's list or mapping: a located copy
    if found.has_errors:
        diags.extend(found.items)
        return None
    value = holder[LOOP]
    if isinstance(value, dict):
        return list(value.items())
    if not isinstance(value, list):
        diags.error(where, f"for_each must be a list or a mapping of items (got {describe(value)}), e.g. [acme, "
                           "globex] or {acme: {partitions: 12}, globex: {}}")
        return None
    seen: dict[object, int] = {}
    for i, item in enumerate(value):
        if not isinstance(item, _ITEM_TYPES) or isinstance(item, bool):
            diags.error(smap.value_loc(value, i) or where,
                        f"for_each list items must be strings or integers (item {i} is {describe(item)}); for "
                        "values per item use a mapping: {acme: {partitions: 12}}")
            return None
        if item in seen:
            diags.error(smap.value_loc(value, i) or where, f"for_each lists {json.dumps(item)} twice (items "
                        f"{seen[item]} and {i}): each item makes its own entries, so items must be unique")
            return None
        seen[item] = i
    return [(item, item) for item in value]


def _overrides(entry: dict, keys: list, smap: SourceMap, diags: Diagnostics) -> dict[object, dict]:
    """The entry's `overrides`, by item key; an override of no item, or one that is not a mapping, is an error."""
    raw = entry.get(OVERRIDES)
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        diags.error(smap.value_loc(entry, OVERRIDES), f"overrides must be a mapping of for_each items to the keys "
                                                      f"they override (got {describe(raw)})")
        return {}
    by_word = {str(k): k for k in keys}
    out: dict[object, dict] = {}
    for name, over in raw.items():
        if str(name) not in by_word:
            shown = ", ".join(json.dumps(k) if isinstance(k, str) else str(k) for k in keys) or "none"
            diags.error(smap.key_loc(raw, name), f'overrides names "{name}", which is not a for_each item (items: '
                                                 f"{shown})" + meant(closest(str(name), list(by_word))))
        elif not isinstance(over, dict) or LOOP in over or OVERRIDES in over:
            diags.error(smap.value_loc(raw, name), f'the override of "{name}" must be a mapping of the entry\'s keys '
                                                   "(not for_each or overrides)")
        else:
            out[by_word[str(name)]] = over
    return out


def _size(node) -> int:
    """Values in a tree (containers and scalars), for the expansion's limit."""
    children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
    return 1 + sum(map(_size, children))
