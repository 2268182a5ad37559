"""The cluster pin (`cluster.id`): a stack meant for one Kafka cluster refuses every other.

Pure: the reader hands in the id the cluster reported with a request it makes anyway (the metadata answer or
`describe_cluster`), so a pinned stack costs no extra round trip. The refusal is raised before anything read is
used and before any change, and names where the pin is written, both ids and what to do.
"""

from __future__ import annotations

from kplan.errors import KplanError
from kplan.model.desired import ClusterSpec


class ClusterMismatch(KplanError):
    """The cluster at the stack's bootstrap servers is not the one its `cluster.id` names."""


def check_pin(cluster: ClusterSpec, found: str | None) -> None:
    """Raise `ClusterMismatch`, one line refusing `found` as the stack's cluster, unless `found` is the pinned id (or
    nothing is pinned)."""
    expected = cluster.pinned_id
    if expected is None or (found or "") == expected:
        return
    where = cluster.pin_origin or "cluster.id"
    seen = f"cluster {found}" if found else "a cluster that reports no id"
    raise ClusterMismatch(f"{where} pins the stack to Kafka cluster {expected}, but {cluster.bootstrap_servers} is "
                          f"{seen}: nothing was read or changed. Point bootstrap_servers (or -e) at the cluster the "
                          f"stack is for; if that cluster was re-created, set the id to {found or 'its new id'}")
