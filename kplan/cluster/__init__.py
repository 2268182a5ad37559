"""Everything that talks to Kafka and Kafka Connect about the stack's resources: the Connect client, the batched
live-state reader, the writers apply uses and plan-time validation by the real systems. The Kafka clients, retries
and deadlines they share with kplan's other I/O packages are `kplan.transport`'s."""
