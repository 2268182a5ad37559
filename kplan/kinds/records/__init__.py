"""A topic's records deleted up to an offset per partition or up to a time (`delete_records:`, Kafka's DeleteRecords),
a one-time request reviewed in the plan and applied once per token, like a consumer group's reset."""
