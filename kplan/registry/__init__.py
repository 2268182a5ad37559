"""Talking to the schema registry (Confluent's REST API, or Apicurio's Confluent-compatible `/apis/ccompat/v7`):
the client (`client.py`), the plan's read of the subjects it needs (`read.py`), its plan-time compatibility check
(`compat.py`) and the writer apply uses (`write.py`). What puts a read into the live state is the subject kind's
(`kplan.kinds.subject.attach`)."""
