"""`make demo`: the main job on the local stack, end to end.

Brings up Kafka, Connect and PostgreSQL (dev/stack), validates and plans the CDC demo stack
(stacks/cdc-postgres.yaml, environment dev), applies it, inserts a row into `orders`, and shows the change event
arriving in its topic. Safe to run again: the second plan shows "No changes".
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import localstack  # dev/localstack/: found beside this script (`python dev/demo.py` puts dev/ on the path)

ROOT = Path(__file__).resolve().parent.parent

STACK = "stacks/cdc-postgres.yaml"
TOPIC = "demo.public.orders"


def banner(text: str) -> None:
    print(f"\n\033[1m==> {text}\033[0m" if sys.stdout.isatty() else f"\n==> {text}", flush=True)


def kplan(*args: str, check: bool = True) -> int:
    print("$ kplan " + " ".join(args), flush=True)
    code = subprocess.call([sys.executable, "-m", "kplan.cli", *args], cwd=ROOT)
    if check and code not in (0, 2):
        sys.exit(code)
    return code


def wait_for_change_event(marker: str, timeout_s: float = 60.0) -> dict:
    from confluent_kafka import Consumer, TopicPartition

    consumer = Consumer({"bootstrap.servers": localstack.BOOTSTRAP, "group.id": f"kplan-demo-{uuid.uuid4().hex[:6]}",
                         "enable.auto.commit": False})
    try:
        partitions = consumer.list_topics(TOPIC, timeout=10).topics[TOPIC].partitions
        # start at the current end of every partition: only events after our insert are shown
        tps = []
        for p in partitions:
            low, high = consumer.get_watermark_offsets(TopicPartition(TOPIC, p), timeout=10)
            tps.append(TopicPartition(TOPIC, p, high))
        consumer.assign(tps)
        localstack.psql(f"INSERT INTO orders (user_id, product_id, quantity) VALUES (1, 2, {marker})")
        print(f"inserted into orders: (user_id 1, product_id 2, quantity {marker})", flush=True)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            msg = consumer.poll(1.0)
            if msg is None or msg.error():
                continue
            event = json.loads(msg.value())
            if (event.get("after") or {}).get("quantity") == int(marker):
                return {"topic": msg.topic(), "partition": msg.partition(), "offset": msg.offset(), "event": event}
        raise SystemExit(f"no change event for the inserted row arrived in {TOPIC} within {timeout_s:.0f}s")
    finally:
        consumer.close()


def main() -> None:
    banner("Local stack: Kafka, Kafka Connect, PostgreSQL")
    try:
        localstack.up()
    except localstack.LocalStackError as e:
        sys.exit(f"[stack] error: {e}")
    localstack.status()
    print("connect plugins:   " + ", ".join(sorted(p["class"].rsplit(".", 1)[-1] for p in localstack.plugins())))
    # the stack's endpoints (it may run on ports of its own) and the demo database's password, for ${secret:env:...}
    os.environ.update(localstack.stack_env())

    banner(f"Validate {STACK}")
    kplan("validate", STACK, "-e", "dev")
    banner("Plan: one topic per captured table, and the Debezium connector")
    kplan("plan", STACK, "-e", "dev")
    banner("Apply")
    kplan("apply", STACK, "-e", "dev", "--auto-approve")
    banner("Plan again: nothing left to do")
    kplan("plan", STACK, "-e", "dev")

    banner(f"Insert a row into orders and watch its change event arrive in {TOPIC}")
    marker = str(int(time.time()) % 100000 + 100)
    got = wait_for_change_event(marker)
    event = got["event"]
    print(f"change event at {got['topic']}[{got['partition']}]@{got['offset']}: op={event.get('op')} "
          f"after={json.dumps(event.get('after'))}")
    banner("Done")
    print("Next, try:\n"
          "  .venv/bin/kplan render stacks/cdc-postgres.yaml -e dev            # what the CDC source expands to\n"
          "  .venv/bin/kplan plan stacks/cdc-postgres.yaml -e dev --format markdown   # the PR comment\n"
          "  make stack-down                                                    # stop the local stack")


if __name__ == "__main__":
    main()
