"""OAUTHBEARER settings without a cluster: the stack's cluster.client.aws_msk_iam, kplan's own Kafka client's
translation of librdkafka's OIDC settings, the JWT expiry read and the refresh rule (the token paths themselves run
against the local Keycloak and the MSK listener: tests/integration/test_oidc.py)."""

from __future__ import annotations

import base64
import json
import textwrap

import pytest

from kplan.errors import KplanError
from kplan.model.desired import ClusterSpec, freeze
from kplan.secrets import SecretValues
from kplan.stackfile import validate_stack
from kplan.transport.kafka import client_config
from kplan.transport.oauth import TokenSource, _jwt_exp
from kplan.transport.wire.client import open_client


def _stack(tmp_path, client: str):
    p = tmp_path / "s.yaml"
    p.write_text(textwrap.dedent(f"""\
        stack: s
        cluster:
          bootstrap_servers: "k:9098"
          client: {client}
        """))
    stack, diags = validate_stack(p, None, {})
    return stack, [d.message for d in diags if d.severity == "error"]


def test_aws_msk_iam_is_read_from_cluster_client(tmp_path):
    stack, errors = _stack(tmp_path, '{aws_msk_iam: {region: eu-west-1, role_arn: "arn:aws:iam::1:role/k"}}')
    assert errors == []
    assert dict(stack.cluster.aws_msk_iam) == {"region": "eu-west-1", "role_arn": "arn:aws:iam::1:role/k"}
    assert "aws_msk_iam" not in stack.cluster.client_properties


@pytest.mark.parametrize("value, fragment", [
    ("{profile: p}", "region"),
    ("{region: eu-west-1, colour: blue}", "colour"),
    ("{region: eu-west-1, profile: p, role_arn: r}", "not both"),
])
def test_a_wrong_aws_msk_iam_setting_is_an_error(tmp_path, value, fragment):
    _, errors = _stack(tmp_path, "{aws_msk_iam: %s}" % value)
    assert errors and any(fragment in e for e in errors), errors


def test_kplans_own_client_fetches_tokens_for_librdkafkas_oidc_method(monkeypatch):
    import kplan.transport.kafka as k

    fetched: list = []

    class Fixed(TokenSource):
        def _fetch(self):
            return "from-the-endpoint", self._clock() + 900

    monkeypatch.setattr(k, "_SOURCES", {})
    monkeypatch.setattr("kplan.transport.oauth.ClientCredentials", lambda *a: fetched.append(a) or Fixed())
    cluster = ClusterSpec("a:1", client_properties=freeze({
        "security.protocol": "SASL_SSL", "sasl.mechanisms": "OAUTHBEARER", "sasl.oauthbearer.method": "oidc",
        "sasl.oauthbearer.client.id": "kplan", "sasl.oauthbearer.client.secret": "${secret:env:S}",
        "sasl.oauthbearer.token.endpoint.url": "https://idp.example/token"}))
    settings = open_client(cluster, SecretValues({"${secret:env:S}": "oidc-secret-1"})).settings
    assert settings.mechanism == "OAUTHBEARER" and settings.token is not None
    assert settings.token() == "from-the-endpoint"
    assert fetched == [("https://idp.example/token", "kplan", "oidc-secret-1", None, settings.timeout_s, None)]
    assert "oidc-secret-1" not in repr(settings)


def test_oauthbearer_without_the_oidc_method_is_one_line_for_kplans_own_client():
    cluster = ClusterSpec("a:1", client_properties=freeze({"security.protocol": "SASL_SSL",
                                                          "sasl.mechanisms": "OAUTHBEARER"}))
    with pytest.raises(KplanError, match="sasl.oauthbearer.method oidc") as e:
        open_client(cluster)
    assert "\n" not in str(e.value)


def test_aws_msk_iam_makes_every_librdkafka_client_use_oauthbearer(monkeypatch):
    import kplan.transport.kafka as k

    class Fixed(TokenSource):
        def _fetch(self):
            return "signed", self._clock() + 900

    monkeypatch.setattr(k, "_SOURCES", {})
    monkeypatch.setattr("kplan.transport.oauth.MskIam", lambda *a: Fixed())
    cluster = ClusterSpec("a:1", aws_msk_iam=freeze({"region": "eu-west-1"}))
    conf = client_config(cluster)
    assert (conf["security.protocol"], conf["sasl.mechanisms"]) == ("SASL_SSL", "OAUTHBEARER")
    assert conf["oauth_cb"]("")[0] == "signed"


def test_a_token_is_reused_until_80_percent_of_its_lifetime_then_fetched_again():
    now = [1000.0]

    class Counting(TokenSource):
        def _fetch(self):
            return f"t{self.fetches}", now[0] + 100

    source = Counting(clock=lambda: now[0])
    assert source.token() == ("t0", 1100.0)
    now[0] = 1079.0
    assert source.token()[0] == "t0"
    now[0] = 1081.0
    assert source.token() == ("t1", 1181.0) and source.fetches == 2


def test_the_expiry_of_a_jwt_is_its_exp_claim():
    claims = base64.urlsafe_b64encode(json.dumps({"exp": 1234}).encode()).rstrip(b"=").decode()
    assert _jwt_exp(f"h.{claims}.s") == 1234.0
    assert _jwt_exp("not-a-jwt") is None
