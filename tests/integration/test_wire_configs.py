"""kplan's own DescribeConfigs client (kplan.transport.wire) against the real broker: it must give exactly what
the librdkafka path gives — on the plain listener, through SASL_SSL with SCRAM-SHA-512 and PLAIN, and through
OAUTHBEARER with AWS MSK IAM tokens on the broker's MSK listener (test_oidc.py: with OIDC tokens) — and refuse
(WireError, so kplan reads through librdkafka) a wrong password or a principal without the right to describe;
through `describe_plain`, the refused principal still gets librdkafka's one line naming the right it lacks."""

from __future__ import annotations

import time
import uuid

import by_hand
import pytest
from confluent_kafka.admin import (
    AclBinding,
    AclBindingFilter,
    AclOperation,
    AclPermissionType,
    AdminClient,
    NewTopic,
    ResourcePatternType,
    ResourceType,
    ScramCredentialInfo,
    ScramMechanism,
    UserScramCredentialDeletion,
    UserScramCredentialUpsertion,
)

from kplan.errors import KplanError
from kplan.kinds.topic.io.describe import TopicConfigConverter, describe_plain, describe_topic_entries
from kplan.transport.kafka import dispose
from kplan.transport.wire import configs as wire_configs
from kplan.transport.wire.codec import WireError
from kplan.transport.wire.configs import topic_configs
from kplan.transport.wire.connection import Connection, settings_of
from kplan.transport.wire.metadata import topic_shapes

pytestmark = pytest.mark.compat


@pytest.fixture(scope="module")
def topics(stack):
    """600 topics (three requests of 250), two thirds with overrides; returned once the broker describes them all
    (its metadata follows a creation a moment later)."""
    base = f"kplantest-wire-{uuid.uuid4().hex[:8]}"
    admin = AdminClient({"bootstrap.servers": stack.bootstrap_servers})
    names = [f"{base}-{i:03d}" for i in range(600)]
    specs = [NewTopic(n, 1, 1, config={"retention.ms": str(3600000 + i), "cleanup.policy": "compact"} if i % 3 else {})
             for i, n in enumerate(names)]
    for f in admin.create_topics(specs, request_timeout=60).values():
        f.result(90)
    deadline = time.monotonic() + 60
    while len(describe_topic_entries(admin, names, 30)) < len(names):
        assert time.monotonic() < deadline, "the broker never described all 600 new topics"
        time.sleep(0.2)
    yield names
    for f in admin.delete_topics(names, request_timeout=60).values():
        f.result(90)
    dispose(admin)


def _librdkafka(conf, names):
    admin = AdminClient(conf)
    try:
        return describe_topic_entries(admin, names, 30, convert=TopicConfigConverter())
    finally:
        dispose(admin)


def test_the_wire_read_equals_librdkafkas_on_the_plain_listener(stack, topics):
    conf = {"bootstrap.servers": stack.bootstrap_servers}
    names = topics + [topics[0] + "-absent"]
    wire = topic_configs(settings_of(conf, 30), names, TopicConfigConverter().share)
    assert len(wire) == 600
    assert wire == _librdkafka(conf, names)
    assert wire[topics[1]][0] == {"retention.ms": "3600001", "cleanup.policy": "compact"}
    assert wire[topics[0]][0] == {}


def test_a_read_split_over_two_connections_equals_librdkafkas(stack, topics, monkeypatch):
    """Chunks of 100: the 600 names go over two connections, three requests each (as 1,000 names do with 250)."""
    monkeypatch.setattr(wire_configs, "CHUNK", 100)
    opened = []
    monkeypatch.setattr(wire_configs, "Connection", lambda settings: opened.append(1) or Connection(settings))
    conf = {"bootstrap.servers": stack.bootstrap_servers}
    wire = topic_configs(settings_of(conf, 30), topics, TopicConfigConverter().share)
    assert len(opened) == 2
    assert wire == _librdkafka(conf, topics)


