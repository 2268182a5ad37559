"""The one secret policy: which config keys hold secrets, how a secret is masked, journaled and scrubbed.

Every output path (renderers, saved plans, the journal, error messages, status, logs) asks this module; nothing
else decides whether a key is sensitive or how a value is hidden. A security reviewer reads this file.

A stack never needs a secret in plaintext. Two kinds of reference exist:

* Kafka Connect config-provider references (`${file:/path:key}`, `${env:NAME}`, `${vault:...}`, any
  `${<provider>:...}` other than `secret:`) are passed to Connect unresolved; the worker resolves them.
* kplan secret references, `${secret:env:NAME}`, `${secret:file:/path}` and `${secret:cmd:NAME}` (the stdout of
  a command the stack configures under `secret_commands:`), stay unresolved in the loaded stack and are resolved
  only at the edge (apply, or comparing with a live value) by `resolve_stack_secrets`.

Sensitive values are never printed: they are replaced by `MASK`. Pure: resolving references (reading the
environment and secret files) happens at the edge (`kplan.stackfile.references`), which hands the planner and the
executor a `SecretValues` to substitute from.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from dataclasses import dataclass, field
from enum import Enum
from functools import lru_cache
from typing import Any, Iterable, Mapping

from kplan.errors import KplanError

MASK = "(sensitive)"

# ${secret:env:NAME}, ${secret:file:/path/to/file} or ${secret:cmd:NAME} (a configured secret command)
SECRET_REF = re.compile(r"\$\{secret:(?P<kind>env|file|cmd):(?P<target>[^}]*)\}")
# Any ${...} reference: a kplan secret, or a Connect config-provider placeholder.
ANY_REF = re.compile(r"\$\{[^}]*\}")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# The name of a secret command (`secret_commands:` key, `${secret:cmd:NAME}`).
COMMAND_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")

# Key fragments that mark a secret value (matched case-insensitively against the whole key).
_SENSITIVE_SUFFIXES = ("password", "passwd", "passphrase", ".key", ".secret", "_secret", ".token", "_token")
_SENSITIVE_CONTAINS = ("secret", "token", "credential", "private.key", "privatekey", "api.key", "apikey")
_SENSITIVE_EXACT = frozenset({"sasl.jaas.config", "basic.auth.user.info", "schema.registry.basic.auth.user.info"})
_SENSITIVE_PREFIXES = ("ssl.key.",)
# Keys that name *where* a secret lives or *how* it is used, not the secret itself: never sensitive.
_NOT_SENSITIVE_SUFFIXES = (
    ".location", ".file", ".path", ".url", ".uri", ".type", ".enable", ".enabled", ".algorithm", ".mechanism",
    ".provider", ".providers", ".class", ".ms", ".name", ".names", ".id.field", ".endpoint",
    ".credentials.source",  # where a converter takes its credentials from (USER_INFO, STATIC_TOKEN): not one
)


@lru_cache(maxsize=4096)  # a pure rule over a few distinct keys, asked for every key of every connector
def is_sensitive_key(key: str) -> bool:
    """Whether a config key holds a secret: passwords, secrets, keys, tokens, JAAS configs, credentials.

    Matches `*password` (incl. `*.password`, `ssl.key.password`), `*passphrase`, `*secret*`, `*token*`,
    `*credential*`, `*.key` (e.g. `aws.access.key`), `ssl.key.*`, `*private.key*`, `*api.key*`,
    `sasl.jaas.config` (and `*.jaas.config`), `basic.auth.user.info`. Keys that only point at a secret or
    describe it (`*.location`, `*.file`, `*.path`, `*.url`, `*.type`, `*.algorithm`, `*.mechanism`, `*.class`,
    `*.ms`, `*.credentials.source`, ...) are not sensitive, e.g. `ssl.key.location`,
    `sasl.oauthbearer.token.endpoint.url`.
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
            return (f"malformed secret reference {ref!r}: use ${{secret:env:NAME}}, ${{secret:file:/path}} or "
                    "${secret:cmd:NAME}")
        if m["kind"] == "env" and not _ENV_NAME.match(m["target"]):
            return f"malformed secret reference {ref!r}: {m['target']!r} is not an environment variable name"
        if m["kind"] == "file" and not m["target"]:
            return f"malformed secret reference {ref!r}: the file path is empty"
        if m["kind"] == "cmd" and not COMMAND_NAME.match(m["target"]):
            return (f"malformed secret reference {ref!r}: {m['target']!r} is not a secret command's name (letters, "
                    "digits, '.', '_', '-')")
        start = end + 1
    return None


