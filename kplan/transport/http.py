"""The REST client kplan talks to Kafka Connect and the schema registry with: bounded timeouts, one error line
for an unreachable server, for refused credentials and for a TLS failure, and no credential ever in a message.
It knows HTTP, not the services: which service a client serves (`HttpService`) only words its messages, and
the kit's Connect clients (`kplan.transport.connect`) and the subject kind's registry client build on it."""

from __future__ import annotations

import re
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any, Mapping

from kplan.errors import KplanError
from kplan.model.desired import ConnectAccess
from kplan.secrets import Scrubber, SecretValues, masked_url, url_password
from kplan.transport.interrupts import held
from kplan.transport.retry import RetriableError, RetryPolicy, retry

# Requests that change nothing: Ctrl-C stops them at once. Every other one is awaited (see RestClient.request).
READS = frozenset({"GET", "HEAD", "OPTIONS"})
# Answers to a read that mean "not now" rather than "no": a server error — Connect's 500 while a rebalance is
# expected or a request of its own timed out —, 502-504 from a proxy in front of it, and Connect's 409 (to a read
# it only ever means "stale configuration" or "a conflicting operation", i.e. a rebalance). docs/systems-facts.md.
MOMENTARY = frozenset({409, 500, 502, 503, 504})


def rest_path(*segments: str, query: Mapping[str, str] | None = None) -> str:
    """A REST path from its segments, each quoted whole (`/`, `#`, `?`, `%`, spaces, non-ASCII): the one
    way kplan builds a path, so a resource's name can never be read as a fragment, a query or another
    path. A segment that is only dots is encoded too (`.` and `..` would otherwise be resolved away)."""
    from urllib.parse import quote, urlencode

    def one(segment: str) -> str:
        quoted = quote(str(segment), safe="")
        return quoted.replace(".", "%2E") if quoted in (".", "..") else quoted

    path = "/" + "/".join(one(s) for s in segments)
    return path + ("?" + urlencode(dict(query)) if query else "")


class RestUnavailable(KplanError):
    """The server could not be reached or did not answer in time: transient (e.g. a Connect worker restarting).
    `sent`: the request may have reached the server (a timeout or a reset connection), so a write may have
    happened."""

    def __init__(self, message: str, sent: bool):
        super().__init__(message)
        self.sent = sent


@dataclass(frozen=True)
class HttpService:
    """Which HTTP service a client talks to, for its messages: its name, what runs it, the stack's settings key
    (named in hints) and where its URL is set."""

    name: str  # "Kafka Connect", "the schema registry"
    server: str  # "worker", "registry"
    settings: str  # "cluster.connect", "cluster.schema_registry"
    url_key: str  # "cluster.connect_url", "cluster.schema_registry.url"
    api: str  # "the Connect REST API", "the schema registry's REST API"


# for a client made without naming its service (tests, one-off probes)
SERVER = HttpService("the server", "server", "its settings", "its URL", "its REST API")


def rest_client(service: HttpService, url: str, access: ConnectAccess, timeout_s: float, secrets: SecretValues,
                headers: Mapping[str, str] | None = None) -> "RestClient":
    """A client of `service` at `url` with the stack's client settings `access` (`cluster.connect`,
    `cluster.schema_registry`): secret references substituted here, the credentials kept for scrubbing.
    `headers`: kplan's own defaults (the stack's headers win)."""
    sent = {**(headers or {}), **{name: secrets.substitute(value) for name, value in access.headers.items()}}
    auth = (access.username, secrets.substitute(access.password)) if access.username and access.password else None
    if access.token:
        sent["Authorization"] = "Bearer " + secrets.substitute(access.token)
    verify: bool | str = access.ca or True if access.verify else False
    cert: Any = ((access.client_cert, access.client_key) if access.client_key else access.client_cert)
    hidden = [auth[1] if auth else None, *[secrets.substitute(v) for v in access.references()]]
    return RestClient(secrets.substitute(url), timeout_s, auth=auth, headers=sent, verify=verify, cert=cert,
                       hidden=tuple(v for v in hidden if v), service=service)


