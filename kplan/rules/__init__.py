"""Pure Kafka knowledge: the topic-config catalogue, human units, value comparison, reserved names."""
