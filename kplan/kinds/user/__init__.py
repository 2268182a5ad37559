"""SCRAM users: credentials created, rotated by token, deleted."""
