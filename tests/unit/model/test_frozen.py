"""`slot_init` must build exactly what the dataclass's own `__init__` builds: the same fields from the same
arguments (positional, keyword, defaults, default factories), the instance still frozen; and refuse a class it
would not reproduce."""

from __future__ import annotations

import dataclasses
import inspect
from dataclasses import dataclass, field

import pytest

from kplan.kinds.topic.model import TopicSpec
from kplan.model.frozen import slot_init
from kplan.model.source import Origin


def _plain():
    @dataclass(frozen=True, slots=True)
    class Spec:
        name: str
        count: int
        flag: bool = False
        tags: tuple = ()
        config: dict = field(default_factory=lambda: {"made": "fresh"})

    return Spec


def test_the_same_fields_from_the_same_arguments_as_the_generated_init():
    generated, fast = _plain(), slot_init(_plain())
    calls = [(("a", 1), {}), (("a", 1, True), {}), (("a",), {"count": 2, "config": {"x": "1"}}),
             ((), {"name": "b", "count": 3, "tags": ("t",), "flag": True}), (("a", 1, False, (), {}), {})]
    for args, kwargs in calls:
        assert dataclasses.astuple(fast(*args, **kwargs)) == dataclasses.astuple(generated(*args, **kwargs))
    one, two = fast("a", 1), fast("a", 1)
    assert one.config == {"made": "fresh"} and one.config is not two.config  # the factory, called each time
    assert one == two and hash(fast("a", 1, config=())) == hash(generated("a", 1, config=()))
    with pytest.raises(dataclasses.FrozenInstanceError):
        one.count = 2  # type: ignore[misc]


def test_the_same_errors_for_wrong_arguments():
    fast = slot_init(_plain())
    for args, kwargs in [(("a",), {}), (("a", 1), {"nope": 1}), (("a", 1, True, (), {}, 9), {}),
                         (("a", 1), {"name": "b"})]:
        with pytest.raises(TypeError):
            fast(*args, **kwargs)


@pytest.mark.parametrize("cls", [TopicSpec, Origin])
def test_the_models_keep_their_parameters_and_defaults(cls):
    params = inspect.signature(cls).parameters
    assert list(params) == [f.name for f in dataclasses.fields(cls)]
    for f in dataclasses.fields(cls):
        if f.default is not dataclasses.MISSING:
            assert params[f.name].default == f.default
        elif f.default_factory is dataclasses.MISSING:
            assert params[f.name].default is inspect.Parameter.empty
    assert cls.__init__.__qualname__ == f"{cls.__name__}.__init__"


def test_a_topic_spec_and_its_origin_as_before():
    origin = Origin("s.yaml", 3, 5, role="table")
    assert (origin.file, origin.line, origin.column, origin.cdc_source, origin.table, origin.role) == \
        ("s.yaml", 3, 5, None, None, "table")
    spec = TopicSpec("t", 3, 2, origin=origin)
    assert (spec.config, spec.protect, spec.authoritative_config, spec.ignore_changes, spec.config_origins) == \
        ({}, False, None, (), {})
    assert dataclasses.replace(spec, partitions=6).partitions == 6


def test_refuses_what_it_would_not_reproduce():
    @dataclass(frozen=True)
    class NoSlots:
        a: int

    @dataclass(slots=True)
    class NotFrozen:
        a: int

    @dataclass(frozen=True, slots=True)
    class KeywordOnly:
        a: int
        b: int = field(kw_only=True, default=0)

    @dataclass(frozen=True, slots=True)
    class NotInInit:
        a: int
        b: int = field(init=False, default=0)

    @dataclass(frozen=True, slots=True)
    class PostInit:
        a: int

        def __post_init__(self) -> None:
            pass

    for cls in (NoSlots, NotFrozen, KeywordOnly, NotInInit, PostInit):
        with pytest.raises(TypeError):
            slot_init(cls)
