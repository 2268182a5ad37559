"""kplan over OAUTHBEARER, on the local stack's OIDC and MSK listeners (dev/localstack/oidc.py, msk_local.py).

OIDC: a real identity provider (Keycloak) issues client-credentials tokens; the broker's OIDC listener checks their
signature, issuer, audience and expiry, with ACLs enforced. kplan logs in with librdkafka's OIDC method (topics,
ACLs, its own records) and with client credentials it fetches itself for its own Kafka client (the quota, the fast
topic-config read): plan, apply, plan again (no changes) and destroy topics, ACLs, a connector and a quota. A wrong
client secret, a token from a realm the broker does not trust, a token endpoint that does not exist, and a token
already expired are one line each, never a traceback, never the secret.

MSK IAM: `cluster.client.aws_msk_iam` with fake static AWS credentials; the MSK listener accepts only tokens whose
SigV4 signature it recomputes with those credentials (test_msk_signature.py shows it refuses the rest), so a topic
and a quota applied and destroyed there prove that every client kplan opens (confluent-kafka through oauth_cb,
kplan's own Kafka client from the same source) sent a correctly signed one.
"""

from __future__ import annotations

import time

import pytest
import requests
from confluent_kafka.admin import AclBindingFilter, AclOperation, AclPermissionType, ResourcePatternType, ResourceType
from kafka.admin import KafkaAdminClient
from kplan_helpers import kplan, wait_for, write_stack
from test_quotas import broker_quotas, set_by_hand

from kplan.transport.kafka import dispose

FILE_SOURCE = "org.apache.kafka.connect.file.FileStreamSourceConnector"
SECRET_VAR = "KPLAN_TEST_OIDC_SECRET"


def _oidc_client(oidc, realm: str | None = None) -> dict:
    conf = oidc.client_config(secret="${secret:env:%s}" % SECRET_VAR, realm=realm or oidc.REALM)
    conf.pop("bootstrap.servers")
    return conf


def _doc(stack, oidc, name: str, tmp_path, *, realm: str | None = None, full: bool = True) -> dict:
    doc: dict = {"stack": name,  # a refused login is reported once cluster.timeout has passed: short for those
                 "cluster": {"bootstrap_servers": oidc.OIDC_BOOTSTRAP, "timeout": "10s" if full else "3s",
                             "client": _oidc_client(oidc, realm)},
                 "topics": [{"name": f"{name}.lines", "partitions": 1, "replication_factor": 1}]}
    if full:
        source = tmp_path / "in.txt"
        source.write_text("one\ntwo\n")
        doc["cluster"]["connect_url"] = stack.connect_url
        doc["connectors"] = [{"name": f"{name}-src", "class": FILE_SOURCE,
                              "config": {"file": str(source), "topic": f"{name}.lines"}}]
        doc["acls"] = [{"principal": f"User:{oidc.APP_CLIENT}", "consume": {"topics": [f"{name}.lines"],
                                                                              "groups": [f"{name}-g"]}}]
        doc["quotas"] = [{"user": f"{name}-q", "producer_byte_rate": "1MiB"}]
    return doc


@pytest.fixture
def admin(stack):
    from confluent_kafka.admin import AdminClient

    client = AdminClient({"bootstrap.servers": stack.bootstrap_servers})
    yield client
    dispose(client)


@pytest.fixture
def qadmin(stack):
    client = KafkaAdminClient(bootstrap_servers=stack.bootstrap_servers)
    yield client
    client.close()


def _app_acls(admin, name: str) -> list:
    f = AclBindingFilter(ResourceType.ANY, None, ResourcePatternType.ANY, "User:app", None, AclOperation.ANY,
                         AclPermissionType.ANY)
    return [b for b in admin.describe_acls(f).result(30) if b.name.startswith(name)]


def _one_line(r, *secrets: str) -> str:
    """The run's error: one line, no traceback, no secret."""
    assert r.code == 1, r.text
    assert "Traceback" not in r.text, r.text
    for s in secrets:
        assert s not in r.text, r.text
    errors = [line for line in r.err.splitlines() if line.strip()]
    assert len(errors) == 1, r.text
    return errors[0]


