"""The floor for a topic migration's copy: a plain consumer-to-producer loop in a fresh process (as kplan runs).

    floor_copy.py BOOTSTRAP OLD NEW

One consumer (no group commits, every partition of OLD from its start, stopping at each partition's end as it was
when the loop began) and one producer into NEW, partitioned by key as kplan's copy does (`murmur2_random`, Java's),
with the same batch size and linger; no transaction, no idempotence, no offset map: the least one consumer and one
producer do to move the records. Prints {"records": N, "bytes": B} once every record is acknowledged."""

import json
import sys
import uuid

from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition

BATCH = 2000  # as kplan.kinds.topic.io.migrate.BATCH


def main(bootstrap: str, old: str, new: str) -> None:
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"kplanbench-floor-copy-{uuid.uuid4().hex[:8]}",
                         "enable.auto.commit": False, "enable.partition.eof": True, "auto.offset.reset": "earliest"})
    producer = Producer({"bootstrap.servers": bootstrap, "partitioner": "murmur2_random", "linger.ms": 5})
    partitions = len(consumer.list_topics(old, timeout=30).topics[old].partitions)
    consumer.assign([TopicPartition(old, p, 0) for p in range(partitions)])
    left, records, size = set(range(partitions)), 0, 0
    while left:
        for msg in consumer.consume(num_messages=BATCH, timeout=1.0):
            err = msg.error()
            if err is not None:
                if err.code() == KafkaError._PARTITION_EOF:
                    left.discard(msg.partition())
                    continue
                sys.exit(f"reading {old}: {err.str()}")
            _, ts = msg.timestamp()
            value, key = msg.value(), msg.key()
            while True:
                try:
                    producer.produce(new, value=value, key=key, headers=msg.headers(), timestamp=max(ts, 0))
                    break
                except BufferError:  # the producer's queue is full: let it send
                    producer.poll(0.05)
            records += 1
            size += len(value or b"") + len(key or b"")
        producer.poll(0)
    if producer.flush(120):
        sys.exit(f"{len(producer)} records not acknowledged")
    consumer.close()
    print(json.dumps({"records": records, "bytes": size}))


if __name__ == "__main__":
    main(*sys.argv[1:4])
