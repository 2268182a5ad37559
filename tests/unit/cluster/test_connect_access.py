"""`cluster.connect`: Kafka Connect's URL, credentials (only as secret references), extra headers and TLS files,
as the loader reads and checks them, and as the Connect client is built from them (secrets substituted at the
edge, never in a message)."""

import textwrap

import pytest

from kplan.secrets import MASK, SecretValues
from kplan.stackfile import load_stack, validate_stack
from kplan.transport.connect import connect_client


def _stack(tmp_path, cluster: str, extra: str = ""):
    p = tmp_path / "stack.yaml"
    p.write_text(textwrap.dedent("""\
        stack: s
        cluster:
          bootstrap_servers: "k:9092"
        """) + textwrap.indent(textwrap.dedent(cluster), "  ") + textwrap.dedent(extra))
    return p


def _problems(tmp_path, cluster: str, severity="error"):
    _, diags = validate_stack(_stack(tmp_path, cluster), None, {})
    return [d.located() for d in diags if d.severity == severity]


def test_basic_auth_headers_and_tls_files_are_read_and_paths_resolved_against_the_stack_file(tmp_path):
    (tmp_path / "tls").mkdir()
    for name in ("ca.pem", "client.pem", "client.key"):
        (tmp_path / "tls" / name).write_text("x")
    stack = load_stack(_stack(tmp_path, """\
        connect:
          url: https://connect:8443/
          auth: {basic: {username: kplan, password: "${secret:env:CONNECT_PW}"}}
          headers: {X-Tenant: blue}
          ca: tls/ca.pem
          client_cert: tls/client.pem
          client_key: tls/client.key
        """), None, {})
    c = stack.cluster
    assert c.connect_url == "https://connect:8443"
    assert (c.connect.username, c.connect.password) == ("kplan", "${secret:env:CONNECT_PW}")
    assert dict(c.connect.headers) == {"X-Tenant": "blue"}
    assert c.connect.ca == str(tmp_path / "tls" / "ca.pem")
    assert c.connect.client_key == str(tmp_path / "tls" / "client.key")
    assert c.connect.verify is True


def test_connect_url_stays_the_shorthand(tmp_path):
    stack = load_stack(_stack(tmp_path, "connect_url: http://c:8083/\n"), None, {})
    assert stack.cluster.connect_url == "http://c:8083"
    assert not stack.cluster.connect.references()


@pytest.mark.parametrize("cluster,message", [
    ('connect: {url: "https://c", auth: {basic: {username: u, password: hunter2}}}',
     "connect.auth.basic.password must be a ${secret:env:NAME} or ${secret:file:PATH} reference"),
    ('connect: {url: "https://c", auth: {bearer: "eyJabc"}}', "connect.auth.bearer must be a ${secret:env:NAME}"),
    ('connect: {url: "https://c", headers: {Authorization: "Basic dTpw"}}',
     "connect.headers.Authorization looks like a credential"),
    ('connect: {url: "https://c", headers: {X-Api-Key: "k"}}', "connect.headers.X-Api-Key looks like a credential"),
    ('connect: {url: "https://c", ca: missing.pem}', "connect.ca: no such file"),
    ('connect: {url: "ftp://c"}', 'connect.url must be an http:// or https:// URL (got "ftp://c")'),
    ('connect_url: "http://c"\nconnect: {url: "http://c"}', "cluster sets both connect_url and connect"),
])
def test_mistakes_are_one_error_at_their_place(tmp_path, cluster, message):
    problems = _problems(tmp_path, cluster + "\n")
    assert len(problems) == 1, problems
    assert message in problems[0] and problems[0].startswith(f"{tmp_path / 'stack.yaml'}:"), problems
    assert "hunter2" not in problems[0] and "eyJabc" not in problems[0]


def test_turning_verification_off_is_a_warning(tmp_path):
    warnings = _problems(tmp_path, 'connect: {url: "https://c", verify: false}\n', severity="warning")
    assert any("connect.verify is false" in w for w in warnings), warnings


def test_the_client_substitutes_credentials_at_the_edge_and_never_shows_them(tmp_path):
    stack = load_stack(_stack(tmp_path, """\
        connect:
          url: https://c:8443
          auth: {bearer: "${secret:env:TOKEN}"}
          headers: {X-Tenant: "${secret:env:TENANT}"}
        """), None, {})
    secrets = SecretValues({"${secret:env:TOKEN}": "t0k3n-value", "${secret:env:TENANT}": "tenant-value"})
    http = connect_client(stack.cluster, secrets)
    assert http._session.headers["Authorization"] == "Bearer t0k3n-value"
    assert http._session.headers["X-Tenant"] == "tenant-value"
    assert http.scrub("a t0k3n-value b tenant-value") == f"a {MASK} b {MASK}"
    assert "t0k3n" not in repr(stack) and "tenant-value" not in repr(stack)


def _schema_headers_words() -> str:
    import json
    from importlib import resources

    schema = json.loads(resources.files("kplan").joinpath("schemas/stack.schema.json").read_text())
    return schema["$defs"]["connectWorker"]["properties"]["headers"]["description"]


@pytest.mark.parametrize("word", ["auth", "token", "key", "secret", "password", "cookie", "session"])
def test_each_credential_word_the_headers_row_names_makes_a_plain_header_an_error(tmp_path, word):
    """The words are written once (kplan.kinds.frame.CREDENTIAL_WORDS): the schema's words say them and the reader
    refuses a plain value for a header holding any of them, in either service."""
    from kplan.kinds.frame import CREDENTIAL_WORDS

    assert word in CREDENTIAL_WORDS and word in _schema_headers_words()
    header = f"X-My-{word.title()}"
    for service in ("connect", "schema_registry"):
        problems = _problems(tmp_path, f'{service}: {{url: "https://c", headers: {{{header}: plain}}}}\n')
        assert len(problems) == 1 and problems[0].endswith(
            f"{service}.headers.{header} looks like a credential: make its value a ${{secret:env:NAME}} or "
            "${secret:file:PATH} reference, never the value itself"), problems


def test_a_header_named_like_a_masked_config_key_is_a_credential_too(tmp_path):
    problems = _problems(tmp_path, 'connect: {url: "https://c", headers: {X-Credential: plain}}\n')
    assert len(problems) == 1 and "connect.headers.X-Credential looks like a credential" in problems[0], problems
    assert _problems(tmp_path, 'connect: {url: "https://c", headers: {X-Tenant: plain}}\n') == []


@pytest.mark.parametrize("registry, delete", [
    ("", "soft"), ('schema_registry: {url: "http://r:8081"}\n', "soft"),
    ('schema_registry: {url: "http://r:8081", delete: permanent}\n', "permanent")])
def test_the_registry_delete_is_the_rows_default_unless_the_stack_says_it(tmp_path, registry, delete):
    from kplan.kinds.frame import REGISTRY_DELETE

    assert REGISTRY_DELETE.default == "soft"
    stack = load_stack(_stack(tmp_path, registry or "connect_url: http://c:8083\n"), None, {})
    assert stack.cluster.registry_delete == delete
