"""kplan's own Kafka wire client (kplan.transport.wire), its pure parts: the DescribeConfigs answer decoded from
bytes built here field by field, every truncation refused, the SCRAM exchange against RFC 7677's example, and the
closed list of client settings it speaks (anything else: a fast read goes to librdkafka, the requests only it makes
are one line naming the property)."""

from __future__ import annotations

import struct

import pytest

from kplan.transport.wire import codec
from kplan.transport.wire.codec import WireError, compact_string, uvarint
from kplan.transport.wire.connection import settings_of, spoken
from kplan.transport.wire.scram import ScramClient


def _entry(name, value, source=5, sensitive=False, doc=None, tags=b"\x00"):
    out = compact_string(name) + (b"\x00" if value is None else compact_string(value))
    out += bytes([0, source, int(sensitive)]) + b"\x01" + b"\x02"  # read_only, source, sensitive, no synonyms, type
    return out + (b"\x00" if doc is None else compact_string(doc)) + tags


def _result(name, entries, code=0):
    out = struct.pack(">h", code) + b"\x00" + bytes([codec.TOPIC_RESOURCE]) + compact_string(name)
    return out + uvarint(len(entries) + 1) + b"".join(entries) + b"\x00"


def _answer(correlation, results):
    return struct.pack(">i", correlation) + b"\x00" + struct.pack(">i", 0) + uvarint(len(results) + 1) \
        + b"".join(results) + b"\x00"


def _share(effective):
    return effective


ANSWER = _answer(7, [
    _result("orders", [_entry("retention.ms", "86400000", source=codec.DYNAMIC_TOPIC_CONFIG),
                       _entry("cleanup.policy", "delete"),
                       _entry("sasl.jaas.config", None, sensitive=True),
                       # a tagged field (tag 3, two bytes) and a long value (a two-byte varint length)
                       _entry("x" * 200, "y" * 300, tags=b"\x01\x03\x02ab")]),
    _result("gone", [], code=codec.UNKNOWN_TOPIC_OR_PARTITION),
])


def test_a_describe_configs_answer_decodes_into_overrides_effective_values_and_sensitive_keys():
    out = codec.describe_configs(ANSWER, 7, _share)
    overrides, effective, sensitive = out["orders"]
    assert overrides == {"retention.ms": "86400000"}
    assert effective == {"retention.ms": "86400000", "cleanup.policy": "delete", "x" * 200: "y" * 300}
    assert sensitive == ("sasl.jaas.config",)
    assert out["gone"] == codec.UNKNOWN_TOPIC_OR_PARTITION


def _section(retention):
    return [_entry("retention.ms", retention, source=codec.DYNAMIC_TOPIC_CONFIG), _entry("cleanup.policy", "delete"),
            _entry("segment.bytes", "1073741824")]


def test_topics_sharing_a_config_section_decode_exactly_as_each_alone_and_share_one_answer():
    # 12 distinct sections (more than the decoder remembers), repeated out of order, an error and a section that
    # extends another by one entry between them
    retentions = [str(1000 * i) for i in range(12)]
    topics = [("twin-a", _section("7")), ("twin-b", _section("7"))]
    for round_ in range(3):
        for i, r in enumerate(retentions if round_ != 1 else reversed(retentions)):
            topics.append((f"t{round_}-{i}", _section(r)))
        topics.append((f"longer{round_}", _section("5") + [_entry("flush.ms", "9")]))
        topics.append((f"gone{round_}", None))
    frame = _answer(3, [_result(n, [], code=codec.UNKNOWN_TOPIC_OR_PARTITION) if e is None else _result(n, e)
                        for n, e in topics])
    out = codec.describe_configs(frame, 3, _share)
    assert list(out) == [n for n, _ in topics]
    for name, entries in topics:
        alone = codec.describe_configs(_answer(1, [_result(name, entries or [],
                                                            code=0 if entries else codec.UNKNOWN_TOPIC_OR_PARTITION)]),
                                       1, _share)[name]
        assert out[name] == alone, name
    assert out["twin-a"] is out["twin-b"]  # one decoding for identical bytes
    assert out["t0-3"] != out["t0-4"]
    assert out["longer0"][1]["flush.ms"] == "9" and "flush.ms" not in out["t0-5"][1]


def test_every_truncation_and_any_trailing_byte_is_refused():
    for cut in range(4, len(ANSWER)):
        with pytest.raises(WireError):
            codec.describe_configs(ANSWER[:cut], 7, _share)
    with pytest.raises(WireError):
        codec.describe_configs(ANSWER + b"\x00", 7, _share)


