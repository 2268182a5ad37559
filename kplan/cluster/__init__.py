"""Everything that talks to Kafka and Kafka Connect: client construction, the batched live-state reader, the
writer apply uses, plan-time validation by the real systems, retries, and kplan's own record topics."""
