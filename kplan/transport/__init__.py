"""Talking to the systems kplan manages, below the packages that know what they are for (cluster, registry, state):
the Kafka clients (`kafka.py`), the REST client (`http.py`), retries and error classes (`retry.py`), the stack's
deadlines and links (`reach.py`) and what kplan's principal may not do (`permissions.py`)."""
