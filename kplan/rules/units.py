"""Config value normalization: human units to Kafka's integers, and every value to the string Kafka stores.

Pure functions, shared by the stack loader (declared values) and the planner (comparing with live values):

* durations on `*.ms` keys: `500ms`, `30s`, `15m`, `12h`, `7d`, `2w`, compounds like `1h30m`, decimals that
  come out whole (`1.5h`) -> milliseconds;
* sizes on `*.bytes` keys: `512B`, `64KiB`, `512MiB`, `1GiB`, `1TiB` (binary, powers of 1024) -> bytes.
  Decimal units (`KB`, `MB`, `GB`, `k`, `M`, `G`) are refused as ambiguous: write `GiB` or a byte count;
* `infinite` / `unlimited` -> `-1` for the keys where -1 means "no limit" (retention.ms, retention.bytes,
  local.retention.ms, local.retention.bytes);
* booleans -> `true`/`false`; integers -> decimal digits; lists -> items joined with `,` (no spaces).

Plain numbers and strings still work: `604800000` and `"604800000"` normalize to the same string.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

from kplan.rules import topic_configs

_DURATION_UNITS_MS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 604_800_000}
_SIZE_UNITS = {"b": 1, "kib": 1024, "mib": 1024**2, "gib": 1024**3, "tib": 1024**4, "pib": 1024**5}
_AMBIGUOUS_SIZE_UNITS = {"k", "kb", "m", "mb", "g", "gb", "t", "tb", "p", "pb"}

_NUM = r"\d+(?:\.\d+)?"
_DURATION_PART = re.compile(rf"({_NUM})(ms|s|m|h|d|w)")
_DURATION_RE = re.compile(rf"^(?:{_NUM}(?:ms|s|m|h|d|w))+$")
_SIZE_RE = re.compile(rf"^({_NUM})\s*([A-Za-z]+)$")
_INT_RE = re.compile(r"^[+-]?\d+$")
_INFINITE = ("infinite", "unlimited")


class UnitError(ValueError):
    """A value that looks like a human unit but cannot be converted (the message says why)."""


def looks_like_duration(text: str) -> bool:
    return bool(_DURATION_RE.match(text.strip()))


def parse_duration_ms(text: str) -> int:
    """`7d` -> 604800000; `1h30m` -> 5400000; `250` -> 250 (plain integers are milliseconds)."""
    s = str(text).strip()
    if _INT_RE.match(s):
        return int(s)
    if not _DURATION_RE.match(s):
        raise UnitError(f"invalid duration {s!r}: use e.g. 500ms, 30s, 15m, 12h, 7d, 2w or a number of milliseconds")
    total = sum((Decimal(number) * _DURATION_UNITS_MS[unit] for number, unit in _DURATION_PART.findall(s)), Decimal(0))
    if total != total.to_integral_value():
        raise UnitError(f"invalid duration {s!r}: it is not a whole number of milliseconds")
    return int(total)


def timestamp_ms(value: Any, forms: str, key: str = "reset") -> int:
    """An ISO datetime (a string, or the datetime YAML made of it) -> epoch milliseconds; `key` names the value in
    the messages and `forms` says what it may be. Raises UnitError."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        raise UnitError(f"{key}: {value.isoformat()} is a date without a time: write e.g. "
                        f"{value.isoformat()}T00:00:00Z")
    else:
        text = str(value).strip()
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            raise UnitError(f"{key}: {text!r} is not one of: {forms}") from None
    if moment.tzinfo is None:
        raise UnitError(f"{key}: the datetime {moment.isoformat()} has no time zone: add one (Z for UTC, or "
                        "+02:00)")
    return int(moment.astimezone(timezone.utc).timestamp() * 1000)


def utc_text(ms: int | None) -> str:
    """Milliseconds since the epoch as an RFC 3339 time in UTC (2026-11-23T08:00:00Z); "" for None."""
    return "" if ms is None else datetime.fromtimestamp(ms / 1000, tz=timezone.utc).isoformat().replace("+00:00", "Z")


def moment(raw: Any, forms: str, key: str, instead_of_now: str) -> tuple[str, int | None, int | None]:
    """A time as a stack writes it, an ISO datetime with its time zone (or the datetime YAML made of one) or a
    duration ago (`7d`) -> (as written, epoch milliseconds, milliseconds ago), one of the two None; `key` names it in
    the messages, `forms` says what it may be, `instead_of_now` what to write for a duration of 0. Raises UnitError."""
    if isinstance(raw, (datetime, date)):
        return raw.isoformat(), timestamp_ms(raw, forms, key), None
    text = raw.strip() if isinstance(raw, str) else ""
    if not text:
        raise UnitError(f"{key} must be one of: {forms}")
    if not looks_like_duration(text):
        return text, timestamp_ms(text, forms, key), None
    ago = parse_duration_ms(text)
    if ago <= 0:
        raise UnitError(f"{key}: {text} ago is now: {instead_of_now}")
    return text, None, ago


