"""Located copies: a value copied into a new place of the stack (a variable's list or mapping where it is used, a
for_each entry's expansion), every container of the copy registered in the `SourceMap` — each value at the line
and column it was written at, under the YAML path of its new place — so that every check of the copy reports
where the user wrote the value and which place (which expansion) it is about.
"""

from __future__ import annotations

from kplan.model.source import Loc, SourceMap, child_path


def copy_at(node, path: str, smap: SourceMap, at: Loc):
    """A located copy of `node` (scalars are shared: they are immutable), placed at `path`; a value nobody located
    (a variable's, built by substitution) is located at `at`, the place it is copied to."""
    if isinstance(node, dict):
        return merged_copy(node, None, path, smap, at)
    if not isinstance(node, list):
        return node
    values = {i: (smap.value_loc(node, i) or at).child(child_path(path, i)) for i in range(len(node))}
    out = [copy_at(v, values[i].path, smap, values[i]) for i, v in enumerate(node)]
    return smap.register(out, (smap.loc(node) or at).child(path), values)


def merged_copy(base, over, path: str, smap: SourceMap, at: Loc):
    """A located copy of the mapping `base` with the mapping `over` merged over it the way environment overlays
    merge (mappings key by key, the rest replaced, None removes a key)."""
    base = base if isinstance(base, dict) else {}
    over = over if isinstance(over, dict) else {}
    out: dict = {}
    values: dict = {}
    keys: dict = {}
    for k in [*base, *(k for k in over if k not in base)]:
        if k in over and over[k] is None:
            continue
        source = over if k in over else base
        sub = child_path(path, k)
        vloc = (smap.value_loc(source, k) or at).child(sub)
        if k in over and isinstance(over[k], dict) and isinstance(base.get(k), dict):
            out[k] = merged_copy(base[k], over[k], sub, smap, vloc)
        else:
            out[k] = copy_at(source[k], sub, smap, vloc)
        values[k], keys[k] = vloc, (smap.key_loc(source, k) or vloc).child(sub)
    return smap.register(out, (smap.loc(base) or smap.loc(over) or at).child(path), values, keys)
