"""The broker's MSK listener (dev/localstack/msk_local.py, dev/conf/msk/MskIamLocalValidator.java) checks the SigV4
signature of an AWS MSK IAM token, as MSK does, so that kplan's MSK path can fail here: a token made by AWS's signer
library (aws-msk-iam-sasl-signer-python, what kplan sends) with the tests' fake key pair is accepted; one signed with
another secret key, for another region, expired, dated in the future, or with a signed field changed is refused.

Each token is offered by a bare librdkafka client (its `oauth_cb`) on the listener: accepted means the broker answered a
metadata request; refused means librdkafka reported the broker's SASL authentication failure."""

from __future__ import annotations

import base64
import datetime
import time

import pytest
from confluent_kafka import KafkaError
from confluent_kafka.admin import AdminClient

from localstack import msk_local


def _signed(monkeypatch, region: str = msk_local.MSK_REGION, secret: str = msk_local.MSK_SECRET_ACCESS_KEY,
            shift: datetime.timedelta | None = None) -> str:
    """A token from AWS's signer library with the fake access key id and `secret`, for `region`, signed `shift`
    away from now."""
    from aws_msk_iam_sasl_signer import MSKAuthTokenProvider

    for k, v in msk_local.fake_aws_env().items():
        monkeypatch.setenv(k, v)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", secret)
    for k in ("AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(k, raising=False)
    if shift is not None:
        import botocore.auth
        from botocore.compat import get_current_datetime

        monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: get_current_datetime() + shift)
    token, _ = MSKAuthTokenProvider.generate_auth_token(region)
    monkeypatch.undo()
    return token


def _url(token: str) -> str:
    return base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()


def _token(url: str) -> str:
    return base64.urlsafe_b64encode(url.encode()).decode().rstrip("=")


def _accepted(token: str) -> bool:
    """True when the MSK listener lets a client holding `token` in (it answers metadata), False when it refuses it
    (librdkafka reports an authentication error); anything else within 60 s fails the test."""
    errors: list[KafkaError] = []
    admin = AdminClient({"bootstrap.servers": msk_local.MSK_BOOTSTRAP, "security.protocol": "SASL_PLAINTEXT",
                         "sasl.mechanisms": "OAUTHBEARER", "oauth_cb": lambda _: (token, time.time() + 600),
                         "error_cb": errors.append, "reconnect.backoff.max.ms": 1000})
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        admin.poll(0.5)  # the oauth_cb runs when polled
        if any(e.code() == KafkaError._AUTHENTICATION for e in errors):
            return False
        try:
            admin.list_topics(timeout=2)
            return True
        except Exception:  # noqa: BLE001 - not answered yet (or refused: the error_cb says which, next round)
            continue
    pytest.fail(f"the MSK listener neither accepted nor refused the token within 60 s: {errors}")


def test_the_signer_librarys_token_with_the_right_key_is_accepted(stack, monkeypatch):
    assert _accepted(_signed(monkeypatch))


@pytest.mark.parametrize("what, kwargs", [
    ("another secret key", {"secret": "not-" + msk_local.MSK_SECRET_ACCESS_KEY}),
    ("another region", {"region": "us-east-1"}),
    ("expired (signed 20 minutes ago, valid 15)", {"shift": datetime.timedelta(minutes=-20)}),
    ("dated an hour ahead", {"shift": datetime.timedelta(hours=1)}),
])
def test_a_wrongly_signed_token_is_refused(stack, monkeypatch, what, kwargs):
    assert not _accepted(_signed(monkeypatch, **kwargs)), what


@pytest.mark.parametrize("field, old, new", [
    ("X-Amz-Date: one second later", "X-Amz-Date=", None),
    ("X-Amz-Expires", "X-Amz-Expires=900", "X-Amz-Expires=901"),
    ("the access key id", f"Credential={msk_local.MSK_ACCESS_KEY_ID}", "Credential=AKIAKPLANLOCALTESX"),
    ("the Action", "Action=kafka-cluster%3AConnect", "Action=kafka-cluster%3AConnecT"),
    ("the signature's last digit", "X-Amz-Signature=", None),
])
def test_a_token_with_a_changed_field_is_refused(stack, monkeypatch, field, old, new):
    url = _url(_signed(monkeypatch))
    assert old in url, url
    if field.startswith("X-Amz-Date"):
        stamp = url.split("X-Amz-Date=")[1][:16]
        later = (datetime.datetime.strptime(stamp, "%Y%m%dT%H%M%SZ") + datetime.timedelta(seconds=1))
        tampered = url.replace(stamp, later.strftime("%Y%m%dT%H%M%SZ"))
    elif field.startswith("the signature"):
        sig = url.split("X-Amz-Signature=")[1][:64]
        tampered = url.replace(sig, sig[:-1] + ("0" if sig[-1] != "0" else "1"))
    else:
        tampered = url.replace(old, new)
    assert tampered != url
    assert not _accepted(_token(tampered)), field


def test_a_region_rewritten_after_signing_is_refused(stack, monkeypatch):
    """Signed with the right key for us-east-1, then host and credential scope rewritten to the cluster's region:
    only the signature tells."""
    url = _url(_signed(monkeypatch, region="us-east-1"))
    assert not _accepted(_token(url.replace("us-east-1", msk_local.MSK_REGION)))