def display_value(key: str, value: str, sensitive_keys: frozenset[str] | set[str] = frozenset()) -> str:
    """A value as it may be printed: sensitive values are masked unless the value is only a reference."""
    if (key in sensitive_keys or is_sensitive_key(key) or has_secret_ref(value)) and not is_reference_only(value):
        return MASK
    return value


def secret_keys(*configs: Mapping[str, Any], declared: Iterable[str] = (),
                recorded: Iterable[str] = ()) -> frozenset[str]:
    """THE rule for connector configs: the keys (of any of `configs`) whose values are secrets — declared so in
    the stack (`declared`), recorded so when the connector was applied (`recorded`, from the ownership record:
    masked even after the connector left the stack), named like a secret (`is_sensitive_key`), or set from a
    `${secret:...}` reference."""
    keys: set[str] = {*declared, *recorded}
    keys.update(k for config in configs for k, v in config.items() if is_sensitive_key(k) or has_secret_ref(v))
    present = set().union(*(set(c) for c in configs)) if configs else set()
    return frozenset(k for k in keys if k in present)


# What a masked value becomes in kplan's journal: a marker no real config value can equal.
MASKED = {"__masked__": True}


def is_masked(value: object) -> bool:
    return isinstance(value, dict) and value.get("__masked__") is True


def mask_config(config: Mapping[str, str], secret: Iterable[str]) -> dict[str, Any]:
    """A connector config safe to journal: plaintext secret values become `MASKED` — those of secret keys, and any
    value that holds a known secret value (`KNOWN`, e.g. a copy of a password under an undeclared key); a value that
    is only a `${...}` reference names where a secret lives and is kept."""
    secret = frozenset(secret)

    def hidden(k: str, v: Any) -> bool:
        if is_reference_only(v):
            return False
        return k in secret or is_sensitive_key(k) or (isinstance(v, str) and KNOWN.found_in(v))

    return {k: dict(MASKED) if hidden(k, v) else v for k, v in config.items()}


# Shorter values are not scrubbed from text: replacing every "ab" in a message would garble it and hide nothing.
MIN_SCRUB_LENGTH = 3
# A run-wide known secret (`KNOWN`) is searched for in *all* output, plans included, so it must be long enough not
# to occur by chance in ordinary words, names and numbers: shorter ones are masked under their keys only.
MIN_KNOWN_LENGTH = 6


class KnownSecrets:
    """The secret values this process knows of, masked wherever they appear, embedded or not, in every output and
    record. Registered at the edge: every resolved `${secret:...}` of the run, the plaintext values of secret keys
    in the stack, and the live values under keys kplan masks (`kplan.session`). Values shorter than
    `MIN_KNOWN_LENGTH` are not registered (see there)."""

    def __init__(self) -> None:
        self._values: set[str] = set()
        self._ordered: tuple[str, ...] = ()

    def register(self, values: Iterable[str | None]) -> None:
        new = {v for v in values if isinstance(v, str) and len(v) >= MIN_KNOWN_LENGTH} - self._values
        if new:
            self._values |= new
            self._ordered = tuple(sorted(self._values, key=len, reverse=True))

    def clear(self) -> None:
        """Forget every value (tests; a long-lived process between runs)."""
        self._values, self._ordered = set(), ()

    @property
    def values(self) -> tuple[str, ...]:
        return self._ordered

    def found_in(self, text: str) -> bool:
        return any(v in text for v in self._ordered)

    def __call__(self, text: str) -> str:
        for value in self._ordered:
            if value in text:
                text = text.replace(value, MASK)
        return text


