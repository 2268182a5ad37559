"""Encoding requests and decoding answers of the Kafka APIs on a plan's and an apply's critical path, written here
by hand (pure: bytes in, bytes out): ApiVersions, the SASL exchange, DescribeConfigs and Metadata. Every other
request goes through kafka-python's message classes (`Connection.call`): importing kafka-python adds ~0.05 s of
CPU to a no-change plan of 1,000 topics (a fifth of it), so the paths every plan and apply of topics take never
import it.

Frames are `int32 size` + header + body. Requests use header v1 (non-flexible APIs) or v2 (flexible: tagged
fields); answers carry header v0 (ApiVersions, whatever its version) or v1. Anything that does not decode exactly
raises `WireError` (a fast read then reads through librdkafka)."""

from __future__ import annotations

import struct
from sys import intern
from typing import Callable

from kplan.errors import KplanError

METADATA, API_VERSIONS, SASL_HANDSHAKE, DESCRIBE_CONFIGS, SASL_AUTHENTICATE = 3, 18, 17, 32, 36
# Metadata v11 and v12 (Kafka 2.8+ and 3.1+, flexible) have one layout for named topics; 4.x serves both
METADATA_VERSIONS = (11, 12)
DESCRIBE_CONFIGS_VERSION = 4  # flexible; served by every broker since Kafka 2.8 (v0 is gone in 4.x)
TOPIC_RESOURCE = 2
DYNAMIC_TOPIC_CONFIG = 1  # the config source of a topic's own override
NONE, UNKNOWN_TOPIC_OR_PARTITION = 0, 3

_I16, _I32 = struct.Struct(">h"), struct.Struct(">i")


class WireError(KplanError):
    """The answer is not what this client expects, or the connection or login failed (a fast read then reads
    through librdkafka instead, which reports the failure the usual way)."""


class NoAnswer(WireError):
    """No answer: the connection was refused or lost, or the broker did not answer in time. Worth another try."""


class Transient(WireError):
    """Kafka went on answering an error it marks retriable (COORDINATOR_NOT_AVAILABLE...) for as long as the request
    was asked again (kplan.transport.wire.client); the message names the last one."""


class Unsupported(WireError):
    """The broker serves no version of the request that this client speaks."""


