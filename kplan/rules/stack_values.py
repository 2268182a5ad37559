"""Live config strings as a person would write them in a stack file, converting back to exactly the same string.

Every conversion is checked against kplan's own normalization (`kplan.rules.units`): a value is written in a
human unit only when the stack loader turns that unit back into the very string the cluster holds.
"""

from __future__ import annotations

import re

from kplan.rules import topic_configs
from kplan.rules.units import normalize_topic_config_value

# Largest unit first; weeks are left out on purpose (people write 7d and 14d, not 1w and 2w).
_DURATIONS = (("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000))
_SIZES = (("TiB", 1024**4), ("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024))
_INT = re.compile(r"^-?[1-9]\d*$|^0$")
# `${` starts a kplan variable unless a Connect config provider's name and a colon follow (`${file:...}`);
# kplan's own `${secret:...}` is not a provider.
_NOT_A_PROVIDER_REF = re.compile(r"\$\{(?![A-Za-z_][A-Za-z0-9_.-]*:)|\$\{(?=secret:)")


def _in_units(n: int, units: tuple[tuple[str, int], ...]) -> str | int:
    """`n` in the largest of `units` that divides it (`7d`), else `n` itself."""
    return next((f"{n // size}{unit}" for unit, size in units if n >= size and n % size == 0), n)


def human_size(n: int) -> str | int:
    return _in_units(n, _SIZES)


def topic_config_value(key: str, live: str) -> object:
    """A topic config value for the stack file: `7d`, `1GiB`, `infinite`, an integer, true/false, a list for
    `cleanup.policy`, else the string itself — whichever normalizes back to `live`."""
    for candidate in _topic_candidates(key, live):
        try:
            if normalize_topic_config_value(key, candidate) == live:
                return candidate
        except ValueError:
            continue
    return live


def _topic_candidates(key: str, live: str):
    spec = topic_configs.TOPIC_CONFIGS.get(key)
    if _INT.match(live):
        n = int(live)
        if n == -1 and spec is not None and spec.infinite:
            yield "infinite"
        if key.endswith(".ms") and n > 0:
            yield _in_units(n, _DURATIONS)
        if key.endswith(".bytes") and n > 0:
            yield human_size(n)
        yield n
    if live in ("true", "false"):
        yield live == "true"
    if "," in live and spec is not None and spec.type == "list":
        yield live.split(",")


def connector_config_value(key: str, live: str) -> str:
    """A connector config value for the stack file: the string as Connect stores it, with a `${` that kplan would
    take for its own variable escaped as `$${` (provider placeholders such as `${file:...}` are kept as they are),
    and nothing else changed: Connect stores strings. (A live `30s` on a `*.ms` key cannot be written back:
    kplan converts units written in connector configs; the plan then shows that one key.)"""
    return _NOT_A_PROVIDER_REF.sub("$${", live)
