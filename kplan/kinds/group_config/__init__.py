"""Group configs as a kind: the dynamic configs of consumer, share and streams groups (KIP-848's GROUP config
resources), declared per group (docs/group-configs.md)."""
