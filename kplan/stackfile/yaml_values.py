"""What both YAML parsers (`yaml_nodes`, the reference, and `yaml_fast`, its faster twin) produce, and the
scalar rules they share: a located `Document` of plain values, with `QuotedStr` marking quoted text."""

from __future__ import annotations

from dataclasses import dataclass

from kplan.model.source import Loc

MAX_DEPTH = 64  # nesting levels of a document

QUOTED_STYLES = ("'", '"', "|", ">")  # plain scalars have style None (PyYAML) or "" (libyaml)
# Scalar tags built straight from their constructor (no state; an explicit tag may still not fit the text).
SIMPLE_SCALARS = frozenset({"tag:yaml.org,2002:int", "tag:yaml.org,2002:bool", "tag:yaml.org,2002:null",
                            "tag:yaml.org,2002:float"})
STR_TAG = "tag:yaml.org,2002:str"
TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"  # dates stay text: nothing in a stack is a date


class QuotedStr(str):
    """A string written quoted (or as a block scalar): a `${VAR}` in it stays a string after substitution."""

    __slots__ = ()


@dataclass
class Document:
    file: str  # the path as displayed (relative to where the user pointed)
    index: int  # 0-based document number in a multi-document file
    root: dict
    loc: Loc
