"""What both YAML parsers (`yaml_nodes`, the reference, and `yaml_fast`, its faster twin) produce, and the
scalar rules they share: a located `Document` of plain values, with `QuotedStr` marking quoted text, each scalar
converted by its tag (`simple_scalar`)."""

from __future__ import annotations

from dataclasses import dataclass

from yaml.constructor import SafeConstructor
from yaml.nodes import ScalarNode

from kplan.model.source import Loc

MAX_DEPTH = 64  # nesting levels of a document

QUOTED_STYLES = ("'", '"', "|", ">")  # plain scalars have style None (PyYAML) or "" (libyaml)
# Scalar tags built straight from their constructor (no state; an explicit tag may still not fit the text).
_SIMPLE_SCALARS = frozenset({"tag:yaml.org,2002:int", "tag:yaml.org,2002:bool", "tag:yaml.org,2002:null",
                             "tag:yaml.org,2002:float"})
STR_TAG = "tag:yaml.org,2002:str"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
_CONSTRUCTOR = SafeConstructor()  # its int, bool, null and float constructors keep no state
NOT_SIMPLE = object()  # what `simple_scalar` gives a scalar whose tag needs PyYAML's constructor


class QuotedStr(str):
    """A string written quoted (or as a block scalar): a `${VAR}` in it stays a string after substitution."""

    __slots__ = ()


@dataclass
class Document:
    file: str  # the path as displayed (relative to where the user pointed)
    root: dict
    loc: Loc


def simple_scalar(node: ScalarNode) -> object:
    """A scalar's value, as both parsers convert it, where its tag needs no constructor state: a string as text (a
    quoted one as `QuotedStr`), a date as its text (nothing in a stack is a date), an int, bool, null or float by
    PyYAML's constructors (which raise for an explicit tag the text does not fit, e.g. `!!int abc`); NOT_SIMPLE for
    any other tag."""
    tag = node.tag
    if tag == STR_TAG:
        return QuotedStr(node.value) if node.style in QUOTED_STYLES else node.value
    if tag == _TIMESTAMP_TAG:
        return node.value
    if tag in _SIMPLE_SCALARS:
        return SafeConstructor.yaml_constructors[tag](_CONSTRUCTOR, node)
    return NOT_SIMPLE
