"""The feature kind: Kafka's finalized feature versions (KIP-584) as declared state."""
