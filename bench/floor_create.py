"""The floor for creating N topics: one raw batched create_topics call in a fresh process (as kplan runs)."""

import sys

from confluent_kafka.admin import AdminClient, NewTopic

CONFIG = {"retention.ms": "86400000", "cleanup.policy": "delete"}


def main(bootstrap: str, prefix: str, n: str) -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    names = [f"{prefix}-t-{i:05d}" for i in range(int(n))]
    futures = admin.create_topics([NewTopic(t, 1, 1, config=CONFIG) for t in names], request_timeout=120)
    for f in futures.values():
        f.result(180)


if __name__ == "__main__":
    main(*sys.argv[1:4])