def test_plan_apply_destroy_of_topics_acls_a_connector_and_a_quota_with_oidc_tokens(stack, oidc, admin, qadmin,
                                                                                    unique, tmp_path):
    name = unique("oidc")
    env = {SECRET_VAR: oidc.KPLAN_CLIENT_SECRET}
    path = write_stack(tmp_path / "s.yaml", _doc(stack, oidc, name, tmp_path))
    try:
        r = kplan("apply", str(path), "--auto-approve", env=env)
        assert r.code == 0, r.text
        assert oidc.KPLAN_CLIENT_SECRET not in r.text
        assert f"{name}.lines" in admin.list_topics(timeout=10).topics
        assert {(b.operation, b.name) for b in _app_acls(admin, name)} == {
            (AclOperation.READ, f"{name}.lines"), (AclOperation.DESCRIBE, f"{name}.lines"),
            (AclOperation.READ, f"{name}-g")}
        assert broker_quotas(qadmin, f"{name}-q") == {"producer_byte_rate": 1024 * 1024.0}
        wait_for(lambda: requests.get(f"{stack.connect_url}/connectors/{name}-src/status", timeout=10)
                 .json().get("connector", {}).get("state") == "RUNNING", timeout=30, what="connector running")
        r = kplan("plan", str(path), "--detailed-exitcode", env=env)
        assert r.code == 0 and "No changes" in r.text, r.text
        r = kplan("destroy", str(path), "--auto-approve", env=env)
        assert r.code == 0, r.text
        assert oidc.KPLAN_CLIENT_SECRET not in r.text
        wait_for(lambda: f"{name}.lines" not in admin.list_topics(timeout=10).topics, timeout=30, what="topic gone")
        assert _app_acls(admin, name) == []
        assert broker_quotas(qadmin, f"{name}-q") == {}
        assert requests.get(f"{stack.connect_url}/connectors/{name}-src", timeout=10).status_code == 404
    finally:
        set_by_hand(qadmin, f"{name}-q", {"producer_byte_rate": None})
        requests.delete(f"{stack.connect_url}/connectors/{name}-src", timeout=60)


def test_a_wrong_client_secret_is_one_line(stack, oidc, unique, tmp_path):
    path = write_stack(tmp_path / "s.yaml", _doc(stack, oidc, unique("oidc-bad"), tmp_path, full=False))
    wrong = "not-the-oidc-secret-4711"
    line = _one_line(kplan("plan", str(path), env={SECRET_VAR: wrong}), wrong, oidc.KPLAN_CLIENT_SECRET)
    assert "Failed to acquire SASL OAUTHBEARER token" in line and "unauthorized_client" in line, line
    assert "check sasl.oauthbearer.client.id, sasl.oauthbearer.client.secret" in line, line


def test_a_token_from_a_realm_the_broker_does_not_trust_is_one_line(stack, oidc, unique, tmp_path):
    path = write_stack(tmp_path / "s.yaml", _doc(stack, oidc, unique("oidc-iss"), tmp_path, realm=oidc.OTHER_REALM,
                                                 full=False))
    line = _one_line(kplan("plan", str(path), env={SECRET_VAR: oidc.KPLAN_CLIENT_SECRET}), oidc.KPLAN_CLIENT_SECRET)
    assert "invalid_token" in line and "the broker refused the token" in line, line


def test_a_token_endpoint_that_does_not_exist_is_one_line(stack, oidc, unique, tmp_path):
    path = write_stack(tmp_path / "s.yaml", _doc(stack, oidc, unique("oidc-url"), tmp_path, realm="no-such-realm",
                                                 full=False))
    line = _one_line(kplan("plan", str(path), env={SECRET_VAR: oidc.KPLAN_CLIENT_SECRET}), oidc.KPLAN_CLIENT_SECRET)
    assert "no token from the identity provider" in line and "sasl.oauthbearer.token.endpoint.url" in line, line


