"""Client quotas, one resource per entity; kplan removes only the keys it set."""
