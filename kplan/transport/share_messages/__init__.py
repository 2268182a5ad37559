"""The share-group protocol messages kafka-python 3.0 lacks (KIP-932), as Kafka's own message JSON (the layout of
each version checked against Kafka 4.3.1's kafka-clients): read by kplan.transport.share_protocol."""
