"""A live-state document (kplan.kinds.livejson: `kplan plan --live-state`, golden and unit tests) -> the live types,
read by functions cattrs generates from the dataclasses (issue 42; bench/codecs.py measured them against the
hand-written readers they replaced). A kind's `live.py` says only where its part of the document differs from its
types' fields (`shape`, `kind_slice`): a key of another name, a value read otherwise than by its type, a default or a
key of the format's own (`before`), a resource named by its key (`by_name`). Read by type: a collection or a mapping
(null: empty; a mapping read-only and key-sorted, as `freeze`), a problem code, `Meta`.

A reader is generated when it first reads, and cattrs imported then (~26 ms): a command that reads the cluster and no
live-state document does not pay for it, unless it reads broker configs or a consumer group with a pending request
(their answers are read by the same readers as their parts of the document)."""

from __future__ import annotations

import threading
import typing
from collections.abc import Mapping as AbcMapping
from dataclasses import fields as dataclass_fields
from dataclasses import replace
from functools import cache
from typing import TYPE_CHECKING, Any, Callable, Mapping, TypeVar

from kplan.model.desired import freeze
from kplan.model.live import KindState, Problem, problem_of
from kplan.model.metadata import Meta

if TYPE_CHECKING:  # pragma: no cover
    from cattrs import Converter

T = TypeVar("T")
Doc = Mapping[str, Any]
Read = Callable[[Any], Any]  # a value as the document has it -> the field's value
# How a field is read, when not from the key of its name by its type: from another key (a str), another way (a Read),
# both (key, Read), or not at all (NOT_READ: its default)
Field = str | Read | tuple[str, Read] | None
NOT_READ: Field = None


_IMPORTING_CATTRS = threading.Lock()


def import_cattrs() -> None:
    """cattrs' modules, imported by one thread at a time. They import each other in a circle (cattrs.converters and
    cattrs.gen), so two threads importing them for the first time at once fail with a `_DeadlockError` or an
    ImportError of a partially initialized module: apply's lock thread reads a kind's live state through the readers
    below while the command's thread loads the steps' codec (kplan.session.early). The converters' builders import
    cattrs through this; kplan.plan.codec imports it at its top, but only in the command's thread once the reads are
    over (a plan saved, fingerprinted or loaded before the lock thread starts)."""
    with _IMPORTING_CATTRS:
        import cattrs.fns  # noqa: F401
        import cattrs.gen  # noqa: F401
        import cattrs.preconf.json  # noqa: F401


def shape(cls: type[T], before: Callable[[Doc], Doc] | None = None, **fields: Field) -> Callable[[Doc], T]:
    """A reader of `cls` from its part of the document: each field from the key of its name, by its type, but those
    in `fields`; `before` fills in the format's own defaults and derived keys first."""

    def build() -> Callable[[Doc], T]:
        import_cattrs()
        from cattrs.gen import make_dict_structure_fn

        generated = make_dict_structure_fn(cls, _converter(), **{n: _override(f) for n, f in fields.items()})
        if before is None:
            return lambda doc: generated(doc, cls)
        return lambda doc: generated(before(doc), cls)

    built = cache(build)  # generated when it first reads
    return lambda doc: built()(doc)


def kind_slice(before: Callable[[Doc], Doc] | None = None, after: Callable[[KindState], KindState] | None = None,
               **fields: Field) -> Callable[[Doc], KindState]:
    """A reader of a kind's slice from the whole document: the `KindState` fields in `fields` (each from the key
    given: "owned_topics", "acl_problem"...), the others left empty; `after` what follows from the slice read (such
    as `owning`)."""
    read = shape(KindState, before, **{f.name: fields.get(f.name, NOT_READ) for f in dataclass_fields(KindState)})
    return read if after is None else lambda doc: after(read(doc))


def by_name(read: Callable[[Doc], Any], name: str = "name") -> Read:
    """{name: entry} -> each entry read with its name (the field `name`), read-only and by name."""
    return lambda entries: freeze({n: read({**e, name: n}) for n, e in (entries or {}).items()})


def each(read: Read, into: Callable[[Any], Any] = frozenset) -> Read:
    """A list -> `into` of each of its values read (null: empty)."""
    return lambda values: into(map(read, values or ()))


def shared(make: Callable[[Any], T], items: Callable[[Any], tuple[tuple[str, Any], ...]]) -> Callable[[Any], T]:
    """`make(x)`, one copy for every `x` of equal `items(x)` whose values are all text (others, where 1 and true would
    be equal keys, are made on their own): thousands of topics have a handful of distinct configs. At most 10,000
    are kept."""
    made: dict[tuple[tuple[str, Any], ...], T] = {}

    def one(x: Any) -> T:
        key = items(x)
        if any(v.__class__ is not str for _, v in key):
            return make(x)
        found = made.get(key)
        if found is None:
            found = make(x)
            if len(made) < 10_000:
                made[key] = found
        return found

    return one


def owning(state: KindState) -> KindState:
    """Owned: the resources of which the stack's record says kplan set something (their own `owned`)."""
    return replace(state, owned=frozenset(n for n, r in state.resources.items() if r.owned))


def _override(field: Field) -> Any:
    from cattrs.gen import override

    if field is None:
        return override(omit=True)
    key, read = (field, None) if isinstance(field, str) else field if isinstance(field, tuple) else (None, field)
    return override(rename=key, struct_hook=None if read is None else lambda value, _: read(value))


@cache
def _converter() -> "Converter":
    """cattrs' JSON converter (a malformed document raises a plain KeyError, TypeError or ValueError), with the
    live-state document's ways of reading by type."""
    import_cattrs()
    from cattrs.preconf.json import make_converter

    converter = make_converter(detailed_validation=False)

    def collection(t: Any, into: Callable[[Any], Any]) -> Callable[[Any, Any], Any]:
        (arg, *_) = typing.get_args(t)
        if arg is str:
            return lambda value, _: into(map(str, value or ()))
        hook = converter.get_structure_hook(arg)
        return lambda value, _: into(hook(x, arg) for x in value or ())

    def mapping(t: Any) -> Callable[[Any, Any], Any]:
        kt, vt = typing.get_args(t)
        key, value = converter.get_structure_hook(kt), converter.get_structure_hook(vt)
        return lambda d, _: freeze({key(k, kt): value(v, vt) for k, v in (d or {}).items()})

    def origin(*types: Any) -> Callable[[Any], bool]:
        return lambda t: typing.get_origin(t) in types

    converter.register_structure_hook_factory(origin(frozenset), lambda t: collection(t, frozenset))
    converter.register_structure_hook_factory(lambda t: origin(tuple)(t) and typing.get_args(t)[1:] == (Ellipsis,),
                                              lambda t: collection(t, tuple))
    converter.register_structure_hook_factory(origin(AbcMapping, dict), mapping)
    converter.register_structure_hook_func(lambda t: t == Problem | None, lambda code, _: problem_of(code))
    converter.register_structure_hook(Meta, lambda doc, _: Meta.from_json(doc))
    return converter
