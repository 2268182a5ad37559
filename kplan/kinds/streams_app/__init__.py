"""Kafka Streams applications: the ACL bindings an application's principal needs, generated from its declared
inputs and outputs, and its internal topics (kept as the application's, created by kplan when managed)."""
