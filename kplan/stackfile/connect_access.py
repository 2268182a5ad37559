"""The stack's `cluster.connect` (or its shorthand `cluster.connect_url`): Kafka Connect's URL, how kplan
authenticates to it and which CA it trusts, checked here so that a mistake is one error line at its place.

Secrets come only from `${secret:...}` references: a password or a bearer token written out in the stack is an
error, not a warning (it would sit in a repository). TLS files are resolved against the directory of the stack file
that names them, and must exist; verification can be turned off only explicitly (`verify: false`, a warning).
"""

from __future__ import annotations

import os

from kplan.kinds.frame import REGISTRY_DELETE, credential_header
from kplan.kinds.shape import defaulted
from kplan.model.desired import DEFAULT_CONNECT, ConnectAccess, ConnectTarget, freeze
from kplan.model.diagnostics import Diagnostics
from kplan.model.source import Loc, SourceMap
from kplan.secrets import SECRET_REF, has_secret_ref
from kplan.stackfile.member import as_dict

_REF_HINT = "a ${secret:env:NAME} or ${secret:file:PATH} reference, never the value itself"


def build_connects(c: dict, loc: Loc, smap: SourceMap, diags: Diagnostics
                   ) -> tuple[str | None, ConnectAccess, dict[str, ConnectTarget]]:
    """(the default Connect cluster's URL or None, how to reach it, the other Connect clusters by name) from the
    cluster mapping `c`: `connect` in its single form (the Connect cluster named "default"; or its shorthand
    `connect_url`), or as a map of names to the same settings (each a mapping)."""
    connect = c.get("connect")
    cloc = smap.value_loc(c, "connect") or loc
    if not isinstance(connect, dict) or "url" in connect:  # not a map of names (the schema passed one form)
        shorthand = c.get("connect_url")
        if shorthand is not None and connect is not None:
            diags.error(cloc, "cluster sets both connect_url and connect: keep connect (its url) and remove "
                              "connect_url")
        if isinstance(connect, dict):
            return (*_url_of(connect, cloc, "connect", smap, diags), {})
        url = _url(shorthand, smap.value_loc(c, "connect_url") or loc, "connect_url", diags)
        return url, ConnectAccess(), {}
    if c.get("connect_url") is not None:
        diags.error(cloc, "cluster sets both connect_url and connect: keep connect and remove connect_url")
    url, access, others = None, ConnectAccess(), {}
    for name in sorted(connect):
        nloc = smap.value_loc(connect, name) or cloc
        one_url, one = _url_of(connect[name], nloc, f"connect.{name}", smap, diags)
        if name == DEFAULT_CONNECT:
            url, access = one_url, one
        elif one_url:
            others[str(name)] = ConnectTarget(one_url, one)
    return url, access, others


def build_registry(c: dict, loc: Loc, smap: SourceMap, diags: Diagnostics) -> tuple[str | None, ConnectAccess, str]:
    """(the schema registry's URL or None, how to reach it, what deleting a registered schema does) from the cluster
    mapping `c` (`schema_registry:`): the same client settings, and the same checks, as Connect's."""
    registry = c.get("schema_registry")
    if not isinstance(registry, dict):
        return None, ConnectAccess(), REGISTRY_DELETE.fallback
    url, access = _url_of(registry, smap.value_loc(c, "schema_registry") or loc, "schema_registry", smap, diags)
    return url, access, defaulted((REGISTRY_DELETE,), registry)["delete"]


def _url_of(service: dict, cloc: Loc, key: str, smap: SourceMap,
            diags: Diagnostics) -> tuple[str | None, ConnectAccess]:
    """The URL and client settings of an HTTP service's mapping (`connect:`, `schema_registry:`), which the schema
    checked: its url, auth and header values are strings, auth is basic (a username and its password) or bearer."""
    url = _url(service["url"], smap.value_loc(service, "url") or cloc, f"{key}.url", diags)
    auth = as_dict(service.get("auth"))
    basic = as_dict(auth.get("basic"))
    username = basic.get("username")
    password = _reference(basic, "password", cloc, f"{key}.auth.basic", smap, diags)
    token = _reference(auth, "bearer", cloc, f"{key}.auth", smap, diags)
    headers = as_dict(service.get("headers"))
    for name, value in headers.items():
        hloc = smap.value_loc(headers, name) or cloc
        if name.lower() == "authorization" and (username or token):
            diags.error(hloc, f"{key}.headers sets Authorization, and so does {key}.auth: keep one")
        elif credential_header(name) and not has_secret_ref(str(value)):
            diags.error(hloc, f"{key}.headers.{name} looks like a credential: make its value {_REF_HINT}")
    verify = service.get("verify", True)
    if verify is False:
        what = "Kafka Connect" if key.startswith("connect") else "the schema registry"
        diags.warning(smap.value_loc(service, "verify") or cloc,
                      f"{key}.verify is false: kplan will not check {what}'s certificate (anyone in the "
                      f"middle can read its credentials); set {key}.ca instead")
    files = {f: _file(service, f, cloc, smap, diags, key) for f in ("ca", "client_cert", "client_key")}
    if files["client_key"] and not files["client_cert"]:
        diags.error(smap.value_loc(service, "client_key") or cloc, f"{key}.client_key needs {key}.client_cert")
    if url and url.startswith("http://") and (files["ca"] or files["client_cert"]):
        diags.error(cloc, f"{key}.ca and {key}.client_cert need an https:// {key}.url")
    return url, ConnectAccess(username=username, password=password, token=token,
                              headers=freeze({str(k): str(v) for k, v in headers.items()}),
                              ca=files["ca"], client_cert=files["client_cert"], client_key=files["client_key"],
                              verify=verify is not False)


def _url(url: str | None, loc: Loc, key: str, diags: Diagnostics) -> str | None:
    if url is None:
        return None
    if not url.startswith(("http://", "https://")):
        diags.error(loc, f'{key} must be an http:// or https:// URL (got "{url}")')
    return url.rstrip("/")


def _reference(holder: dict, key: str, cloc: Loc, prefix: str, smap: SourceMap, diags: Diagnostics) -> str | None:
    """holder's `key` (None: not given), which must be a secret reference."""
    value = holder.get(key)
    if value is not None and SECRET_REF.fullmatch(value.strip()) is None:
        diags.error(smap.value_loc(holder, key) or cloc, f"{prefix}.{key} must be {_REF_HINT}")
        return None
    return value


def _file(service: dict, key: str, cloc: Loc, smap: SourceMap, diags: Diagnostics, prefix: str) -> str | None:
    value = service.get(key)
    if value is None:  # (else a text: the schema passed it)
        return None
    vloc = smap.value_loc(service, key) or cloc
    path = os.path.expanduser(value)
    if not os.path.isabs(path) and vloc.file:
        path = os.path.join(os.path.dirname(os.path.abspath(vloc.file)), path)
    path = os.path.normpath(path)
    if not os.path.isfile(path):
        diags.error(vloc, f"{prefix}.{key}: no such file {path}")
    return path
