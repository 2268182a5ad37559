"""A map of config settings as a stack declares it (a connector's `config`, a cdc source's layers, the cluster's
`client`): its values as the strings Kafka and Connect take, units converted, each key with its location, and the
warning for a plaintext secret in it. Shared by the connector kind and the loader's cluster settings."""

from __future__ import annotations

from typing import Any, Mapping

from kplan.model.diagnostics import Diagnostics
from kplan.model.source import Loc, SourceMap
from kplan.rules.units import UnitError, normalize_config_value
from kplan.secrets import has_secret_ref, is_reference_only, is_sensitive_key


def normalize_config(config_in: dict[str, Any], smap: SourceMap, diags: Diagnostics, where: Loc
                     ) -> tuple[dict[str, str], dict[str, Loc]]:
    """Connector/client config values as strings (units converted), with each key's location."""
    out: dict[str, str] = {}
    locs: dict[str, Loc] = {}
    for key in sorted(config_in):
        raw = config_in[key]
        if raw is None or isinstance(raw, dict):
            continue
        vloc = smap.value_loc(config_in, key) or where
        try:
            out[key] = str(normalize_config_value(key, raw))
        except UnitError as e:
            diags.error(vloc, str(e))
            continue
        locs[key] = vloc
    return out, locs


def warn_plaintext_secrets(config: Mapping[str, str], locs: Mapping[str, Loc], diags: Diagnostics) -> None:
    for key, value in config.items():
        if is_sensitive_key(key) and value and not has_secret_ref(value) and not is_reference_only(value):
            diags.warning(locs.get(key), f"{key} holds a plaintext secret: use ${{secret:env:NAME}} or a Connect "
                                         "config provider reference such as ${file:/path:key}")