def test_kplans_own_tokens_come_from_the_provider_and_refresh_before_expiry(oidc):
    """kplan's own client-credentials source (its own Kafka client's tokens): a real token, reused until 80% of its
    lifetime, then fetched again; a token already expired by this machine's clock, a wrong secret and a missing
    realm are one line each."""
    from kplan.errors import KplanError
    from kplan.transport.oauth import ClientCredentials

    now = [time.time()]
    source = ClientCredentials(oidc.token_url(), oidc.KPLAN_CLIENT, oidc.KPLAN_CLIENT_SECRET, clock=lambda: now[0])
    token, expires_at = source.token()
    # the realm's tokens live 300 s; `exp` is whole seconds from when the provider issued it, after `now` was read
    # (seen: 300.008 s in a clean-clone CI run), hence the one second of resolution
    assert token.count(".") == 2 and 200 < expires_at - now[0] <= 301
    assert source.token() == (token, expires_at) and source.fetches == 1
    now[0] += (expires_at - now[0]) * 0.81
    assert source.token()[1] >= expires_at and source.fetches == 2

    late = ClientCredentials(oidc.token_url(), oidc.KPLAN_CLIENT, oidc.KPLAN_CLIENT_SECRET,
                             clock=lambda: time.time() + 3600)  # this machine's clock an hour ahead
    with pytest.raises(KplanError, match="had already expired when kplan received it") as e:
        late.token()
    assert "\n" not in str(e.value)
    with pytest.raises(KplanError, match="refused client 'kplan' \\(unauthorized_client\\)") as e:
        ClientCredentials(oidc.token_url(), oidc.KPLAN_CLIENT, "wrong-secret-0815").token()
    assert "wrong-secret-0815" not in str(e.value)
    with pytest.raises(KplanError, match="HTTP 404"):
        ClientCredentials(oidc.token_url("no-such-realm"), oidc.KPLAN_CLIENT, oidc.KPLAN_CLIENT_SECRET).token()


def test_kplans_own_client_logs_in_with_oidc_tokens_and_a_refused_token_is_one_line(stack, oidc):
    """kplan's own Kafka client (the fast topic-config read; quotas, reassignments, broker and group configs, share
    groups) on the OIDC listener: a token from the provider the broker trusts is accepted (the read equals the plain
    listener's); one from a realm it does not trust is refused, the broker's answer in the line (RFC 7628: a refused
    token is answered with why, the client's 0x01, then the failure)."""
    from kplan.kinds.topic.io.describe import TopicConfigConverter
    from kplan.transport.wire.codec import WireError
    from kplan.transport.wire.configs import topic_configs
    from kplan.transport.wire.connection import settings_of

    names, share = ["__consumer_offsets"], TopicConfigConverter().share
    plain = topic_configs(settings_of({"bootstrap.servers": stack.bootstrap_servers}, 20), names, share)
    assert topic_configs(settings_of(oidc.client_config(), 20), names, share) == plain
    with pytest.raises(WireError, match=r"refused kplan's OAUTHBEARER login \(.*invalid_token") as e:
        topic_configs(settings_of(oidc.client_config(realm=oidc.OTHER_REALM), 20), names, share)
    assert "\n" not in str(e.value) and oidc.KPLAN_CLIENT_SECRET not in str(e.value)


def test_msk_iam_tokens_reach_every_client(stack, qadmin, admin, unique, tmp_path):
    """The MSK listener accepts only correctly signed tokens (the local stand-in verifies the SigV4 signature):
    a topic (confluent-kafka) and a quota (kplan's own Kafka client) applied, planned clean and destroyed through it."""
    from localstack import msk_local

    name = unique("msk")
    doc = {"stack": name,
           "cluster": {"bootstrap_servers": msk_local.MSK_BOOTSTRAP, "timeout": "10s",
                       "client": msk_local.client_properties()},
           "topics": [{"name": f"{name}.t", "partitions": 1, "replication_factor": 1}],
           "quotas": [{"user": f"{name}-q", "consumer_byte_rate": "2MiB"}]}
    path = write_stack(tmp_path / "s.yaml", doc)
    env = msk_local.fake_aws_env()
    try:
        r = kplan("apply", str(path), "--auto-approve", env=env)
        assert r.code == 0, r.text
        assert msk_local.MSK_SECRET_ACCESS_KEY not in r.text
        assert f"{name}.t" in admin.list_topics(timeout=10).topics
        assert broker_quotas(qadmin, f"{name}-q") == {"consumer_byte_rate": 2 * 1024 * 1024.0}
        r = kplan("plan", str(path), "--detailed-exitcode", env=env)
        assert r.code == 0 and "No changes" in r.text, r.text
        r = kplan("destroy", str(path), "--auto-approve", env=env)
        assert r.code == 0, r.text
        assert broker_quotas(qadmin, f"{name}-q") == {}
        # without credentials the signer cannot sign: one line, no traceback
        r = kplan("plan", str(path), env={"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "",
                                          "AWS_EC2_METADATA_DISABLED": "true", "AWS_CONFIG_FILE": "/nonexistent",
                                          "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent"})
        line = _one_line(r)
        assert line.endswith("cannot sign an AWS MSK IAM token with the default AWS credential chain in region "
                             "eu-west-1: no AWS credentials found"), line
    finally:
        set_by_hand(qadmin, f"{name}-q", {"consumer_byte_rate": None})
