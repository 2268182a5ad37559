"""Shared fixtures come from the local stack's pytest plugin, dev/localstack/pytest_plugin.py, which
pyproject.toml registers (`-p localstack.pytest_plugin`): `stack` (a real Kafka broker and Kafka Connect
worker, started or reused for the session) and `unique` (unique resource names)."""