KNOWN = KnownSecrets()


def remember(values: Iterable[str | None]) -> None:
    """Register secret values for the rest of the process: from now on no output shows them (`KNOWN`)."""
    KNOWN.register(values)


def scrub(text: str) -> str:
    """`text` with every known secret value (`KNOWN`) replaced by `MASK`: the last step of every output boundary."""
    return KNOWN(text)


def scrub_doc(doc: Any, keep: frozenset[str] = frozenset()) -> Any:
    """A copy of `doc` with known secret values masked in every string it holds: mappings, lists, tuples, sets and
    frozen dataclasses are walked; enums and other values are kept. `keep`: dataclass fields left as they are (e.g.
    digests, and what apply executes, which never holds a secret). A part met twice (a big stack's topics share
    their config mappings) is scrubbed once; a part with nothing to mask is returned as it is."""
    if not KNOWN.values:
        return doc
    return _scrubbed(doc, keep, KNOWN, {})


def scrubbed_json(doc: Any) -> str:
    """`json.dumps(scrub_doc(doc), sort_keys=True)`, walking `doc` only when a known secret value is in its JSON:
    JSON escapes a string character by character, so a value occurs in a decoded string or key only where its
    escaped form occurs in the text (a find in an escape's middle only costs the walk)."""
    import json

    text = json.dumps(doc, sort_keys=True)
    if any(v in text or json.dumps(v)[1:-1] in text for v in KNOWN.values):
        text = json.dumps(scrub_doc(doc), sort_keys=True)
    return text


_PLAIN = (int, float, bool, type(None), bytes)


@lru_cache(maxsize=None)
def _init_fields(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls) if f.init)


def _scrubbed(doc: Any, keep: frozenset[str], known: KnownSecrets, seen: dict[int, Any]) -> Any:
    kind: type = type(doc)
    if kind is str:
        return known(doc)
    if kind in _PLAIN or isinstance(doc, Enum):
        return doc
    key = id(doc)
    if key in seen:
        return seen[key]
    out = doc
    if isinstance(doc, Mapping):
        pairs = [(_scrubbed(k, keep, known, seen), _scrubbed(v, keep, known, seen)) for k, v in doc.items()]
        if any(k is not k0 or v is not v0 for (k, v), (k0, v0) in zip(pairs, doc.items())):
            out = dict(pairs)
        elif kind is not dict:
            out = dict(pairs)  # a read-only mapping is given back as the plain dict the walk always gave
    elif isinstance(doc, (list, tuple, frozenset, set)):
        items = [_scrubbed(v, keep, known, seen) for v in doc]
        out = kind(items) if kind in (list, set) or any(a is not b for a, b in zip(items, doc)) else doc
    elif dataclasses.is_dataclass(doc) and not isinstance(doc, type):
        changes = {}
        for name in _init_fields(kind):
            if name not in keep:
                before = getattr(doc, name)
                after = _scrubbed(before, keep, known, seen)
                if after is not before and after != before:
                    changes[name] = after
        out = dataclasses.replace(doc, **changes) if changes else doc  # unchanged: the same object
    seen[key] = out
    return out


class Scrubber:
    """Removes secret values from free text (error messages, Java traces, library errors): the values it was
    given (at least `MIN_SCRUB_LENGTH` long) and every run-wide known one (`KNOWN`)."""

    def __init__(self, values: Iterable[str | None] = ()):
        self.values = tuple(sorted({v for v in values if v and len(v) >= MIN_SCRUB_LENGTH}, key=len, reverse=True))

    def __call__(self, text: str) -> str:
        for value in self.values:
            if value in text:
                text = text.replace(value, MASK)
        return KNOWN(text)

    def extended(self, values: Iterable[str | None]) -> "Scrubber":
        return Scrubber((*self.values, *values))


