"""kplan: plan and apply Kafka topics and Kafka Connect connectors from declarative stack files."""

__version__ = "0.1.0"
