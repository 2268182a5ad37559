"""Connect plugin version pins (KIP-891, Kafka Connect 4.1+): which config keys pin which plugin, and whether a
version satisfies a pin, the way Connect decides it.

A connector's config pins its plugins by `<plugin key>.plugin.version`: `connector.plugin.version` (the connector
class), `key.converter.plugin.version`, `value.converter.plugin.version`, `header.converter.plugin.version` (the
converter the same key names) and `transforms.<alias>.plugin.version` / `predicates.<alias>.plugin.version` (the
class in `.type`). Connect reads a pin with Maven's `VersionRange.createFromVersionSpec`
(`PluginUtils.connectorVersionRequirement`): `latest` (or no pin) is the newest installed version, a bare version
is that version exactly (Connect encloses it in `[...]`), and a range (`[3.6,3.8)`, `(,4.0]`, several joined by
commas) is the newest installed version within it. Versions compare as Maven's `ComparableVersion` does, for the
forms plugins use (`3.7.0.Final` equals `3.7`, `1.0-SNAPSHOT` is older than `1.0`); a spec this module cannot read
is left to Connect (None: unknown)."""

from __future__ import annotations

import re
from functools import cmp_to_key
from typing import Iterable

LATEST = "latest"
SUFFIX = ".plugin.version"
CONNECTOR_PIN = "connector" + SUFFIX
_CONVERTERS = ("key.converter", "value.converter", "header.converter")
_ALIASED = re.compile(r"^(transforms|predicates)\.([^.]+)\.plugin\.version$")


def class_key(pin_key: str) -> str | None:
    """The config key naming the class a pin key pins (`connector.class` for `connector.plugin.version`), or None
    when `pin_key` pins nothing."""
    if pin_key == CONNECTOR_PIN:
        return "connector.class"
    if pin_key.endswith(SUFFIX) and pin_key[:-len(SUFFIX)] in _CONVERTERS:
        return pin_key[:-len(SUFFIX)]
    m = _ALIASED.match(pin_key)
    return f"{m.group(1)}.{m.group(2)}.type" if m else None


def pins(config: Iterable[str]) -> list[str]:
    """The pin keys among `config`'s keys, sorted (the connector's first)."""
    return sorted((k for k in config if class_key(k) is not None), key=lambda k: (k != CONNECTOR_PIN, k))


# -- Maven's ComparableVersion, for the forms plugin versions take -------------------------------------------------

_QUALIFIERS = {"alpha": 0, "a": 0, "beta": 1, "b": 1, "milestone": 2, "m": 2, "rc": 3, "cr": 3, "snapshot": 4,
               "": 5, "ga": 5, "final": 5, "release": 5, "sp": 6}


def _items(version: str) -> list[int | str]:
    """The version's items: numbers, and qualifiers as their Maven names; trailing release markers (0, final,
    ga, "") trimmed, as Maven does, so that 3.7.0.Final and 3.7 are one version."""
    out: list[int | str] = [int(p) if p.isdigit() else p for p in re.findall(r"\d+|[a-z]+", version.strip().lower())]
    while out and (out[-1] == 0 or (isinstance(out[-1], str) and _QUALIFIERS.get(out[-1]) == 5)):
        out.pop()
    return out


def _cmp_item(a: int | str | None, b: int | str | None) -> int:
    if isinstance(a, int) and isinstance(b, int):
        return (a > b) - (a < b)
    if isinstance(a, int) or isinstance(b, int):  # a number is newer than any qualifier; a missing item is 0
        if a is None:
            return -1 if b else 0
        if b is None:
            return 1 if a else 0
        return 1 if isinstance(a, int) else -1
    ra, rb = _rank(a or ""), _rank(b or "")
    return (ra > rb) - (ra < rb)


def _rank(qualifier: str) -> tuple[int, str]:
    known = _QUALIFIERS.get(qualifier)
    return (known, "") if known is not None else (7, qualifier)  # unknown qualifiers: after the known, by name


def compare(a: str, b: str) -> int:
    """-1, 0 or 1 as version `a` is older than, equal to or newer than `b`."""
    ia, ib = _items(a), _items(b)
    for i in range(max(len(ia), len(ib))):
        c = _cmp_item(ia[i] if i < len(ia) else None, ib[i] if i < len(ib) else None)
        if c:
            return c
    return 0


_RANGE = re.compile(r"\s*([\[(])\s*([^,\[\]()]*?)\s*(?:,\s*([^,\[\]()]*?)\s*)?([\])])\s*(?:,|$)")


def _ranges(spec: str) -> list[tuple[str, bool, str, bool]] | None:
    """A range spec's restrictions: (lower, inclusive, upper, inclusive); None when it is not one."""
    out, pos = [], 0
    while pos < len(spec):
        m = _RANGE.match(spec, pos)
        if m is None:
            return None
        opening, low, high, closing = m.group(1), m.group(2), m.group(3), m.group(4)
        if high is None and (opening != "[" or closing != "]" or not low):  # [x]: exactly x
            return None
        out.append((low, opening == "[", low if high is None else high, closing == "]"))
        pos = m.end()
    return out or None


def satisfies(spec: str, version: str) -> bool | None:
    """Whether `version` satisfies the pin `spec`; None when the spec cannot be read here (Connect judges it)."""
    spec = spec.strip()
    if spec == LATEST or not spec:
        return True
    if spec[0] not in "[(":
        return compare(spec, version) == 0
    ranges = _ranges(spec)
    if ranges is None:
        return None
    for low, low_in, high, high_in in ranges:
        if low and (compare(version, low) < 0 or (compare(version, low) == 0 and not low_in)):
            continue
        if high and (compare(version, high) > 0 or (compare(version, high) == 0 and not high_in)):
            continue
        return True
    return False


def chosen(spec: str, installed: Iterable[str]) -> str | None:
    """The installed version Connect runs for the pin `spec`: the newest that satisfies it; None when none does
    (or the spec cannot be read)."""
    fitting = [v for v in installed if satisfies(spec, v)]
    return max(fitting, key=cmp_to_key(compare)) if fitting else None  # of equal ones, the first


def _ordered(a: str, b: str) -> int:
    return compare(a, b) or (a > b) - (a < b)


def sorted_versions(versions: Iterable[str]) -> list[str]:
    """Oldest first, as Maven orders them (equal ones by their spelling)."""
    return sorted(set(versions), key=cmp_to_key(_ordered))