def test_a_read_of_some_keys_equals_the_full_read_of_those_keys(stack, topics):
    """What apply's verification reads back (kplan.kinds.topic.io.writes.TopicWrites.wait_topics): only the keys it
    set."""
    conf = {"bootstrap.servers": stack.bootstrap_servers}
    keys = ("cleanup.policy", "retention.ms", "segment.bytes")
    some = topic_configs(settings_of(conf, 30), topics, TopicConfigConverter().share, keys)
    full = _librdkafka(conf, topics)
    assert len(some) == 600
    for name in topics:
        overrides, effective, _ = some[name]
        assert overrides == {k: v for k, v in full[name][0].items() if k in keys}
        assert effective == {k: v for k, v in full[name][1].items() if k in keys} and set(effective) == set(keys)


def test_the_wire_metadata_of_named_topics_equals_librdkafkas(stack, topics):
    """kplan.transport.wire.metadata against librdkafka's describe_topics: partitions, replicas, leaders, and an
    unknown name answered with UNKNOWN_TOPIC_OR_PARTITION, never created."""
    from confluent_kafka import TopicCollection

    conf = {"bootstrap.servers": stack.bootstrap_servers}
    absent = topics[0] + "-absent"
    shapes = topic_shapes(settings_of(conf, 30), topics + [absent])
    admin = AdminClient(conf)
    try:
        described = {}
        for name, f in admin.describe_topics(TopicCollection(topics)).items():
            d = f.result(30)
            described[name] = (0, len(d.partitions), max(len(p.replicas) for p in d.partitions),
                               all(p.leader is not None for p in d.partitions))
        assert {n: shapes[n] for n in topics} == described == {n: (0, 1, 1, True) for n in topics}
        assert shapes[absent][0] == 3
        assert absent not in admin.list_topics(timeout=30).topics
    finally:
        dispose(admin)


@pytest.mark.parametrize("wire", ["on", "off"])
def test_apply_verification_sees_the_same_through_the_wire_and_librdkafka(stack, topics, wire, monkeypatch):
    """TopicWrites' reads behind `wait_topics`: the shapes of named topics and their overrides among the keys set,
    through kplan's wire client and (KPLAN_WIRE=off) librdkafka; a config that differs is not taken as applied."""
    from types import SimpleNamespace

    import kplan.transport.wire.metadata as wire_metadata
    from kplan.errors import WriteError
    from kplan.kinds.topic.io.writes import TopicWrites
    from kplan.model.desired import ClusterSpec
    from kplan.transport.admin import AdminSession

    if wire == "off":
        monkeypatch.setenv("KPLAN_WIRE", "off")
    used: list[str] = []
    for module, name in ((wire_metadata, "topic_shapes"), (wire_configs, "topic_configs")):
        real = getattr(module, name)
        monkeypatch.setattr(module, name, lambda *a, _real=real, _name=name: used.append(_name) or _real(*a))
    writer = TopicWrites(SimpleNamespace(kafka=AdminSession(ClusterSpec(stack.bootstrap_servers, timeout_s=10)),
                                         wire=None))
    try:
        absent = topics[0] + "-absent"
        assert writer._metadata_of(topics[:50] + [absent]) == {n: (1, 1) for n in topics[:50]}
        assert writer._topic_overrides(topics[:3], ["retention.ms"]) == {
            topics[0]: {}, topics[1]: {"retention.ms": "3600001"}, topics[2]: {"retention.ms": "3600002"}}
        writer.wait_topics({topics[1]: (1, 1, {"retention.ms": "3600001", "cleanup.policy": "compact",
                                               "segment.bytes": None}),
                            topics[0]: (1, 1, {"retention.ms": None})})
        with pytest.raises(WriteError, match=topics[2]):
            writer.wait_topics({topics[2]: (1, 1, {"retention.ms": "1"})}, timeout_s=0.5)
        assert set(used) == ({"topic_shapes", "topic_configs"} if wire == "on" else set())
    finally:
        writer.kafka.close()


@pytest.mark.parametrize("mechanism, tls", [
    ("SCRAM-SHA-512", {}), ("PLAIN", {}),
    ("SCRAM-SHA-512", {"ssl.endpoint.identification.algorithm": "none"}),
    ("SCRAM-SHA-512", {"ssl.ca.location": None, "enable.ssl.certificate.verification": "false"}),
])
def test_the_wire_read_equals_librdkafkas_through_sasl_ssl(secured, topics, mechanism, tls):
    conf = {k: v for k, v in {**secured.kafka_config(mechanism), **tls}.items() if v is not None}
    wire = topic_configs(settings_of(conf, 30), topics[:300], TopicConfigConverter().share)
    assert wire == _librdkafka(conf, topics[:300])
    assert len(wire) == 300
    assert topic_shapes(settings_of(conf, 30), topics[:300]) == {n: (0, 1, 1, True) for n in topics[:300]}


