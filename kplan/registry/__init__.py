"""Talking to the schema registry (Confluent's REST API, or Apicurio's Confluent-compatible `/apis/ccompat/v7`):
the client (`client.py`), the plan's read of the subjects it needs (`read.py`), its plan-time compatibility check
(`compat.py`), the writer apply uses (`write.py`), and the pure function that puts a read into the live state
(`attach.py`)."""