def test_an_answer_to_another_request_or_with_synonyms_is_refused():
    with pytest.raises(WireError, match="another request"):
        codec.describe_configs(ANSWER, 8, _share)
    with_synonym = _answer(1, [_result("t", [_entry("a", "b").replace(b"\x01\x02", b"\x02\x02", 1)])])
    with pytest.raises(WireError):
        codec.describe_configs(with_synonym, 1, _share)


def test_the_request_names_each_topic_and_asks_for_no_synonyms_or_documentation():
    frame = codec.describe_configs_request(5, "kplan", ["a", "bb"])
    size, key, version, correlation = struct.unpack_from(">ihhi", frame)
    assert (size, key, version, correlation) == (len(frame) - 4, codec.DESCRIBE_CONFIGS, 4, 5)
    body = frame[4 + 2 + 2 + 4 + 2 + len("kplan") + 1:]  # past the header and its empty tag section
    assert body == b"\x03" + b"\x02\x02a\x00\x00" + b"\x02\x03bb\x00\x00" + b"\x00\x00\x00"


def test_a_request_for_some_keys_names_them_for_every_topic():
    """A verification reads back only the keys it set: the same key list for each resource."""
    frame = codec.describe_configs_request(5, "kplan", ["a", "bb"], ("retention.ms", "x"))
    body = frame[4 + 2 + 2 + 4 + 2 + len("kplan") + 1:]
    keys = b"\x03" + compact_string("retention.ms") + compact_string("x")
    assert body == b"\x03" + b"\x02\x02a" + keys + b"\x00" + b"\x02\x03bb" + keys + b"\x00" + b"\x00\x00\x00"


def _partition(index, leader, replicas, tags=b"\x00"):
    ints = lambda xs: uvarint(len(xs) + 1) + b"".join(struct.pack(">i", x) for x in xs)  # noqa: E731
    return struct.pack(">hiii", 0, index, leader, 7) + ints(replicas) + ints(replicas) + ints([]) + tags


def _metadata_answer(correlation, topics, brokers=((1, "localhost", 9092),)):
    body = struct.pack(">i", 0) + uvarint(len(brokers) + 1)
    for node, host, port in brokers:
        body += struct.pack(">i", node) + compact_string(host) + struct.pack(">i", port) + b"\x00" + b"\x00"
    body += compact_string("cluster-id") + struct.pack(">i", 1) + uvarint(len(topics) + 1)
    for code, name, partitions in topics:
        body += struct.pack(">h", code) + compact_string(name) + b"\x11" * 16 + b"\x00"
        body += uvarint(len(partitions) + 1) + b"".join(partitions) + struct.pack(">i", -2147483648) + b"\x00"
    return struct.pack(">i", correlation) + b"\x00" + body + b"\x00"


def test_a_metadata_answer_gives_each_topics_shape_and_whether_every_partition_is_led():
    frame = _metadata_answer(9, [(0, "led", [_partition(0, 1, [1, 2, 3]), _partition(1, 2, [2, 3])]),
                                 (0, "electing", [_partition(0, -1, [1])]),
                                 (3, "gone", [])])
    assert codec.metadata(frame, 9) == {"led": (0, 2, 3, True), "electing": (0, 1, 1, False), "gone": (3, 0, 0, True)}
    for cut in range(len(frame) - 1, 4, -7):  # truncated anywhere: refused, never half-decoded
        with pytest.raises(WireError):
            codec.metadata(frame[:cut], 9)
    with pytest.raises(WireError):
        codec.metadata(frame + b"\x00", 9)
    with pytest.raises(WireError):
        codec.metadata(frame, 8)


def test_the_metadata_request_names_the_topics_and_never_creates_one():
    frame = codec.metadata_request(4, "kplan", ["a"], 12)
    size, key, version, correlation = struct.unpack_from(">ihhi", frame)
    assert (size, key, version, correlation) == (len(frame) - 4, codec.METADATA, 12, 4)
    body = frame[4 + 2 + 2 + 4 + 2 + len("kplan") + 1:]
    # one topic: no id (16 zero bytes), its name, no tags; allow_auto_topic_creation false, no authorized ops
    assert body == b"\x02" + b"\x00" * 16 + b"\x02a\x00" + b"\x00\x00\x00"


