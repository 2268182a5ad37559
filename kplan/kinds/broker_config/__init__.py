"""Dynamic broker configs as a kind: cluster-wide dynamic defaults and per-broker overrides (docs/stack-format.md,
Broker configs)."""
