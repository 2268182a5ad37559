"""Share-group requests (KIP-932, "queues for Kafka"): a share group's start offsets reset (earliest, latest, a
time, explicit positions), applied once per request token, as a consumer group's committed offsets are
(its consumer_groups request). A share group's configs are group configs (its group_configs entry)."""
