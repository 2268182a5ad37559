"""A candidate measured by bench/codecs.py and not taken (bench/README.md says why): the ownership record's JSON
(kplan.model.ownership, `Ownership.to_json`/`from_json`) with what cattrs can generate of it generated. That is only
`sensitive`, `metadata` and the run marker: a kind's part sits under the kind's word, and whether it is a names-only
part ("<word>" and "protected_<word>" lists) or entries (an object) is told by the JSON type, which no dataclass field
says, so those stay written by hand here too. Byte for byte the same output as kplan's (checked by codecs.py)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Mapping

from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override
from cattrs.preconf.json import make_converter

from kplan.model.metadata import Meta
from kplan.model.ownership import Entry, Ownership

converter = make_converter(detailed_validation=False)
converter.register_unstructure_hook(Meta, Meta.to_json)
converter.register_structure_hook(Meta, lambda d, _: Meta.from_json(d))
converter.register_structure_hook_func(lambda t: t == tuple[str, ...], lambda keys, _: tuple(keys))

_OUT = override(omit=True)  # the kinds' parts: under the kinds' words
_CORE = ("sensitive", "run", "metadata")
_PROTECTED = "protected_"

_to = make_dict_unstructure_fn(
    Ownership, converter, names=_OUT, protected=_OUT, kinds=_OUT,
    sensitive=override(unstruct_hook=lambda s: {c: sorted(keys) for c, keys in sorted(s.items())}),
    metadata=override(omit_if_default=True,
                      unstruct_hook=lambda m: {a: x.to_json() for a, x in sorted(m.items()) if not x.empty}),
    run=override(omit_if_default=True, unstruct_hook=dict))
_from = make_dict_structure_fn(
    Ownership, converter, names=_OUT, protected=_OUT, kinds=_OUT,
    run=override(struct_hook=lambda run, _: run or None),
    metadata=override(struct_hook=lambda m, _: {str(a): x for a, d in (m or {}).items()
                                                 if not (x := Meta.from_json(d)).empty}))


def record_to_json(o: Ownership) -> dict[str, Any]:
    doc: dict[str, Any] = {}
    for word, names in sorted(o.names.items()):
        doc[word] = sorted(names)
        doc[_PROTECTED + word] = sorted(o.protected.get(word, ()))
    rest = _to(o)
    doc["sensitive"] = rest.pop("sensitive")
    for word, entries in sorted(o.kinds.items()):
        if entries:
            doc[word] = {n: (e if isinstance(e, str) else sorted(e)) for n, e in sorted(entries.items())}
    doc.update(sorted(rest.items(), key=lambda kv: kv[0] == "run"))  # the run marker last, as kplan writes it
    return doc


def record_from_json(doc: Mapping[str, Any] | None) -> Ownership:
    doc = doc or {}
    kinds = {str(w): {str(n): _entry(e) for n, e in entries.items() if not isinstance(e, list) or e}
             for w, entries in doc.items() if w not in _CORE and isinstance(entries, dict)}
    lists = {str(w): frozenset(map(str, v)) for w, v in doc.items() if w not in _CORE and isinstance(v, list)}
    protected = {w[len(_PROTECTED):]: v for w, v in lists.items() if w.startswith(_PROTECTED)}
    rest = _from({"sensitive": doc.get("sensitive") or {}, "run": doc.get("run"), "metadata": doc.get("metadata")},
                 Ownership)
    return replace(rest, names={w: v for w, v in lists.items() if not w.startswith(_PROTECTED)},
                   protected={w: v for w, v in protected.items() if v}, kinds={w: e for w, e in kinds.items() if e})


def _entry(e: Any) -> Entry:
    return tuple(str(k) for k in e) if isinstance(e, list) else "" if e is None else str(e)
