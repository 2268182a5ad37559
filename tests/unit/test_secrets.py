"""kplan.secrets: sensitive keys, secret references (resolved only at the edge), masking."""

import pytest

from kplan.errors import KplanError
from kplan.secrets import (
    MASK,
    display_value,
    has_secret_ref,
    is_reference_only,
    is_sensitive_key,
    secret_ref_problem,
)
from kplan.stackfile.references import resolve_references


def resolve_secrets(value: str, environ: dict[str, str]) -> str:
    """One value with its references resolved, as the edge resolves a stack's (`resolve_stack_secrets`)."""
    return resolve_references([value], environ).substitute(value)


@pytest.mark.parametrize("key", [
    "database.password", "ssl.key.password", "ssl.keystore.password", "sasl.password", "connection.password",
    "password", "db_password", "sasl.jaas.config", "producer.override.sasl.jaas.config", "basic.auth.user.info",
    "schema.registry.basic.auth.user.info", "aws.secret.access.key", "client.secret",
    "sasl.oauthbearer.client.credentials.client.secret", "aws.access.key", "ssl.keystore.key", "ssl.key.pem",
    "api.token", "oauth.token", "gcs.credentials.json", "private.key", "ssl.key.passphrase", "DATABASE.PASSWORD",
])
def test_sensitive_keys(key):
    assert is_sensitive_key(key)


@pytest.mark.parametrize("key", [
    "ssl.key.location", "ssl.keystore.location", "sasl.oauthbearer.token.endpoint.url", "key.converter",
    "key.converter.schemas.enable", "message.key.columns", "database.user", "database.hostname", "topic.prefix",
    "slot.name", "publication.name", "sasl.mechanism", "ssl.keystore.type", "tasks.max", "", "ssl.secret.file",
    "secret.provider", "token.refresh.ms",
])
def test_not_sensitive_keys(key):
    assert not is_sensitive_key(key)


def test_has_secret_ref():
    assert has_secret_ref("${secret:env:PW}")
    assert has_secret_ref("user=a password=${secret:file:/run/pw}")
    assert not has_secret_ref("${file:/etc/x.properties:pw}")
    assert not has_secret_ref("${env:PW}")
    assert not has_secret_ref("plain")
    assert not has_secret_ref(None)
    assert not has_secret_ref(3)


def test_resolve_env_secret():
    assert resolve_secrets("${secret:env:PW}", {"PW": "s3cret"}) == "s3cret"
    assert resolve_secrets('a ${secret:env:U} b ${secret:env:PW}', {"U": "u", "PW": "p"}) == "a u b p"


def test_resolve_leaves_provider_refs_and_plain_text():
    assert resolve_secrets("${file:/x:y}", {}) == "${file:/x:y}"
    assert resolve_secrets("plain", {}) == "plain"


def test_resolve_file_secret(tmp_path):
    f = tmp_path / "pw"
    f.write_text("hunter2\n")
    assert resolve_secrets(f"${{secret:file:{f}}}", {}) == "hunter2"


def test_missing_env_variable_names_it_without_the_value():
    with pytest.raises(KplanError) as e:
        resolve_secrets("${secret:env:KPLAN_PG_PASSWORD}", {"OTHER": "x"})
    assert "KPLAN_PG_PASSWORD" in str(e.value)
    assert "is not set" in str(e.value)


def test_unreadable_secret_file(tmp_path):
    with pytest.raises(KplanError) as e:
        resolve_secrets(f"${{secret:file:{tmp_path}/nope}}", {})
    assert "cannot read the file" in str(e.value)


def test_malformed_secret_refs():
    assert secret_ref_problem("${secret:vault:x}") is not None
    assert "not an environment variable name" in secret_ref_problem("${secret:env:1X}")
    assert "file path is empty" in secret_ref_problem("${secret:file:}")
    assert "unterminated" in secret_ref_problem("${secret:env:X")
    assert secret_ref_problem("${secret:env:X} and ${secret:file:/a}") is None
    with pytest.raises(KplanError):
        resolve_secrets("${secret:bogus}", {})


def test_mask_and_display():
    assert MASK == "(sensitive)"
    assert display_value("database.password", "plain") == MASK
    assert display_value("database.password", "${secret:env:PW}") == "${secret:env:PW}"
    assert display_value("database.password", "${file:/s.properties:pw}") == "${file:/s.properties:pw}"
    assert display_value("sasl.jaas.config", 'x password="${secret:env:P}";') == MASK
    assert display_value("database.user", "postgres") == "postgres"
    assert display_value("custom", "v", frozenset({"custom"})) == MASK


def test_reference_only():
    assert is_reference_only("${secret:env:A}")
    assert is_reference_only(" ${env:A} ")
    assert not is_reference_only("x${env:A}")
    assert not is_reference_only("${env:A}${env:B}")
