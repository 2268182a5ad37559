"""A CDC source's `format`: how Debezium writes its change events — Connect's JSON (the worker's default
converters, nothing generated) or Avro through the stack's schema registry (`cluster.schema_registry`). Pure.

    cdc:
      - name: shop
        format: avro                       # or {type: avro, converter: apicurio | confluent}

For Avro, kplan generates the key and value converter settings of the source's connector (a source's own
`connector.config` still wins):

* `converter: apicurio` (the default when the registry URL is Apicurio's `/apis/ccompat/...`): Apicurio's
  `io.apicurio.registry.utils.converter.AvroConverter` with `apicurio.registry.url` set to the same registry's own
  API (`/apis/registry/v3`), `auto-register` and `find-latest` on; the converter jars must be on the worker's
  plugin path (the local stack lays them out);
* `converter: confluent` (the default otherwise): Confluent's `io.confluent.connect.avro.AvroConverter` with
  `schema.registry.url`, and basic or bearer credentials from the registry's secret references.

Debezium then registers the per-table schemas itself (`<topic>-key`, `<topic>-value`); the stack does not own
them, so kplan leaves them alone unless the stack declares them (then it adopts them).
"""

from __future__ import annotations

from kplan.model.desired import CCOMPAT, ConnectAccess, registry_flavour
from kplan.model.diagnostics import Diagnostics
from kplan.model.source import Loc


def converter_config(fmt: str | dict, registry_url: str | None, access: ConnectAccess, loc: Loc, name: str,
                     diags: Diagnostics) -> dict[str, str]:
    """The connector config keys `format` generates ({} for json); one located error when it cannot be done."""
    kind, converter = (fmt, None) if isinstance(fmt, str) else (fmt.get("type"), fmt.get("converter"))
    if kind in (None, "json"):
        return {}
    if not registry_url:
        diags.error(loc, f'cdc source "{name}": format {kind} needs the stack\'s schema registry: set '
                         "cluster.schema_registry.url")
        return {}
    converter = converter or registry_flavour(registry_url)  # the converters that match the registry
    registry_url, user, password = _without_userinfo(registry_url)
    if user and not access.username and not access.token:  # credentials in the URL go to the converter's auth keys
        access = ConnectAccess(username=user, password=password, ca=access.ca, client_cert=access.client_cert,
                               headers=access.headers)
    if access.ca or access.client_cert or access.headers:
        diags.warning(loc, f'cdc source "{name}": kplan does not pass the schema registry\'s CA, client '
                           "certificate or headers to the converters: set them in the source's connector.config")
    if converter == "apicurio":
        one = {"": "io.apicurio.registry.utils.converter.AvroConverter",
               ".apicurio.registry.url": CCOMPAT.sub("/apis/registry/v3", registry_url),
               ".apicurio.registry.auto-register": "true", ".apicurio.registry.find-latest": "true"}
        if access.username and access.password:
            one.update({".apicurio.auth.username": access.username, ".apicurio.auth.password": access.password})
    else:
        one = {"": "io.confluent.connect.avro.AvroConverter", ".schema.registry.url": registry_url}
        if access.username and access.password:
            one.update({".basic.auth.credentials.source": "USER_INFO",
                        ".basic.auth.user.info": f"{access.username}:{access.password}"})
        elif access.token:
            one.update({".bearer.auth.credentials.source": "STATIC_TOKEN", ".bearer.auth.token": access.token})
    # the same settings for the key's converter and the value's
    return {f"{side}.converter{key}": value for side in ("key", "value") for key, value in one.items()}


def _without_userinfo(url: str) -> tuple[str, str | None, str | None]:
    """(the URL without `user:password@`, the user, the password): a converter's URL must not carry them (it
    would show in the connector's config, in plans and in Connect), its auth keys take them."""
    from urllib.parse import unquote, urlsplit, urlunsplit

    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url, None, None
    userinfo, _, host = parts.netloc.rpartition("@")
    user, _, password = userinfo.partition(":")
    return urlunsplit(parts._replace(netloc=host)), unquote(user) or None, unquote(password) or None
