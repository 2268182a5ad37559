"""HTTP/1.1 for kplan's REST clients from the standard library (`http.client`, `ssl`): kept-alive connections
pooled per server (a connection the server closed while idle is dropped before reuse; a GET, PUT or DELETE that
meets one closing just then is sent again once, a POST never), TLS with a CA bundle and a client certificate,
basic authentication (also from the URL), the proxy environment variables, and redirects of GET requests.

It replaces requests on kplan's common path: importing requests and its dependencies (urllib3,
charset_normalizer, idna, cookies, netrc) cost every plan, apply and status ~40 ms of start-up, for a handful of
JSON requests to Kafka Connect and the schema registry. It keeps requests' conventions where a user can see them:
the CA bundle when `verify` is true is `REQUESTS_CA_BUNDLE`, `CURL_CA_BUNDLE`, or certifi's; `HTTP(S)_PROXY`,
`ALL_PROXY` and `NO_PROXY` are honoured; a connection the server closed while it sat in the pool is replaced.

Failures are the standard library's: `ssl.SSLError` (TLS), `ConnectTimeout` (no connection within the timeout),
`TimeoutError` (no answer in time), other `OSError`s and `http.client.HTTPException` (the connection failed or
broke). `kplan.transport.http` turns each into one line.
"""

from __future__ import annotations

import base64
import http.client
import json as jsonlib
import os
import ssl
import threading
from typing import Any, Mapping
from urllib.parse import unquote, urljoin, urlsplit

from kplan.transport.sockets import create_connection

REDIRECTS = (301, 302, 303, 307, 308)
IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})  # safe to send twice
MAX_REDIRECTS = 5
USER_AGENT = "kplan"


class ConnectTimeout(TimeoutError):
    """No connection to the server within the timeout: the request was never sent."""


class Response:
    """What a REST client reads of an answer: the status, the headers (case-insensitive) and the body."""

    def __init__(self, status_code: int, headers, content: bytes, url: str):
        self.status_code = status_code
        self.headers = headers
        self.content = content
        self.url = url

    @property
    def text(self) -> str:
        charset = self.headers.get_content_charset() if hasattr(self.headers, "get_content_charset") else None
        return self.content.decode(charset or "utf-8", errors="replace")

    def json(self) -> Any:
        """The body as JSON; ValueError if it is not (json.JSONDecodeError is one)."""
        return jsonlib.loads(self.content)