@dataclass(frozen=True)
class SecretValues:
    """The resolved `${secret:...}` references of one run (reference text -> value), or why one could not be
    resolved (reference text -> message naming the variable or file, never a value). Built at the edge by
    `kplan.stackfile.references.resolve_references`; pure code only substitutes from it."""

    values: Mapping[str, str] = field(default_factory=dict)
    problems: Mapping[str, str] = field(default_factory=dict)

    def substitute(self, value: str) -> str:
        """`value` with every kplan secret reference replaced; raises KplanError naming an unresolvable one."""
        if not has_secret_ref(value):
            return value
        problem = secret_ref_problem(value)
        if problem:
            raise KplanError(problem)

        def one(m: re.Match) -> str:
            ref = m.group(0)
            if ref in self.values:
                return self.values[ref]
            raise KplanError(self.problems.get(ref, f"secret reference {ref} was not resolved"))

        return SECRET_REF.sub(one, value)

    def plaintexts(self) -> tuple[str, ...]:
        return tuple(v for v in self.values.values() if v)

    def scrubber(self) -> Scrubber:
        return Scrubber(self.plaintexts())


def references_in(value: object) -> list[str]:
    """Every well-formed `${secret:...}` reference in a value."""
    return [m.group(0) for m in SECRET_REF.finditer(value)] if isinstance(value, str) else []


def digest(value: str | None) -> str:
    """How secrets are compared: by sha256 digest, so a comparison never keeps or shows a value."""
    return hashlib.sha256(("" if value is None else value).encode("utf-8")).hexdigest()


def _userinfo(url: str) -> tuple[str, str, str, str] | None:
    """(scheme://, user, password, the rest after '@') of a URL with a password in its userinfo, else None."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return None
    authority = re.split(r"[/?#]", rest, maxsplit=1)[0]
    userinfo, at, _ = authority.rpartition("@")
    user, colon, password = userinfo.partition(":")
    if not at or not colon:
        return None
    return scheme + sep, user, password, rest[len(userinfo) + 1:]


def url_password(url: str | None) -> str | None:
    """The password in a URL's userinfo (`http://user:password@host`), if any: a secret like any other."""
    parts = _userinfo(url) if url else None
    return parts[2] or None if parts else None


def masked_url(url: str) -> str:
    """A URL as it may be printed: the password of its userinfo replaced by `***` (the user name is kept)."""
    parts = _userinfo(url)
    if parts is None:
        return url
    scheme, user, _, rest = parts
    return f"{scheme}{user}:***@{rest}"


def env_reference_name(*parts: str) -> str:
    """The environment variable `kplan import` names a secret after (`orders-sink`, `connection.password` ->
    `ORDERS_SINK_CONNECTION_PASSWORD`): upper case, anything but letters and digits as `_`, never a leading digit."""
    name = re.sub(r"[^A-Za-z0-9]+", "_", "_".join(parts)).strip("_").upper()
    return name if name and not name[0].isdigit() else f"KPLAN_{name}"


def imported_value(owner: str, key: str, value: str) -> tuple[str, str | None]:
    """THE rule for writing a live config value into a stack file (`kplan import`): (what to write, the environment
    variable that must hold the secret, or None). A value that is only a `${...}` reference (a Connect config
    provider's placeholder) names where its secret lives and is kept as it is; a sensitive key's plaintext value
    becomes `${secret:env:<OWNER>_<KEY>}`; a password in a URL's userinfo becomes such a reference inside the URL.
    The plaintext itself is never part of the answer."""
    if not value or is_reference_only(value):
        return value, None
    if is_sensitive_key(key):
        name = env_reference_name(owner, key)
        return f"${{secret:env:{name}}}", name
    parts = _userinfo(value)
    if parts is not None and parts[2] and not is_reference_only(parts[2]):
        scheme, user, _, rest = parts
        name = env_reference_name(owner, key, "password")
        return f"{scheme}{user}:${{secret:env:{name}}}@{rest}", name
    return value, None
