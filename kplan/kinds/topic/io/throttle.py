"""The replication throttle read back until it is in force: each broker's own dynamic rates (a broker answers for
its own configs, so it has applied them) and the topics' throttled replicas. Without it the first fetches of a
reassignment may go unthrottled, copying a burst before the brokers apply the limit."""

from __future__ import annotations

import time
from typing import Any, Mapping, Sequence

from kplan.errors import WriteError


def wait_throttle(admin: Any, brokers: Sequence[str], broker_values: Mapping[str, str | None],
                  topics: Sequence[str], topic_values: Mapping[str, str | None], timeout_s: float) -> None:
    """Poll describe_configs until every broker and topic shows `*_values` (None: no dynamic value)."""
    from confluent_kafka.admin import ConfigResource

    wanted = [(ConfigResource(ConfigResource.Type.BROKER, b), broker_values) for b in brokers]
    wanted += [(ConfigResource(ConfigResource.Type.TOPIC, t), topic_values) for t in topics]
    deadline = time.monotonic() + timeout_s
    delay = 0.05
    while True:
        pending = [str(res.name) for res, values in wanted if not _shows(admin, res, values, timeout_s)]
        if not pending:
            return
        if time.monotonic() > deadline:
            raise WriteError("verification failed: the replication throttle does not show on "
                             + ", ".join(pending[:10]))
        time.sleep(delay)
        delay = min(0.5, delay * 2)


def _shows(admin: Any, resource: Any, values: Mapping[str, str | None], timeout_s: float) -> bool:
    """Whether `resource` shows `values` now (one request; librdkafka takes one broker resource per call)."""
    from confluent_kafka.admin import ConfigSource

    dynamic_sources = {ConfigSource.DYNAMIC_BROKER_CONFIG.value, ConfigSource.DYNAMIC_TOPIC_CONFIG.value}
    try:
        (fut,) = admin.describe_configs([resource], request_timeout=timeout_s).values()
        entries = fut.result(timeout=timeout_s + 5)
    except Exception:  # noqa: BLE001 - not readable yet: asked again until the deadline
        return False
    for key, want in values.items():
        entry = entries.get(key)
        have = entry.value if entry is not None and entry.source in dynamic_sources else None
        if have != want:
            return False
    return True
