"""The writers apply is given (`kplan.transport.sessions.Writers`: the run's sessions, and each kind's io over them),
composed here, above the packages that implement them. The unit tests compose in-memory fakes the same way
(tests/unit/fakes.py)."""

from __future__ import annotations

from kplan.model.desired import ClusterSpec
from kplan.secrets import SecretValues
from kplan.transport.sessions import Writers


def open_writers(cluster: ClusterSpec, secrets: SecretValues | None = None, policy=None,
                 connector_timeout_s: float = 120.0, admin=None) -> Writers:
    """The real writers of a stack's cluster. `admin`: an admin client to use (the session's; not closed here),
    `policy`: the retry policy of Kafka's and Connect's writes (default: the stack's timeout)."""
    from kplan.transport.admin import AdminSession
    from kplan.transport.wire.client import WireSession

    secrets = SecretValues() if secrets is None else secrets
    kafka = AdminSession(cluster, secrets, policy, admin=admin)
    return Writers(cluster, secrets, kafka, WireSession(kafka), policy=policy, connector_timeout_s=connector_timeout_s)
