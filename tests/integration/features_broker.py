"""A broker of its own formatted with share.version and group.version off
(`KPLAN_STACK_KAFKA_FEATURES=share.version=0,group.version=0`: the launcher's `StorageTool format --feature`), for
what changes a cluster's finalized features: the session's stack never has its features changed. Started on first
use, on ports of its own; tests/integration/conftest.py's `features_cluster` stops it at the session's end, the sweep
(conformance_sweep.py) when it exits."""

from __future__ import annotations

from typing import Any

from second_stack import SecondStack, free_ports, second_stack


class FeaturesBroker:
    def __init__(self) -> None:
        self._context: Any = None
        self._stack: SecondStack | None = None

    def get(self) -> SecondStack:
        if self._stack is None:
            self._context = second_stack("features", free_ports(6, 31200, 31249))
            stack = self._context.__enter__()
            stack.env["KPLAN_STACK_KAFKA_FEATURES"] = "share.version=0,group.version=0"
            stack.launcher("up", "--only", "kafka")
            self._stack = stack
        return self._stack

    def close(self) -> None:
        if self._context is not None:
            context, self._context, self._stack = self._context, None, None
            context.__exit__(None, None, None)


FEATURES = FeaturesBroker()


def feature_off(bootstrap: str, feature: str = "share.version") -> None:
    """The feature back to 0 (a safe downgrade, by kafka-python) where a previous test left it on."""
    from kafka.admin import KafkaAdminClient, UpdateFeatureType
    from kplan_helpers import wait_for

    if not finalized(bootstrap).get(feature):
        return
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        admin.update_features({feature: (UpdateFeatureType.SAFE_DOWNGRADE, 0)})
    finally:
        admin.close()
    wait_for(lambda: not finalized(bootstrap).get(feature), 30, f"{feature} to be 0 on the broker")


def finalized(bootstrap: str) -> dict[str, int]:
    """feature -> its finalized level (kafka-python's describe_features: ApiVersions; 0 is not listed)."""
    from kafka.admin import KafkaAdminClient

    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        return {n: f["finalized"][1] for n, f in admin.describe_features().items() if "finalized" in f}
    finally:
        admin.close()


def share_off(bootstrap: str) -> None:
    feature_off(bootstrap, "share.version")
