"""A second plain Kafka Connect worker on the same local Kafka: its own Connect cluster (its own group.id and
config/offset/status topics) with its REST API on `KPLAN_STACK_CONNECT2_PORT` (default 18084), for stacks that
declare several Connect clusters on one Kafka cluster (docs/stack-format.md, `cluster.connect` as a map).

Its config is the plain worker's with the keys below laid over it (overlay_worker.py). It is lazy: only `dev/stack
up --connect2` or the `connect2` fixture (`up()` here) starts it; `dev/stack down` stops it first."""

from __future__ import annotations

import os

from .common import HOST
from .overlay_worker import OverlayWorker

CONNECT2_PORT = int(os.environ.get("KPLAN_STACK_CONNECT2_PORT", "18084"))
WORKER = OverlayWorker("connect2", CONNECT2_PORT, f"""# the second Connect cluster on the same Kafka (connect2.py)
group.id=kplan-dev-connect2
listeners=http://{HOST}:{CONNECT2_PORT}
rest.advertised.port={CONNECT2_PORT}
config.storage.topic=connect2-configs
offset.storage.topic=connect2-offsets
status.storage.topic=connect2-status
""")
CONNECT2_URL = WORKER.url
up, down = WORKER.up, WORKER.down
