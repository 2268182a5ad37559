"""How a value is shown to a person: readable units beside numbers (`7d` for 604800000 under a `.ms` key), the
sensitive marker, quoting when ambiguous. Shared by the renderers and the kinds' status labels."""

from __future__ import annotations

import json

from kplan.secrets import MASK as SENSITIVE

UNLIMITED = {"-1", "9223372036854775807"}  # Kafka's "no limit" values for .ms and .bytes configs


def _duration(ms: int) -> str:
    parts = []
    for unit, size in (("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000), ("ms", 1)):
        if ms >= size:
            parts.append(f"{ms // size}{unit}")
            ms %= size
    return "".join(parts)


def _size(n: int) -> str:
    for unit, size in (("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= size:
            q = n / size
            return f"{q:g} {unit}" if (n * 100) % size == 0 else f"≈{q:.1f} {unit}"
    return f"{n} B"


def readable(key: str, value: str | int) -> str | None:
    """`7d` for 604800000 under a `.ms` key, `1 GiB` for 1073741824 under a `bytes` key; None when not useful."""
    text = str(value).strip()
    if key.endswith("_byte_rate") and text.isdigit():  # a byte rate: bytes per second
        return f"{_size(int(text))}/s" if int(text) >= 1024 else None
    is_ms, is_bytes = key.endswith(".ms") or key.endswith("_ms"), key.endswith("bytes")
    if not (is_ms or is_bytes) or not text.lstrip("-").isdigit():
        return None
    if text in UNLIMITED:
        return "unlimited"
    n = int(text)
    if n < 0:
        return None
    if is_ms:
        return _duration(n) if n >= 1000 else None
    return _size(n) if n >= 1024 else None


def show(attr_key: str, value) -> str:
    """A value as displayed: sensitive marker, null, quoted when ambiguous, readable units beside numbers."""
    if value is None:
        return "null"
    if value == SENSITIVE:
        return SENSITIVE
    if isinstance(value, str) and (value == "" or value != value.strip() or "\n" in value):
        return json.dumps(value)
    extra = readable(attr_key, value)
    return f"{value} ({extra})" if extra else str(value)
