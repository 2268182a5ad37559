"""Secrets: which config keys are sensitive, kplan's own secret references, and masking.

A stack never needs a secret in plaintext. Two kinds of reference exist:

* Kafka Connect config-provider references (`${file:/path:key}`, `${env:NAME}`, `${vault:...}`, any
  `${<provider>:...}` other than `secret:`) are passed to Connect unresolved; the worker resolves them.
* kplan secret references, `${secret:env:NAME}` and `${secret:file:/path}`, stay unresolved in the loaded
  stack and are resolved only at the edge (apply, or comparing with a live value) by `resolve_secrets`.

Sensitive values are never printed: `mask()` replaces them with "(sensitive)".
"""

from __future__ import annotations

import os
import re
from typing import Mapping

from kplan.errors import KplanError

MASK = "(sensitive)"

# ${secret:env:NAME} or ${secret:file:/path/to/file}
SECRET_REF = re.compile(r"\$\{secret:(?P<kind>env|file):(?P<target>[^}]*)\}")
# Any ${...} reference: a kplan secret, or a Connect config-provider placeholder.
ANY_REF = re.compile(r"\$\{[^}]*\}")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

# Key fragments that mark a secret value (matched case-insensitively against the whole key).
_SENSITIVE_SUFFIXES = ("password", "passwd", "passphrase", ".key", ".secret", "_secret", ".token", "_token")
_SENSITIVE_CONTAINS = ("secret", "token", "credential", "private.key", "privatekey", "api.key", "apikey")
_SENSITIVE_EXACT = frozenset({"sasl.jaas.config", "basic.auth.user.info", "schema.registry.basic.auth.user.info"})
_SENSITIVE_PREFIXES = ("ssl.key.",)
# Keys that name *where* a secret lives or *how* it is used, not the secret itself: never sensitive.
_NOT_SENSITIVE_SUFFIXES = (
    ".location", ".file", ".path", ".url", ".uri", ".type", ".enable", ".enabled", ".algorithm", ".mechanism",
    ".provider", ".providers", ".class", ".ms", ".name", ".names", ".id.field", ".endpoint",
)


def is_sensitive_key(key: str) -> bool:
    """Whether a config key holds a secret: passwords, secrets, keys, tokens, JAAS configs, credentials.

    Matches `*password` (incl. `*.password`, `ssl.key.password`), `*passphrase`, `*secret*`, `*token*`,
    `*credential*`, `*.key` (e.g. `aws.access.key`), `ssl.key.*`, `*private.key*`, `*api.key*`,
    `sasl.jaas.config` (and `*.jaas.config`), `basic.auth.user.info`. Keys that only point at a secret or
    describe it (`*.location`, `*.file`, `*.path`, `*.url`, `*.type`, `*.algorithm`, `*.mechanism`, `*.class`,
    `*.ms`, ...) are not sensitive, e.g. `ssl.key.location`, `sasl.oauthbearer.token.endpoint.url`.
    """
    k = key.strip().lower()
    if not k:
        return False
    if k in _SENSITIVE_EXACT or k.endswith(".jaas.config") or k.endswith(".basic.auth.user.info"):
        return True
    if k.endswith("password") or k.endswith("passphrase"):
        return True
    if k.endswith(_NOT_SENSITIVE_SUFFIXES):
        return False
    if k.startswith(_SENSITIVE_PREFIXES) or k.endswith(_SENSITIVE_SUFFIXES):
        return True
    return any(part in k for part in _SENSITIVE_CONTAINS)


def has_secret_ref(value: object) -> bool:
    """Whether a value contains a kplan secret reference (`${secret:...}`)."""
    return isinstance(value, str) and "${secret:" in value


def is_reference_only(value: object) -> bool:
    """Whether a value is exactly one `${...}` reference (a secret or a Connect provider placeholder): such a
    value names where a secret lives and may be shown; anything else in a sensitive key is masked."""
    return isinstance(value, str) and ANY_REF.fullmatch(value.strip()) is not None


def secret_ref_problem(value: str) -> str | None:
    """A message for the first malformed `${secret:...}` reference in `value`, or None when all are valid."""
    start = 0
    while (i := value.find("${secret:", start)) >= 0:
        end = value.find("}", i)
        if end < 0:
            return "unterminated secret reference (missing '}')"
        ref = value[i : end + 1]
        m = SECRET_REF.fullmatch(ref)
        if m is None:
            return f"malformed secret reference {ref!r}: use ${{secret:env:NAME}} or ${{secret:file:/path}}"
        if m["kind"] == "env" and not _ENV_NAME.match(m["target"]):
            return f"malformed secret reference {ref!r}: {m['target']!r} is not an environment variable name"
        if m["kind"] == "file" and not m["target"]:
            return f"malformed secret reference {ref!r}: the file path is empty"
        start = end + 1
    return None


def resolve_secrets(value: str, environ: Mapping[str, str] | None = None) -> str:
    """Replace every `${secret:...}` reference in `value` with the secret itself.

    Used only at the edge (apply, comparing with live values). Raises KplanError naming the missing variable
    or unreadable file; the message never contains a secret value. Connect provider references are left as is.
    """
    if not has_secret_ref(value):
        return value
    problem = secret_ref_problem(value)
    if problem:
        raise KplanError(problem)
    env = os.environ if environ is None else environ

    def one(m: re.Match) -> str:
        if m["kind"] == "env":
            name = m["target"]
            if name not in env:
                raise KplanError(f"secret reference ${{secret:env:{name}}}: environment variable {name} is not set")
            return env[name]
        path = m["target"]
        try:
            with open(path, encoding="utf-8") as f:
                return f.read().rstrip("\r\n")
        except OSError as e:
            raise KplanError(f"secret reference ${{secret:file:{path}}}: cannot read the file ({e.strerror})") from None
        except UnicodeDecodeError:
            raise KplanError(f"secret reference ${{secret:file:{path}}}: the file is not UTF-8 text") from None

    return SECRET_REF.sub(one, value)


def mask(value: object = None) -> str:
    """What is printed instead of a sensitive value."""
    return MASK


def display_value(key: str, value: str, sensitive_keys: frozenset[str] | set[str] = frozenset()) -> str:
    """A value as it may be printed: sensitive values are masked unless the value is only a reference."""
    if (key in sensitive_keys or is_sensitive_key(key) or has_secret_ref(value)) and not is_reference_only(value):
        return MASK
    return value
