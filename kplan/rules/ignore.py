"""Ignore rules (`ignore_changes:`, docs/stack-format.md): config keys of a resource whose live value kplan neither
diffs nor writes once the resource exists — a key a platform rewrites or an SRE tunes by hand. Patterns are globs
(`*`, `?`, `[...]`) over the key, matched case-sensitively as Kafka and Connect keys are. A resource is created with
its declared values; from then on an ignored key is left as the cluster has it (Terraform's `ignore_changes`).
A pattern that can match none of the keys a kind knows protects nothing (a misspelt `retention.msec` lets the plan
revert the hand-tuned `retention.ms`): the kinds whose keys are a closed set report it (`unknown_pattern`)."""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import Iterable

from kplan.words import did_you_mean

# Connector keys kplan must set for the connector to be the one declared: never ignored.
CONNECTOR_REQUIRED = ("connector.class", "name")


def ignore_patterns(settings: dict) -> tuple[str, ...]:
    """An entry's `ignore_changes` (over `defaults`' by the usual merge: the entry's list replaces the defaults'),
    sorted; the schema reported anything that is not a list of strings."""
    raw = settings.get("ignore_changes")
    return tuple(sorted({p for p in raw if isinstance(p, str)})) if isinstance(raw, list) else ()


def ignored(patterns: Iterable[str], key: str) -> bool:
    """Whether `key` matches one of the patterns."""
    return any(fnmatchcase(key, p) for p in patterns)


def required_ignored(patterns: Iterable[str], required: Iterable[str]) -> list[tuple[str, str]]:
    """(pattern, required key) for each pattern that would ignore a key kplan must set."""
    return [(p, k) for p in patterns for k in required if fnmatchcase(k, p)]


def unknown_pattern(pattern: str, known: Iterable[str], what: str) -> str | None:
    """The error for a pattern that matches none of the `known` keys (`what`: "topic config"), None if it matches."""
    keys = list(known)
    if any(fnmatchcase(k, pattern) for k in keys):
        return None
    return (f'ignore_changes pattern "{pattern}" matches no {what}{did_you_mean(pattern, keys)}: it would leave '
            "nothing as the cluster has it; fix or remove it")
