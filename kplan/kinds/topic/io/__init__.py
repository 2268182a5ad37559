"""The topic kind's I/O (kplan.kinds.topic), through librdkafka's admin client and, where it speaks the client's
settings, kplan's own Kafka client (kplan.transport.wire): the batched read's topic part (`read.py`), many topics'
configs described, in worker processes for thousands (`describe.py`), consistent reads after bulk changes
(`settle.py`), the plan-time validation by the broker (`validation.py`) and the kind's writes (`writes.py`:
`TopicWrites`, which its handlers call through `ctx.io`, with the replication throttle read back and preferred
leaders, and partition reassignments with their progress lines, `reassignments.py`). The
describe workers import this package: it imports nothing."""