def test_scram_sha_256_matches_rfc_7677():
    client = ScramClient("SCRAM-SHA-256", "user", "pencil", nonce="rOprNGfwEbeRWgbNEkqO")
    assert client.first() == b"n,,n=user,r=rOprNGfwEbeRWgbNEkqO"
    final = client.final(b"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096")
    assert final == (b"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
                     b"p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=")
    client.check(b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=")
    with pytest.raises(WireError, match="did not prove"):
        client.check(b"v=AAAATRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=")


def test_a_scram_challenge_for_another_nonce_is_refused():
    client = ScramClient("SCRAM-SHA-512", "user", "pencil", nonce="abc")
    with pytest.raises(WireError):
        client.final(b"r=xyz123,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096")


@pytest.mark.parametrize("conf, speaks", [
    ({"bootstrap.servers": "a:9092,b:9093"}, True),
    ({"bootstrap.servers": "sasl_ssl://[::1]:9094", "security.protocol": "SASL_SSL", "sasl.mechanisms": "SCRAM-SHA-512",
      "sasl.username": "u", "sasl.password": "p", "ssl.ca.location": "/ca.pem"}, True),
    ({"bootstrap.servers": "a:9092", "security.protocol": "sasl_plaintext", "sasl.mechanism": "PLAIN"}, True),
    ({"bootstrap.servers": "a:9092", "security.protocol": "SASL_SSL", "sasl.mechanisms": "OAUTHBEARER",
      "oauth_cb": lambda _: ("t", 0.0)}, True),  # AWS MSK IAM: the tokens kplan signs (kplan.transport.kafka)
    ({"bootstrap.servers": "a:9092", "security.protocol": "SASL_SSL", "sasl.mechanisms": "OAUTHBEARER",
      "sasl.oauthbearer.method": "oidc", "sasl.oauthbearer.client.id": "c", "sasl.oauthbearer.client.secret": "s",
      "sasl.oauthbearer.token.endpoint.url": "https://idp/token"}, True),
    ({"bootstrap.servers": "a:9092", "security.protocol": "SASL_SSL", "sasl.mechanisms": "OAUTHBEARER"}, False),
    ({"bootstrap.servers": "a:9092", "security.protocol": "SASL_SSL"}, False),  # GSSAPI, librdkafka's default
    ({"bootstrap.servers": "a:9092", "ssl.keystore.location": "/k.p12"}, False),
    ({"bootstrap.servers": "a:9092", "security.protocol": "SSL", "ssl.certificate.location": "/c.pem",
      "ssl.key.location": "/k.pem"}, True),
    ({"bootstrap.servers": "a"}, False),
])
def test_only_settings_it_speaks_take_the_wire_path(conf, speaks):
    assert (spoken(conf, 5.0) is not None) is speaks


def test_the_settings_never_show_the_password():
    settings = settings_of({"bootstrap.servers": "a:1", "security.protocol": "SASL_SSL", "sasl.mechanism": "PLAIN",
                            "sasl.username": "u", "sasl.password": "canary-pw-123"}, 5.0)
    assert "canary-pw-123" not in repr(settings) and "canary-pw-123" not in str(settings)


def _junk_server(reply: bytes):
    """A listener that answers every connection's first request with `reply`: (port, thread)."""
    import socket
    import threading

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)

    def serve():
        conn, _ = server.accept()
        with conn:
            conn.recv(65536)
            conn.sendall(reply)
        server.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return server.getsockname()[1], thread


@pytest.mark.parametrize("reply", [b"\x00\x00\x00\x05junk!", b"\x00\x00", b"\x7f\xff\xff\xff"])
def test_any_unexpected_answer_leaves_the_read_to_librdkafka(reply):
    from kplan.kinds.topic.io.describe import TopicConfigConverter, describe_wire

    port, thread = _junk_server(reply)
    assert describe_wire({"bootstrap.servers": f"127.0.0.1:{port}"}, ["t"], 2.0, TopicConfigConverter().share) is None
    thread.join(5)


def test_no_listener_or_kplan_wire_off_leaves_the_read_to_librdkafka(monkeypatch):
    import socket

    from kplan.kinds.topic.io.describe import TopicConfigConverter, describe_wire

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now
    conf = {"bootstrap.servers": f"127.0.0.1:{port}"}
    assert describe_wire(conf, ["t"], 2.0, TopicConfigConverter().share) is None
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.setblocking(False)
    monkeypatch.setenv("KPLAN_WIRE", "off")
    conf = {"bootstrap.servers": f"127.0.0.1:{listener.getsockname()[1]}"}
    assert describe_wire(conf, ["t"], 2.0, TopicConfigConverter().share) is None
    with pytest.raises(BlockingIOError):  # with KPLAN_WIRE=off nothing even connected
        listener.accept()
    listener.close()