class Refused(KplanError):
    """Kafka refused a request; `code` is its error name (CLUSTER_AUTHORIZATION_FAILED...)."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.code = code


def uvarint(n: int) -> bytes:
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def compact_string(s: str) -> bytes:
    b = s.encode()
    return uvarint(len(b) + 1) + b


def string(s: str) -> bytes:
    b = s.encode()
    return _I16.pack(len(b)) + b


def bytes32(b: bytes) -> bytes:
    return _I32.pack(len(b)) + b


def request(api_key: int, version: int, correlation: int, client_id: str, body: bytes, flexible: bool) -> bytes:
    """One framed request: header v2 (with an empty tagged-field section) when `flexible`, else v1."""
    header = _I16.pack(api_key) + _I16.pack(version) + _I32.pack(correlation) + string(client_id)
    frame = header + (b"\x00" if flexible else b"") + body
    return _I32.pack(len(frame)) + frame


def answer_body(frame: bytes, correlation: int, flexible_header: bool) -> Reader:
    """A reader at the body of one answer frame (without its size), checked against the correlation id."""
    if len(frame) < 4 or _I32.unpack_from(frame, 0)[0] != correlation:
        raise WireError("an answer to another request")
    reader = Reader(frame, 4)
    if flexible_header:
        reader.skip_tags()
    return reader


class Reader:
    """A cursor over one answer; every read checks bounds (a short frame is a WireError, never an IndexError)."""

    __slots__ = ("buf", "pos")

    def __init__(self, buf: bytes, pos: int = 0):
        self.buf, self.pos = buf, pos

    def take(self, n: int) -> int:
        """Where the next `n` bytes start; the cursor moves past them."""
        if n < 0 or self.pos + n > len(self.buf):
            raise WireError("a truncated answer")
        self.pos += n
        return self.pos - n

    def int8(self) -> int:
        return self.buf[self.take(1)]

    def int16(self) -> int:
        return _I16.unpack_from(self.buf, self.take(2))[0]

    def int32(self) -> int:
        return _I32.unpack_from(self.buf, self.take(4))[0]

    def uvarint(self) -> int:
        result = shift = 0
        while True:
            b = self.int8()
            result |= (b & 0x7F) << shift
            if b < 0x80:
                return result
            shift += 7
            if shift > 28:
                raise WireError("a malformed varint")

    def raw(self, n: int) -> bytes:
        return self.buf[self.take(n):self.pos]

    def string(self) -> str | None:
        n = self.int16()
        return None if n < 0 else self.raw(n).decode()

    def bytes32(self) -> bytes | None:
        n = self.int32()
        return None if n < 0 else self.raw(n)

    def compact_string(self) -> str | None:
        n = self.uvarint() - 1
        return None if n < 0 else self.raw(n).decode()

    def skip_tags(self) -> None:
        for _ in range(self.uvarint()):
            self.uvarint()
            self.raw(self.uvarint())

    def done(self) -> None:
        if self.pos != len(self.buf):
            raise WireError("an answer longer than expected")


# ------------------------------------------------------------- ApiVersions v0, SaslHandshake v1, SaslAuthenticate v1
# (their requests are one `request` each, made by kplan.transport.wire.connection: the login)

def api_versions(r: Reader) -> dict[int, tuple[int, int]]:
    """api key -> (min, max) version the broker serves."""
    if r.int16() != NONE:
        raise WireError("ApiVersions refused")
    out = {}
    for _ in range(r.int32()):
        key, low, high = r.int16(), r.int16(), r.int16()
        out[key] = (low, high)
    r.done()
    return out


def sasl_handshake(r: Reader) -> int:
    """The error code (0: the mechanism is enabled)."""
    code = r.int16()
    for _ in range(r.int32()):
        r.string()
    r.done()
    return code


def sasl_authenticate(r: Reader) -> tuple[int, str, bytes]:
    """(error code, the broker's error message, the server's bytes)."""
    code = r.int16()
    message = r.string() or ""
    token = r.bytes32() or b""
    r.raw(8)  # session lifetime
    r.done()
    return code, message, token


# ------------------------------------------------------------------------------------------- DescribeConfigs v4

def describe_configs_request(correlation: int, client_id: str, topics: list[str],
                             keys: tuple[str, ...] | None = None) -> bytes:
    """The configs of `topics` (all of them, or only `keys`), without synonyms or documentation."""
    wanted = b"\x00" if keys is None else uvarint(len(keys) + 1) + b"".join(compact_string(k) for k in keys)
    parts = [uvarint(len(topics) + 1)]
    for name in topics:
        parts.append(b"\x02" + compact_string(name) + wanted + b"\x00")  # TOPIC, name, keys (null: all), no tags
    parts.append(b"\x00\x00\x00")  # include_synonyms, include_documentation, no tags
    return request(DESCRIBE_CONFIGS, DESCRIBE_CONFIGS_VERSION, correlation, client_id, b"".join(parts),
                   flexible=True)


TopicConfigs = tuple[dict, dict, tuple]  # overrides, effective values, sensitive keys


def describe_configs(frame: bytes, correlation: int, share: Callable[[dict], dict]) -> dict[str, TopicConfigs | int]:
    """topic -> (overrides, effective, sensitive keys), or the topic's error code. `share` may swap an effective
    map for an identical one already seen (thousands of topics mostly share theirs). Written for speed: it
    decodes ~33 configs per topic for thousands of topics, inline, with bounds checked by slicing and a final
    length check (a short frame raises IndexError or a struct.error, turned into a WireError here)."""
    r = answer_body(frame, correlation, flexible_header=True)
    try:
        return _describe_configs(r.buf, r.pos, share)
    except (IndexError, struct.error, UnicodeDecodeError) as e:
        raise WireError("a malformed DescribeConfigs answer") from e


def _uv(buf: bytes, pos: int) -> tuple[int, int]:
    """(unsigned varint, next position): the common one-byte case inline."""
    b = buf[pos]
    if b < 0x80:
        return b, pos + 1
    r = Reader(buf, pos)
    return r.uvarint(), r.pos


def _tags(buf: bytes, pos: int) -> int:
    if buf[pos] == 0:
        return pos + 1
    r = Reader(buf, pos)
    r.skip_tags()
    return r.pos


def _text(buf: bytes, pos: int, n: int) -> str:
    if n < 0 or pos + n > len(buf):
        raise IndexError
    return buf[pos:pos + n].decode()


def _configs(buf: bytes, pos: int) -> tuple[dict, dict, list, int]:
    """One resource's configs: (overrides, effective values, sensitive keys, next position)."""
    overrides: dict[str, str] = {}
    effective: dict[str, str] = {}
    sensitive: list[str] = []
    count, pos = _uv(buf, pos)
    for _ in range(count - 1):
        n, pos = _uv(buf, pos)
        key = intern(_text(buf, pos, n - 1))
        n, pos = _uv(buf, pos + n - 1)
        value = intern(_text(buf, pos, n - 1)) if n else None
        pos += max(n - 1, 0)
        source, is_sensitive = buf[pos + 1], buf[pos + 2]  # read_only, config_source, is_sensitive
        if buf[pos + 3] != 1:
            raise WireError("synonyms that were not asked for")
        n, pos = _uv(buf, pos + 5)  # past the empty synonyms and the config type: the documentation
        pos = _tags(buf, pos + max(n - 1, 0))
        if is_sensitive:
            sensitive.append(key)
        if value is not None:
            effective[key] = value
            if source == DYNAMIC_TOPIC_CONFIG:
                overrides[key] = value
    return overrides, effective, sensitive, pos


