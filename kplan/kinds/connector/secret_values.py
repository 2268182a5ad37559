"""A connector's secrets as the checks and masks over every kind ask for them (its UNIT's `secret_fields` and
`run_secrets`): the config values (and a CDC source's `on_destroy` password) whose `${secret:...}` references must
resolve on every plan, and the plaintext secret values a run may meet in the stack's and the cluster's connectors.
Which keys hold secrets is `kplan.secrets.secret_keys`' rule. Pure."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

from kplan.model.plan import ResourceType
from kplan.secrets import has_secret_ref, secret_keys

if TYPE_CHECKING:  # pragma: no cover
    from kplan.kinds.unit import SecretField
    from kplan.model.desired import ConnectorSpec, Stack
    from kplan.model.live import LiveState


def secret_fields(spec: "ConnectorSpec") -> Iterator["SecretField"]:
    """Every config value, each at its own line where the stack writes it, and `on_destroy`'s password."""
    for key, value in spec.config.items():
        yield value, ("config", key), spec.config_origins.get(key, spec.origin)
    if spec.on_destroy is not None:
        yield spec.on_destroy.password, ("on_destroy", "password"), spec.origin


def run_secrets(stack: "Stack", live: "LiveState") -> set[str]:
    """The declared connectors' plaintext secret values (a reference resolves into the run's own secrets), and the
    live connectors' secret values (a before-image may be restored)."""
    values: set[str] = set()
    for spec in stack.of("connectors"):
        values.update(v for k in secret_keys(spec.config, declared=spec.sensitive_keys)
                      if not has_secret_ref(v := spec.config[k]))
    for conn in live.of(ResourceType.CONNECTOR).resources.values():
        values.update(conn.config[k] for k in secret_keys(conn.config, recorded=conn.sensitive_keys))
    return values
