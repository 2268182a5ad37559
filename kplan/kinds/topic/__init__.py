"""Topics: partitions, replication factor, configs; replaced or deleted only when the stack says so."""
