"""The floor for `kplan plan` with no changes: only the raw reads, nothing else — one metadata request, the
batched describe_configs (chunks run concurrently), one Connect expand request (none when CONNECT is "").
Used by bench/plan_scale.py."""

import sys

import requests
from confluent_kafka.admin import AdminClient, ConfigResource


def main(bootstrap: str, connect: str, prefix: str) -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    md = admin.list_topics(timeout=30)
    names = [n for n in md.topics if n.startswith(prefix + "-")]
    pending = []
    for i in range(0, len(names), 250):
        pending.append(admin.describe_configs([ConfigResource(ConfigResource.Type.TOPIC, n) for n in names[i:i + 250]]))
    configs = sum(len(f.result(60)) for futs in pending for f in futs.values())
    body = requests.get(f"{connect}/connectors?expand=info&expand=status", timeout=60).json() if connect else {}
    print(len(names), configs, len(body))


if __name__ == "__main__":
    main(*sys.argv[1:4])
