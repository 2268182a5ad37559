"""The schema registry's HTTP client, built from the stack's `cluster.schema_registry` exactly like Connect's
(`kplan.transport.http.rest_client`: the same auth, headers, CA bundle and client certificate, secrets
substituted here and scrubbed from messages), and the registry's error answers reduced to one line."""

from __future__ import annotations

import re
from typing import Any

from kplan.errors import KplanError
from kplan.model.desired import ClusterSpec
from kplan.secrets import SecretValues
from kplan.transport.http import HttpService, RestClient, error_message, rest_client

# Confluent's media type (Apicurio's ccompat API accepts it too); JSON is what both answer.
CONTENT_TYPE = "application/vnd.schemaregistry.v1+json"
HEADERS = {"Content-Type": CONTENT_TYPE, "Accept": f"{CONTENT_TYPE}, application/json"}

# error codes both registries answer (Confluent's numbering, kept by Apicurio's ccompat API)
SOFT_DELETED = 40406  # a version (or subject) already soft-deleted: Apicurio answers it with HTTP 409
INVALID_SCHEMA = 42201
REFERENCED = 42206  # a subject another subject's schema references (Apicurio: soft-deleted referrers count too)

REGISTRY = HttpService("the schema registry", "registry", "cluster.schema_registry", "cluster.schema_registry.url",
                       "the schema registry's REST API")

def registry_client(cluster: ClusterSpec, secrets: SecretValues | None = None) -> RestClient | None:
    """The registry client for a stack's cluster, None when it names no registry. The URL is the API's base as
    given (Confluent: `http://host:8081`; Apicurio: `http://host:8080/apis/ccompat/v7`)."""
    if not cluster.schema_registry_url:
        return None
    return rest_client(REGISTRY, cluster.schema_registry_url, cluster.schema_registry, cluster.timeout_s,
                       SecretValues() if secrets is None else secrets, headers=HEADERS)


def error_code(response) -> int | None:
    """The registry's own `error_code` (40401...), None when the body is not its JSON error."""
    try:
        body = response.json()
    except ValueError:
        return None
    code = body.get("error_code") if isinstance(body, dict) else None
    return int(code) if isinstance(code, int) or (isinstance(code, str) and code.isdigit()) else None


def error_line(http: RestClient, method: str, where: str, response) -> str:
    """One line for a registry error answer: the request, the status and the registry's `message` (scrubbed; a
    Java exception's class name in front of it, as Apicurio writes it, left out)."""
    return (f"the schema registry at {http.shown_url} answered {response.status_code} to {method} {where}: "
            f"{http.scrub(message_of(response))}")


def json_body(http: RestClient, response) -> Any:
    """The JSON of a registry answer; a RegistryError naming the URL setting when it is not JSON (a URL that
    points at a web page or another service rather than the registry's API)."""
    try:
        return response.json()
    except ValueError:
        request = getattr(response, "request", None)
        what = f"{request.method} {http.scrub(str(request.path_url))}" if request is not None else "a request"
        raise RegistryError(f"the schema registry at {http.shown_url} answered {what} with something that is not "
                            "JSON: is cluster.schema_registry.url the registry's API (Confluent's: http://host:8081; "
                            "Apicurio's: http://host:8080/apis/ccompat/v7)?") from None


def message_of(response) -> str:
    """The registry's `message`, without a leading `io.apicurio....SomeException: `."""
    return re.sub(r"^(?:[a-z_][\w$]*\.)+\w*(?:Exception|Error): ", "", error_message(response))


def level_of(body: Any) -> str | None:
    """The level of a `/config` answer: `compatibilityLevel` (Confluent, Apicurio 3.0) or `compatibility`
    (newer answers)."""
    if not isinstance(body, dict):
        return None
    level = body.get("compatibilityLevel") or body.get("compatibility")
    return str(level).upper() if level else None


class RegistryError(KplanError):
    """The registry refused a request (an answer, not a lost connection)."""
