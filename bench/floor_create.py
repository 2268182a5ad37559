"""The floor for creating N topics: the raw batched create_topics calls in a fresh process (as kplan runs).

The controller refuses a request that would write more than 10,000 metadata records ("excessively large batch
operation"; kplan.kinds.topic.batches): each topic here writes 4 (the topic, its partition, its two configs), so
the topics go in requests of 2,500 at most, all sent at once, and the floor waits for every answer. At 1,000 topics
that is the one request it always was."""

import sys

from confluent_kafka.admin import AdminClient, NewTopic

CONFIG = {"retention.ms": "86400000", "cleanup.policy": "delete"}
PER_REQUEST = 10_000 // (2 + len(CONFIG))  # the controller's records per request / the records of one topic


def main(bootstrap: str, prefix: str, n: str) -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    names = [f"{prefix}-t-{i:05d}" for i in range(int(n))]
    requests = [admin.create_topics([NewTopic(t, 1, 1, config=CONFIG) for t in names[i:i + PER_REQUEST]],
                                    request_timeout=120)
                for i in range(0, len(names), PER_REQUEST)]
    for futures in requests:
        for f in futures.values():
            f.result(180)


if __name__ == "__main__":
    main(*sys.argv[1:4])
