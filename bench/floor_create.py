"""The floor for creating N topics: the raw batched create_topics calls in a fresh process (as kplan runs).

The controller refuses a request that would write more than 10,000 metadata records ("excessively large batch
operation"; kplan.kinds.topic.batches): each topic here writes 4 (the topic, its partition, its two configs), so
the topics go in requests of 2,500 at most, all sent at once, and the floor waits for every answer. At 1,000 topics
that is the one request it always was.

With a fourth argument `visible`, the floor also waits until the cluster shows what it created — one metadata
request for all topics, asked again (20 ms, doubling to 0.5 s) until each of the N is listed with a leader for its
partition — and prints when its requests were answered and when the topics were listed (seconds from its start).
That is the least a tool that claims "created" only once the cluster shows it (kplan) can do: the controller answers
a create once it has committed the records, a broker lists the topics only once it has applied them, and at
thousands of new topics that is where the time goes (bench/README.md)."""

import time

START = time.monotonic()  # before the client library's import: the phases below count from here

import json  # noqa: E402
import sys  # noqa: E402

from confluent_kafka.admin import AdminClient, NewTopic  # noqa: E402

CONFIG = {"retention.ms": "86400000", "cleanup.policy": "delete"}
PER_REQUEST = 10_000 // (2 + len(CONFIG))  # the controller's records per request / the records of one topic


def wait_listed(admin: AdminClient, names: list[str], timeout_s: float) -> None:
    """Poll one metadata request for the names until each is listed and led; exit 1 at the deadline."""
    deadline, delay, pending = time.monotonic() + timeout_s, 0.02, list(names)
    while pending:
        topics = admin.list_topics(timeout=60).topics  # librdkafka asks for all topics: one request, as for N names
        pending = [n for n in pending if not (n in topics and topics[n].error is None and topics[n].partitions
                                              and all(p.leader >= 0 for p in topics[n].partitions.values()))]
        if not pending:
            return
        if time.monotonic() > deadline:
            sys.exit(f"{len(pending)} of {len(names)} topics not listed {timeout_s:.0f} s after the create")
        time.sleep(delay)
        delay = min(0.5, delay * 2)


def main(bootstrap: str, prefix: str, n: str, wait: str = "") -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    names = [f"{prefix}-t-{i:05d}" for i in range(int(n))]
    requests = [admin.create_topics([NewTopic(t, 1, 1, config=CONFIG) for t in names[i:i + PER_REQUEST]],
                                    request_timeout=120)
                for i in range(0, len(names), PER_REQUEST)]
    for futures in requests:
        for f in futures.values():
            f.result(180)
    if wait == "visible":
        answered = time.monotonic() - START
        wait_listed(admin, names, max(120.0, 0.1 * len(names)))
        # seconds from the script's start: the create requests answered, every topic listed with its leader
        print(json.dumps({"answered_s": round(answered, 3), "listed_s": round(time.monotonic() - START, 3)}))


if __name__ == "__main__":
    main(*sys.argv[1:5])