# Distinct config sections remembered per answer: the topics of one stack mostly share one or a few.
_SECTIONS_KEPT = 8


def _describe_configs(buf: bytes, pos: int, share: Callable[[dict], dict]) -> dict[str, TopicConfigs | int]:
    """Topics whose config section is byte for byte one already decoded (the common case: thousands of topics
    with the same overrides) take that decoding as it is: decoding the same bytes again could only read exactly
    them and give the same answer, so a `startswith` at C speed replaces ~33 entries' worth of Python."""
    pos += 4  # throttle time
    out: dict[str, TopicConfigs | int] = {}
    seen: list[tuple[bytes, TopicConfigs]] = []  # (a config section's bytes, its decoding), the last hit first
    count, pos = _uv(buf, pos)
    for _ in range(count - 1):
        code = _I16.unpack_from(buf, pos)[0]
        n, pos = _uv(buf, pos + 2)
        pos += max(n - 1, 0)  # the error message
        if buf[pos] != TOPIC_RESOURCE:
            raise WireError("an answer for another resource type")
        n, pos = _uv(buf, pos + 1)
        name = _text(buf, pos, n - 1)
        pos += n - 1
        for i, (raw, decoded) in enumerate(seen):
            if buf.startswith(raw, pos):
                pos += len(raw)
                if i:
                    seen.insert(0, seen.pop(i))
                break
        else:
            overrides, effective, sensitive, end = _configs(buf, pos)
            decoded = (overrides, share(effective), tuple(sensitive))
            seen.insert(0, (buf[pos:end], decoded))
            del seen[_SECTIONS_KEPT:]
            pos = end
        pos = _tags(buf, pos)
        out[name] = code if code != NONE else decoded
    if _tags(buf, pos) != len(buf):
        raise WireError("an answer longer than expected")
    return out


# ------------------------------------------------------------------------------------------ Metadata v11-v12

TopicShape = tuple[int, int, int, bool]  # error code, partitions, replication factor, every partition led


def metadata_request(correlation: int, client_id: str, topics: list[str], version: int) -> bytes:
    """The metadata of the named topics only, never creating one (a broker with auto.create.topics.enable would
    otherwise create a topic a verification asks about)."""
    no_id = b"\x00" * 16
    parts = [uvarint(len(topics) + 1)]
    for name in topics:
        parts.append(no_id + compact_string(name) + b"\x00")  # topic id (none), name, no tags
    parts.append(b"\x00\x00\x00")  # allow_auto_topic_creation, include_topic_authorized_operations, no tags
    return request(METADATA, version, correlation, client_id, b"".join(parts), flexible=True)


def metadata(frame: bytes, correlation: int) -> dict[str, TopicShape]:
    """topic -> (error code, partitions, replication factor (the most replicas of a partition), whether every
    partition has a leader)."""
    r = answer_body(frame, correlation, flexible_header=True)
    r.int32()  # throttle time
    for _ in range(r.uvarint() - 1):  # brokers
        r.int32()
        r.compact_string()
        r.int32()
        r.compact_string()
        r.skip_tags()
    r.compact_string()  # cluster id
    r.int32()  # controller id
    out: dict[str, TopicShape] = {}
    for _ in range(r.uvarint() - 1):
        code = r.int16()
        name = r.compact_string()
        r.raw(17)  # topic id, is_internal
        partitions = replicas = 0
        led = True
        for _ in range(r.uvarint() - 1):
            r.int16()  # a partition's own error (LEADER_NOT_AVAILABLE comes with leader -1)
            r.int32()  # index
            led = led and r.int32() >= 0
            r.int32()  # leader epoch
            n = r.uvarint() - 1
            r.raw(4 * max(n, 0))
            replicas = max(replicas, n)
            for _ in range(2):  # isr, offline replicas
                r.raw(4 * max(r.uvarint() - 1, 0))
            r.skip_tags()
            partitions += 1
        r.int32()  # topic authorized operations
        r.skip_tags()
        if name is None:
            raise WireError("a topic without a name")
        out[name] = (code, partitions, replicas, led)
    r.skip_tags()
    r.done()
    return out
