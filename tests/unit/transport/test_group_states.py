"""Group states are worded as Kafka (kafka-consumer-groups.sh) words them, whichever reader described the group."""

from confluent_kafka import ConsumerGroupState

from kplan.transport.groups import state_name


def test_every_client_state_is_worded_as_kafka_words_it():
    words = {s.name: state_name(s) for s in ConsumerGroupState}
    assert words == {"UNKNOWN": "Unknown", "PREPARING_REBALANCING": "PreparingRebalance",
                     "COMPLETING_REBALANCING": "CompletingRebalance", "STABLE": "Stable", "DEAD": "Dead",
                     "EMPTY": "Empty"}


def test_a_state_the_table_does_not_know_is_worded_in_kafkas_manner():
    assert state_name("SOME_NEW_STATE") == "SomeNewState"