def basic_auth(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode("ascii")


def _ca_bundle() -> str | None:
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        if os.environ.get(name):
            return os.environ[name]
    try:
        import certifi
    except ImportError:
        return None  # the system's CAs
    return certifi.where()


def tls_context(verify: bool | str, cert: Any) -> ssl.SSLContext:
    """A client TLS context: `verify` True (the CA bundle above), a CA bundle's path (file or directory), or False
    (no verification); `cert` a client certificate's path, or (certificate, key)."""
    if verify is False:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    else:
        where = _ca_bundle() if verify is True else verify
        if where and os.path.isdir(where):
            context = ssl.create_default_context(capath=where)
        else:
            context = ssl.create_default_context(cafile=where)
    if cert:
        certfile, keyfile = (cert, None) if isinstance(cert, str) else cert
        context.load_cert_chain(certfile, keyfile)
    return context


def _proxy_for(scheme: str, host: str, port: int) -> str | None:
    """The proxy URL the environment names for this scheme (`<scheme>_proxy`, then `all_proxy`; lower case first,
    as curl and requests read them), unless `no_proxy` exempts the host. Read from os.environ directly: importing
    urllib.request for this costs ~20 ms on every run, proxy or not."""
    env = os.environ
    proxy = next((env[k] for k in (f"{scheme}_proxy", f"{scheme.upper()}_PROXY", "all_proxy", "ALL_PROXY")
                  if env.get(k)), None)
    if not proxy or _bypassed(host, port, env.get("no_proxy") or env.get("NO_PROXY") or ""):
        return None
    return proxy if "://" in proxy else "http://" + proxy


def _bypassed(host: str, port: int, no_proxy: str) -> bool:
    """Whether `no_proxy` (comma-separated: `*`, host names and domain suffixes with or without a leading dot or a
    port, IP addresses and CIDR networks) exempts host:port."""
    host = host.lower().strip("[]")
    for entry in (e.strip().lower() for e in no_proxy.split(",")):
        if not entry:
            continue
        if entry == "*":
            return True
        name, _, entry_port = entry.rpartition(":") if entry.count(":") == 1 else (entry, "", "")
        if entry_port and entry_port != str(port):
            continue
        within = _in_network(host, name)
        if within is not None:
            if within:
                return True
            continue
        name = name.lstrip(".")
        if host == name or host.endswith("." + name):
            return True
    return False


def _in_network(host: str, network: str) -> bool | None:
    """Whether `host` is an address in `network` (an IP address or a CIDR network); None when `network` is neither."""
    import ipaddress

    try:
        net = ipaddress.ip_network(network.strip("[]"), strict=False)
    except ValueError:
        return None
    try:
        return ipaddress.ip_address(host) in net
    except ValueError:
        return False


class Session:
    """Pooled connections to the servers one REST client talks to. `headers` go with every request;
    `auth` is (username, password) for basic authentication; `verify` and `cert` are `tls_context`'s, for every
    https request. Safe to use from several threads."""

    def __init__(self, auth: tuple[str, str] | None = None, headers: Mapping[str, str] | None = None,
                 verify: bool | str = True, cert: Any = None) -> None:
        self.headers, self.auth, self.verify, self.cert = dict(headers or {}), auth, verify, cert
        self._idle: dict[tuple, list[http.client.HTTPConnection]] = {}
        self._context: ssl.SSLContext | None = None
        self._lock = threading.Lock()

    def request(self, method: str, url: str, *, timeout: float, json: Any = None, data: bytes | str | None = None,
                headers: Mapping[str, str] | None = None, **_ignored: Any) -> Response:
        body: bytes | None
        sent = {"User-Agent": USER_AGENT, "Accept": "*/*", **self.headers, **(headers or {})}
        if json is not None:
            body = jsonlib.dumps(json).encode()
            sent.setdefault("Content-Type", "application/json")
        else:
            body = data.encode() if isinstance(data, str) else data
        for _ in range(MAX_REDIRECTS + 1):
            response = self._send(method, url, sent, body, timeout)
            location = response.headers.get("Location")
            if response.status_code not in REDIRECTS or not location or method not in ("GET", "HEAD"):
                return response
            target = urljoin(url, location)
            if urlsplit(target).netloc != urlsplit(url).netloc:
                sent = {k: v for k, v in sent.items() if k.lower() != "authorization"}
            url = target
        return response

    def _send(self, method: str, url: str, headers: dict, body: bytes | None, timeout: float) -> Response:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https"):
            raise http.client.InvalidURL(f"not an http(s) URL: {scheme}://")
        host, port = parts.hostname or "", parts.port or (443 if scheme == "https" else 80)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        headers = dict(headers)
        if parts.username is not None and self.auth is None and not any(k.lower() == "authorization" for k in headers):
            headers["Authorization"] = basic_auth(unquote(parts.username), unquote(parts.password or ""))
        elif self.auth is not None:
            headers.setdefault("Authorization", basic_auth(*self.auth))
        proxy = _proxy_for(scheme, host, port)
        if proxy is not None and scheme == "http":  # a plain HTTP proxy takes the whole URL, and its credentials
            target = f"http://{host}:{port}{target}"
            auth = _proxy_auth(proxy)
            if auth:
                headers["Proxy-Authorization"] = auth
        key = (scheme, host, port, proxy)
        for attempt in (0, 1):
            conn, reused = self._connection(key, scheme, host, port, proxy, timeout)
            try:
                conn.timeout = timeout
                if conn.sock is not None:
                    conn.sock.settimeout(timeout)
                conn.request(method, target, body=body, headers=headers)
                answer = conn.getresponse()
                content = answer.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                conn.close()
                if reused and attempt == 0 and method in IDEMPOTENT:
                    continue  # closed by the server just as it was reused: sent again on a fresh one
                raise
            except BaseException:
                conn.close()
                raise
            if answer.will_close:
                conn.close()
            else:
                with self._lock:
                    self._idle.setdefault(key, []).append(conn)
            return Response(answer.status, answer.headers, content, url)
        raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises

    def _connection(self, key, scheme, host, port, proxy, timeout):
        while True:
            with self._lock:
                idle = self._idle.get(key)
                pooled = idle.pop() if idle else None
            if pooled is None:
                break
            if not _dropped(pooled):
                return pooled, True
            pooled.close()  # the server closed it while it sat in the pool
        conn: http.client.HTTPConnection
        if proxy is not None:
            p = urlsplit(proxy)
            connect_host, connect_port = p.hostname or "", p.port or 8080
        else:
            connect_host, connect_port = host, port
        if scheme == "https":
            if self._context is None:
                self._context = tls_context(self.verify, self.cert)
            conn = http.client.HTTPSConnection(connect_host, connect_port, timeout=timeout, context=self._context)
            if proxy is not None:
                auth = _proxy_auth(proxy)
                conn.set_tunnel(host, port, headers={"Proxy-Authorization": auth} if auth else None)
        else:
            conn = http.client.HTTPConnection(connect_host, connect_port, timeout=timeout)
        conn._create_connection = create_connection  # type: ignore[attr-defined]  # no IDNA codec (sockets.py)
        try:
            conn.connect()
        except TimeoutError as e:
            conn.close()
            raise ConnectTimeout(f"no connection to {connect_host}:{connect_port} within {timeout:g}s") from e
        except BaseException:
            conn.close()
            raise
        return conn, False

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, {}
        for conns in idle.values():
            for conn in conns:
                conn.close()


def _dropped(conn: http.client.HTTPConnection) -> bool:
    """Whether a pooled connection was closed by the server (its socket reads as ready: end of file) — checked
    before reuse, so that a request is not sent into a dead connection (a POST is never sent twice)."""
    import select

    sock = conn.sock
    if sock is None:
        return True
    try:
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(readable)


def _proxy_auth(proxy: str) -> str | None:
    p = urlsplit(proxy)
    return basic_auth(unquote(p.username), unquote(p.password or "")) if p.username is not None else None
