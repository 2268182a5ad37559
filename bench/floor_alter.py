"""The floor for changing one config of one topic: one raw incremental_alter_configs call in a fresh process (as
kplan runs). Used by bench/compare_peers.py."""

import sys

from confluent_kafka.admin import AdminClient, AlterConfigOpType, ConfigEntry, ConfigResource


def main(bootstrap: str, topic: str, key: str, value: str) -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    entry = ConfigEntry(key, value, incremental_operation=AlterConfigOpType.SET)
    futures = admin.incremental_alter_configs([ConfigResource(ConfigResource.Type.TOPIC, topic,
                                                              incremental_configs=[entry])])
    for f in futures.values():
        f.result(60)


if __name__ == "__main__":
    main(*sys.argv[1:5])
