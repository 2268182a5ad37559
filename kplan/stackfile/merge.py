"""Combining a stack's documents into one, and the deep-merge used for defaults and environment overlays.

Directory stacks: each kind's section (`SECTION_OF`), the `cdc` and `mirrors` lists, `claims`, `forget` and
`references` are concatenated in file order; `vars` and `environments` are merged (the same variable, or the same
overlay value, set in two files is an error); `stack` may be repeated only with the same value; `cluster`, `defaults`,
`authoritative_config`, `template_dirs` and `policy` may be declared by one file only.

Deep merge (defaults under resources, environment overlays over the stack): mappings merge key by key, lists
and scalars replace, and `null` removes the key (e.g. a default config value a topic does not want).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from kplan.kinds import UNITS, stack_sections
from kplan.kinds.unit import StackSection
from kplan.model.diagnostics import Diagnostics
from kplan.model.source import Loc, SourceMap
from kplan.stackfile.yaml_values import Document

_SINGLE = ("cluster", "clusters", "defaults", "authoritative_config", "template_dirs", "policy", "secret_commands")
# Every kind's stack section by its key, in the kinds' order (`KindUnit.section`).
SECTION_OF: dict[str, StackSection] = {u.section.key: u.section for u in UNITS if u.section is not None}
# The stack file's lists of entries: first the kinds' sections the loader builds itself (no `build_ref`: cdc sources
# and mirrors give them entries, kplan.stackfile.sections), the cdc sources and mirrors, then each other kind's
# section in the kinds' order, then the claims, forget entries and references.
LISTS = (*(key for key, s in SECTION_OF.items() if s.build_ref is None), "cdc", "mirrors", *stack_sections(), "claims",
         "forget", "references")


def merge_strict(into: dict, other: dict, smap: SourceMap, diags: Diagnostics, what: str) -> dict:
    """Merge mappings from two files; the same leaf set in both is an error (both places reported)."""
    out = dict(into)
    sources: dict = dict.fromkeys(into, into)  # where each value (and its key) was written
    for k, v in other.items():
        if k in out and isinstance(out[k], dict) and isinstance(v, dict):
            out[k] = merge_strict(out[k], v, smap, diags, what)
        elif k in out:
            first = smap.value_loc(sources[k], k)
            where = f" (first set at {first.file}:{first.line})" if first else ""
            diags.error(smap.key_loc(other, k), f'{what} "{k}" is set twice{where}')
            continue
        else:
            out[k] = v
        sources[k] = other
    return smap.register_borrowed(out, smap.loc(into) or Loc("<stack>", 0, 0), sources)


@dataclass
class Combined:
    """The documents of a stack combined (before environment overlays and expansion)."""

    name: str | None = None
    name_loc: Loc | None = None
    first_loc: Loc | None = None
    single: dict = field(default_factory=dict)  # key -> (value, container doc root)
    lists: dict[str, list] = field(default_factory=lambda: {key: [] for key in LISTS})  # key -> [(item, Loc)]
    template_dirs: list = field(default_factory=list)  # (absolute dir, Loc)


def collect_vars_and_envs(docs: list[Document], smap: SourceMap, diags: Diagnostics) -> tuple[dict, dict]:
    """`vars` and `environments` merged across documents (needed before substitution)."""
    at = docs[0].loc if docs else Loc("<stack>", 0, 0)
    out: dict[str, dict] = {"vars": smap.register({}, at), "environments": smap.register({}, at)}
    for doc in docs:
        for key, what in (("vars", "variable"), ("environments", "environment setting")):
            if isinstance(doc.root.get(key), dict):
                out[key] = merge_strict(out[key], doc.root[key], smap, diags, what)
    return out["vars"], out["environments"]


def _at(loc: Loc | None) -> str:
    """`file:line` of a location, for a message that points at a second place."""
    return f"{loc.file}:{loc.line}" if loc is not None else "<stack>"


def combine(docs: list[Document], smap: SourceMap, diags: Diagnostics) -> Combined:
    c = Combined()
    for doc in docs:
        root = doc.root
        if c.first_loc is None:
            c.first_loc = doc.loc
        name = root.get("stack")
        if isinstance(name, str):
            if c.name is None:
                c.name, c.name_loc = name, smap.value_loc(root, "stack")
            elif name != c.name:
                diags.error(smap.value_loc(root, "stack"),
                            f'stack name "{name}" differs from "{c.name}" declared at '
                            f"{_at(c.name_loc)}")
        for key in _SINGLE:
            if key in root:
                if key in c.single:
                    first = smap.key_loc(c.single[key][1], key)
                    diags.error(smap.key_loc(root, key),
                                f"{key} is declared in more than one place (first at {_at(first)}); "
                                "declare it once")
                else:
                    c.single[key] = (root[key], root)
        for key in LISTS:
            items = root.get(key)
            if isinstance(items, list):
                c.lists[key].extend(zip(items, smap.item_locs(items)))
        dirs = root.get("template_dirs") or ()  # texts: the schema passed them
        base = os.path.dirname(doc.file)
        for i, d in enumerate(dirs):
            c.template_dirs.append((os.path.normpath(os.path.join(base, d)), smap.value_loc(dirs, i)))
    return c