@dataclass
class RestClient:
    """A small REST client with bounded timeouts, for Kafka Connect and the schema registry (`service` names it in
    messages). A failure to reach the server raises `RestUnavailable` (callers that write retry it); its
    messages show the URL without its password and never a credential. Ctrl-C during a write (any method but GET,
    HEAD, OPTIONS) is raised only once its answer is in (kplan.transport.interrupts.held): interrupted while awaiting
    it, kplan could not know what the server did, and the server may do it after a rollback looked. `verify` (True,
    False or a CA bundle's path) and `cert` are passed with every request. HTTP itself is
    kplan.transport.http_session (the standard library's, pooled)."""

    url: str
    timeout_s: float
    auth: Any = None  # (username, password) for basic authentication
    headers: Mapping[str, str] | None = None
    verify: Any = True
    cert: Any = None
    hidden: tuple[str, ...] = ()  # credential values, scrubbed from any message
    service: HttpService = SERVER

    def __post_init__(self):
        from urllib.parse import unquote

        from kplan.transport.http_session import Session

        self._session = Session(self.auth, self.headers, self.verify, self.cert)
        self.url = self.url.rstrip("/")
        self.shown_url = masked_url(self.url)
        # the URL's own password and the credentials, should a library quote them back in an error
        password = url_password(self.url)
        self.scrub = Scrubber([*([password, unquote(password)] if password else []), *self.hidden])

    def request(self, method: str, path: str, **kw):
        import http.client
        import socket
        import ssl

        from kplan.transport.http_session import ConnectTimeout

        name, where = self.service.name, self.shown_url
        hint = f"(is the {self.service.server} running and {self.service.url_key} right?)"
        timeout = kw.pop("timeout", self.timeout_s)
        try:
            # a write in flight: Ctrl-C waits for its answer (kplan.transport.interrupts.held)
            with nullcontext() if method in READS else held():
                response = self._session.request(method, self.url + path, timeout=timeout, **kw)
        except ssl.SSLError as e:
            raise KplanError(f"TLS with {name} at {where} failed: {self._tls_reason(e)}") from None
        except ConnectTimeout as e:
            raise RestUnavailable(f"cannot reach {name} at {where} within {timeout:g}s {hint}", sent=False) from e
        except TimeoutError as e:
            raise RestUnavailable(f"{_capital(name)} at {where} did not answer {method} {path} within "
                                     f"{timeout:g}s", sent=True) from e
        except (OSError, http.client.HTTPException) as e:
            refused = isinstance(e, ConnectionRefusedError) or "refused" in str(e).lower()
            unresolved = isinstance(e, socket.gaierror)
            reason = ("connection refused" if refused else
                      f"the host name does not resolve ({self.scrub(str(e))})" if unresolved else type(e).__name__)
            raise RestUnavailable(f"cannot reach {name} at {where}: {reason} {hint}",
                                  sent=not refused and not unresolved) from e
        if response.status_code in (401, 403):
            raise KplanError(self._refused(method, path, response))
        return response

    def _tls_reason(self, exc: BaseException) -> str:
        text = str(exc)
        key, server = self.service.settings, self.service.server
        if "CERTIFICATE_VERIFY_FAILED" in text or "certificate verify failed" in text:
            if "hostname" in text.lower() or "match" in text.lower():
                return f"its certificate does not name the host in {key}.url"
            return f"its certificate is not signed by a CA kplan trusts (set {key}.ca to the CA bundle that signed it)"
        if "certificate required" in text.lower() or "alert" in text.lower():
            return f"the {server} refused the TLS handshake (does it require a client certificate? set " \
                   f"{key}.client_cert and client_key)"
        if "wrong version number" in text.lower():
            return f"the {server} does not speak TLS on that port (use http://, or the {server}'s https port)"
        return self.scrub(" ".join(text.split())[:300])

    def _refused(self, method: str, path: str, response) -> str:
        """One line for 401/403: which it is, and what to check. Never the credentials."""
        message = self.scrub(error_message(response))
        name, key = _capital(self.service.name), self.service.settings
        if response.status_code == 401:
            how = (f"check {key}.auth (the username and the secret its password reference names)"
                   if self.auth or (self.headers or {}).get("Authorization") else
                   f"it requires authentication: set {key}.auth")
            return f"{name} at {self.shown_url} refused kplan's credentials (401 to {method} {path}): {how}"
        return (f"{name} at {self.shown_url} does not let kplan's user {method} {path} (403: {message}); "
                f"grant that user access to {self.service.api}")

    def get_json(self, path: str, *, ok=(200,), retry_s: float | None = None, sleep=None):
        """The JSON of `GET path`, asked again (with backoff, for up to `retry_s`: by default the client's timeout,
        the stack's `cluster.timeout`) while the server answers "not now" (`MOMENTARY`): a read changes nothing, so a
        plan never fails, or reads less, for a moment's answer —
        seen in CI: Connect answers 500 "Request cannot be completed because a rebalance is expected" to `GET
        /connectors/<name>` right after another client created a connector. No answer at all is not retried here
        (`RestUnavailable` at once: the callers judge an unreachable server)."""
        name = f"{_capital(self.service.name)} at {self.shown_url}"

        def attempt():
            r = self.request("GET", path)
            if r.status_code in ok:
                return r
            said = f"answered {r.status_code} to GET {path}: {self.scrub(error_message(r))}"
            if r.status_code in MOMENTARY:
                raise RetriableError(said)
            raise KplanError(f"{name} {said}")

        policy = RetryPolicy(deadline_s=self.timeout_s if retry_s is None else retry_s)
        return retry(attempt, policy, name, **({"sleep": sleep} if sleep else {})).json()

    def close(self) -> None:
        self._session.close()


def _capital(text: str) -> str:
    """`the schema registry` -> `The schema registry` (a message's first words); `Kafka Connect` stays."""
    return text[:1].upper() + text[1:]


def error_message(response) -> str:
    """The one-line reason of an error answer: the `message` of a JSON error body (Connect's and the registry's
    {"error_code": ..., "message": ...}); an HTML page (Jetty's own, e.g. while a Connect worker starts or for a
    path it refuses) reduced to its title; else the text, shortened."""
    try:
        body = response.json()
        if isinstance(body, dict) and body.get("message"):
            return str(body["message"]).splitlines()[0][:500]
    except ValueError:
        pass
    text = (response.text or "").strip()
    title = re.search(r"<title>(.*?)</title>", text, re.IGNORECASE | re.DOTALL)
    if title:
        return " ".join(title.group(1).split())[:500]
    return text.splitlines()[0][:500] if text else "(empty body)"


def is_json(response) -> bool:
    """Whether an answer is the service's own (JSON, e.g. Connect's), not a page of the web server in front of
    its REST resources."""
    try:
        response.json()
    except ValueError:
        return False
    return True