def test_the_wire_read_logs_in_with_msk_iam_tokens(stack, topics, monkeypatch):
    """cluster.client.aws_msk_iam: kplan signs the tokens (kplan.transport.oauth) and every client logs in with them
    over OAUTHBEARER, the fast read too (it read through librdkafka before); the MSK listener accepts only tokens
    whose SigV4 signature it recomputes (test_msk_signature.py)."""
    from kplan.kinds.topic.io.describe import describe_wire
    from kplan.model.desired import ClusterSpec, freeze
    from kplan.transport.kafka import client_config
    from localstack import msk_local

    for k, v in msk_local.fake_aws_env().items():
        monkeypatch.setenv(k, v)
    cluster = ClusterSpec(msk_local.MSK_BOOTSTRAP, client_properties=freeze({"security.protocol": "SASL_PLAINTEXT"}),
                          aws_msk_iam=freeze({"region": msk_local.MSK_REGION}), timeout_s=20)
    wire = describe_wire(client_config(cluster), topics[:50], 20, TopicConfigConverter().share)
    assert wire == _librdkafka({"bootstrap.servers": stack.bootstrap_servers}, topics[:50])


def test_an_unknown_ca_is_refused_on_the_wire(secured, topics):
    """Without the local CA (verification on, the system's store), the broker's certificate is not trusted."""
    conf = {k: v for k, v in secured.kafka_config().items() if k != "ssl.ca.location"}
    with pytest.raises(WireError, match="TLS"):
        topic_configs(settings_of(conf, 10), topics[:5], TopicConfigConverter().share)


def test_a_wrong_password_is_refused_on_the_wire(secured, topics):
    with pytest.raises(WireError, match="refused"):
        topic_configs(settings_of(secured.kafka_config(password="not-the-password"), 30), topics[:5],
                      TopicConfigConverter().share)


def test_a_principal_without_describe_configs_falls_back_to_librdkafkas_line(secured, topics, unique):
    user, password = unique("wire-nobody"), "wire-powerless-pw-1"
    admin = AdminClient(secured.kafka_config())
    info = ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 8192)
    for f in admin.alter_user_scram_credentials([UserScramCredentialUpsertion(user, info, password.encode())]).values():
        f.result(20)
    # it may see the topic, not its configs (in the broker's authorizer when this returns)
    by_hand.create_acls(admin, [AclBinding(ResourceType.TOPIC, topics[0], ResourcePatternType.LITERAL,
                                           f"User:{user}", "*", AclOperation.DESCRIBE, AclPermissionType.ALLOW)])
    conf = secured.kafka_config(user=user, password=password)
    deadline = time.monotonic() + 30
    while True:  # a new SCRAM credential reaches the listener a moment after it is stored
        try:
            topic_configs(settings_of(conf, 20), topics[:1], TopicConfigConverter().share)
        except WireError as e:
            if "login" not in str(e) or time.monotonic() > deadline:
                break
            time.sleep(0.2)
    mine = AdminClient(conf)
    try:
        with pytest.raises(WireError, match="error 29"):  # TOPIC_AUTHORIZATION_FAILED
            topic_configs(settings_of(conf, 20), topics[:1], TopicConfigConverter().share)
        with pytest.raises(KplanError) as e:
            describe_plain(mine, topics[:1], 20, f"User:{user}", conf=conf)
        assert "DESCRIBE_CONFIGS" in str(e.value) and topics[0] in str(e.value)
    finally:
        dispose(mine)
        for f in admin.delete_acls([AclBindingFilter(ResourceType.ANY, None, ResourcePatternType.ANY, f"User:{user}",
                                                     None, AclOperation.ANY, AclPermissionType.ANY)]).values():
            f.result(30)
        for f in admin.alter_user_scram_credentials(
                [UserScramCredentialDeletion(user, ScramMechanism.SCRAM_SHA_512)]).values():
            f.result(20)
        dispose(admin)
