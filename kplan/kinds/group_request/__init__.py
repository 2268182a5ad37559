"""Group requests, one family written once: a consumer group's request (`consumer.py`: move its committed offsets —
earliest, latest, a time, explicit positions, or a mirror's translated ones — or delete the group) and a share
group's (`share.py`, KIP-932: move its start offsets; its configs are group configs, a group_configs entry), each
applied once per request token. What differs between them is data (`model.Terms`: each kind's words) or a small
override (`kind.ConsumerGroupKind`, `ShareGroupKind`)."""