def parse_duration_seconds(value) -> float:
    """A timeout: a number of seconds (`15`, `2.5`) or a duration (`15s`, `500ms`, `2m`) -> seconds."""
    if isinstance(value, bool):
        raise UnitError(f"invalid duration {value!r}: use e.g. 15s, 500ms or a number of seconds")
    if isinstance(value, (int, float)):
        return float(value)
    s = str(value).strip()
    try:
        return float(Decimal(s))
    except InvalidOperation:
        pass
    return float(Decimal(parse_duration_ms(s)) / 1000)  # through Decimal: a huge duration is inf, not an error


def looks_like_size(text: str) -> bool:
    m = _SIZE_RE.match(text.strip())
    return m is not None and (m.group(2).lower() in _SIZE_UNITS or m.group(2).lower() in _AMBIGUOUS_SIZE_UNITS)


def parse_size_bytes(text: str) -> int:
    """`1GiB` -> 1073741824; `512MiB` -> 536870912; `4096` -> 4096. `1GB` is refused as ambiguous."""
    s = str(text).strip()
    if _INT_RE.match(s):
        return int(s)
    m = _SIZE_RE.match(s)
    if not m:
        raise UnitError(f"invalid size {s!r}: use e.g. 512MiB, 1GiB or a number of bytes")
    number, unit = m.group(1), m.group(2).lower()
    if unit in _AMBIGUOUS_SIZE_UNITS:
        iec = {"k": "KiB", "m": "MiB", "g": "GiB", "t": "TiB", "p": "PiB"}[unit[0]]
        raise UnitError(f"ambiguous size unit in {s!r}: write {number}{iec} (powers of 1024) or a number of bytes")
    if unit not in _SIZE_UNITS:
        raise UnitError(f"invalid size {s!r}: unknown unit {m.group(2)!r} (use B, KiB, MiB, GiB or TiB)")
    total = Decimal(number) * _SIZE_UNITS[unit]
    if total != total.to_integral_value():
        raise UnitError(f"invalid size {s!r}: it is not a whole number of bytes")
    return int(total)


def as_written(value) -> str:
    """A config value as Strimzi's operators send it and a CDC template's `config:` is taken: text, numbers and
    booleans as written, a list joined by commas."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(as_written(v) for v in value)
    return str(value)


def _scalar_to_str(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 2**63 else repr(value)
    return str(value)


def _list_to_str(value) -> str:
    return ",".join(_scalar_to_str(v).strip() for v in value)


def normalize_config_value(key: str, value) -> str:
    """Any config value (connector, client or topic) as the string Kafka/Connect stores.

    Human units are converted only when the value is written in them (`poll.interval.ms: 5s`); anything else
    (a plain string, a `${...}` reference) passes through unchanged.
    """
    if isinstance(value, (list, tuple)):
        return _list_to_str(value)
    if isinstance(value, str):
        s = value.strip()
        if key.endswith(".ms") and looks_like_duration(s) and not _INT_RE.match(s):
            return str(parse_duration_ms(s))
        if key.endswith(".bytes") and looks_like_size(s) and not _INT_RE.match(s):
            return str(parse_size_bytes(s))
        return value
    return _scalar_to_str(value)


def normalize_topic_config_value(key: str, value) -> str:
    """A topic config value in Kafka's canonical string form; raises ValueError (UnitError) for a malformed
    human unit. Works on declared values (YAML scalars, lists) and on live values (strings) alike."""
    spec = topic_configs.TOPIC_CONFIGS.get(key)
    if isinstance(value, (list, tuple)):
        return _list_to_str(value)
    if isinstance(value, bool) or not isinstance(value, str):
        return _scalar_to_str(value)
    s = value.strip()
    if spec is not None:
        if spec.infinite and s.lower() in _INFINITE:
            return "-1"
        if spec.type == "boolean":
            return s.lower() if s.lower() in ("true", "false") else s
        if spec.type == "list":
            return ",".join(item.strip() for item in s.split(",")) if s else ""
        if spec.type == "double":
            try:
                return _scalar_to_str(float(s)) if s.lower() not in ("nan", "inf", "-inf", "infinity") else s
            except ValueError:
                return s
    if _INT_RE.match(s):
        return str(int(s))
    if key.endswith(".ms") and (looks_like_duration(s) or re.match(r"^\d", s)):
        return str(parse_duration_ms(s))
    if key.endswith(".bytes") and (looks_like_size(s) or re.match(r"^\d", s)):
        return str(parse_size_bytes(s))
    return s
