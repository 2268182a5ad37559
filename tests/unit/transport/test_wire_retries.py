"""kplan's own Kafka client asks a request again while Kafka answers an error it marks retriable (issue 67): over a
fake cluster of three brokers that answers real Kafka messages (kafka-python's layouts, as the brokers' bytes decode
into), scripted per request and broker. What is asked, of which broker, and the pauses between the tries."""

from __future__ import annotations

import pytest
from kafka.protocol.admin import ListGroupsResponse
from kafka.protocol.metadata import FindCoordinatorResponse, MetadataResponse

from kplan.errors import KplanError
from kplan.model.desired import ClusterSpec
from kplan.transport import retry as retry_module
from kplan.transport.retry import KAFKA_RETRIABLE, RETRIED_CODES
from kplan.transport.share_groups import describe, describe_all
from kplan.transport.share_protocol import DescribeShareGroupOffsetsResponse, ShareGroupDescribeResponse
from kplan.transport.wire import client as wire
from kplan.transport.wire.codec import NoAnswer, Transient
from kplan.transport.wire.connection import Settings
from kplan.transport.wire.messages import ListGroupsRequest

NONE, LEADER_NOT_AVAILABLE, COORDINATOR_LOAD_IN_PROGRESS, COORDINATOR_NOT_AVAILABLE, NOT_COORDINATOR = 0, 5, 14, 15, 16
UNKNOWN_TOPIC_OR_PARTITION, NOT_CONTROLLER, GROUP_AUTHORIZATION_FAILED = 3, 41, 30


def _metadata(controller: int) -> MetadataResponse:
    b = MetadataResponse.MetadataResponseBroker
    brokers = [b(version=1, node_id=n, host="h", port=n, rack=None) for n in (1, 2, 3)]
    return MetadataResponse(version=1, brokers=brokers, controller_id=controller, topics=[])


def _found(node: int, code: int = NONE) -> FindCoordinatorResponse:
    c = FindCoordinatorResponse.Coordinator
    return FindCoordinatorResponse(version=4, throttle_time_ms=0, coordinators=[
        c(version=4, key="g", node_id=node if not code else -1, host="h" if not code else "", port=node,
          error_code=code, error_message=None)])


def _group(code: int = NONE, state: str = "Empty") -> ShareGroupDescribeResponse:
    g = ShareGroupDescribeResponse.DescribedGroup
    return ShareGroupDescribeResponse(version=1, throttle_time_ms=0, groups=[
        g(version=1, error_code=code, error_message=None, group_id="g", group_state=state, group_epoch=0,
          assignment_epoch=0, assignor_name="simple", members=[], authorized_operations=0)])


def _listed(code: int) -> ListGroupsResponse:
    return ListGroupsResponse(version=5, throttle_time_ms=0, error_code=code, groups=[])


def _offsets(partition_code: int) -> DescribeShareGroupOffsetsResponse:
    g = DescribeShareGroupOffsetsResponse.DescribeShareGroupOffsetsResponseGroup
    t = g.fields["topics"].data_class
    p = t.fields["partitions"].data_class
    return DescribeShareGroupOffsetsResponse(version=1, throttle_time_ms=0, groups=[g(
        version=1, group_id="g", error_code=0, error_message=None, topics=[t(
            version=1, topic_name="t", topic_id=None, partitions=[p(
                version=1, partition_index=0, start_offset=-1, leader_epoch=-1, lag=-1, error_code=partition_code,
                error_message=None)])])])


class FakeKafka:
    """Brokers 1, 2 and 3 (each at port = its id; the bootstrap server is broker 1): `script[(request, broker)]`
    holds the answers to give in turn, the last one again and again (an exception is raised). Time is the fake's:
    it passes only while the client pauses (`slept`)."""

    def __init__(self, script: dict):
        self.script = {k: list(v) for k, v in script.items()}
        self.sent: list[tuple[str, int]] = []
        self.slept: list[float] = []
        self.now = 0.0

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds

    def client(self, monkeypatch, budget: float = 30.0) -> wire.Client:
        kafka = self

        class Connection:
            def __init__(self, settings, server=None):
                self.port = (server or settings.servers[0])[1]
                self.where = f"h:{self.port}"

            def call(self, request):
                name = type(request).__name__.removesuffix("Request")
                kafka.sent.append((name, self.port))
                answers = kafka.script[(name, self.port)]
                answer = answers.pop(0) if len(answers) > 1 else answers[0]
                if isinstance(answer, Exception):
                    raise answer
                return answer

            def close(self):
                pass

        monkeypatch.setattr(wire, "Connection", Connection)
        monkeypatch.setattr(retry_module, "time", self)
        settings = Settings(servers=(("h", 1),), tls=False, mechanism=None, user="", password="", ca=None,
                            check_hostname=False, verify=False, client_id="kplan", timeout_s=budget)
        client = wire.Client(settings)
        client.sleep = self.sleep
        return client


def test_the_happy_path_asks_each_request_once_and_never_pauses(monkeypatch):
    kafka = FakeKafka({("FindCoordinator", 1): [_found(2)], ("ShareGroupDescribe", 2): [_group()]})
    assert describe(kafka.client(monkeypatch), "g") == ("Empty", 0, {})
    assert kafka.sent == [("FindCoordinator", 1), ("ShareGroupDescribe", 2)]
    assert kafka.slept == []


def test_a_group_without_a_coordinator_yet_is_looked_up_again_with_growing_pauses_until_kafka_has_one(monkeypatch):
    """The issue's failure: right after share.version was enabled (the group's offsets topic being made, then loaded),
    FindCoordinator answers COORDINATOR_NOT_AVAILABLE, then COORDINATOR_LOAD_IN_PROGRESS."""
    kafka = FakeKafka({("FindCoordinator", 1): [_found(0, COORDINATOR_NOT_AVAILABLE),
                                                _found(0, COORDINATOR_LOAD_IN_PROGRESS), _found(3)],
                       ("ShareGroupDescribe", 3): [_group()]})
    assert describe(kafka.client(monkeypatch), "g") == ("Empty", 0, {})
    assert kafka.sent == [("FindCoordinator", 1)] * 3 + [("ShareGroupDescribe", 3)]
    [first, second] = kafka.slept
    assert 0.1 <= first <= 0.2 and 0.2 <= second <= 0.4  # backoff with jitter (kplan.transport.retry.RetryPolicy)


def test_a_coordinator_that_moved_is_looked_up_again_and_asked_there(monkeypatch):
    kafka = FakeKafka({("FindCoordinator", 1): [_found(2), _found(3)],
                       ("ShareGroupDescribe", 2): [_group(NOT_COORDINATOR)], ("ShareGroupDescribe", 3): [_group()]})
    assert describe(kafka.client(monkeypatch), "g") == ("Empty", 0, {})
    assert kafka.sent == [("FindCoordinator", 1), ("ShareGroupDescribe", 2), ("FindCoordinator", 1),
                          ("ShareGroupDescribe", 3)]
    assert len(kafka.slept) == 1


def test_a_coordinator_still_loading_is_asked_again_without_looking_it_up(monkeypatch):
    kafka = FakeKafka({("FindCoordinator", 1): [_found(2)],
                       ("ShareGroupDescribe", 2): [_group(COORDINATOR_LOAD_IN_PROGRESS), _group()]})
    assert describe(kafka.client(monkeypatch), "g") == ("Empty", 0, {})
    assert kafka.sent == [("FindCoordinator", 1), ("ShareGroupDescribe", 2), ("ShareGroupDescribe", 2)]


def test_not_controller_asks_the_metadata_for_the_controller_again(monkeypatch):
    kafka = FakeKafka({("Metadata", 1): [_metadata(2), _metadata(3)],
                       ("ListGroups", 2): [_listed(NOT_CONTROLLER)], ("ListGroups", 3): [_listed(NONE)]})
    assert kafka.client(monkeypatch).to_controller(ListGroupsRequest(types_filter=[], min_version=5)).error_code == 0
    assert kafka.sent == [("Metadata", 1), ("ListGroups", 2), ("Metadata", 1), ("ListGroups", 3)]


def test_a_retriable_error_of_one_partition_asks_the_whole_request_again(monkeypatch):
    kafka = FakeKafka({("FindCoordinator", 1): [_found(1)],
                       ("DescribeShareGroupOffsets", 1): [_offsets(LEADER_NOT_AVAILABLE), _offsets(NONE)]})
    from kplan.transport.share_groups import start_offsets

    assert start_offsets(kafka.client(monkeypatch), "g") == {}
    assert [n for n, _ in kafka.sent].count("DescribeShareGroupOffsets") == 2


@pytest.mark.parametrize("answer", [_offsets(UNKNOWN_TOPIC_OR_PARTITION), _listed(GROUP_AUTHORIZATION_FAILED),
                                    _group(NONE)], ids=["topic gone", "denied", "no error"])
def test_an_answer_that_says_something_is_taken_as_it_is(answer):
    """UNKNOWN_TOPIC_OR_PARTITION is retriable for Kafka, but for kplan it answers the question (the topic is gone);
    a refusal is the caller's to word."""
    assert wire.retriable_code(answer) is None


def test_the_retried_codes_are_kafkas_retriable_ones_but_those_that_answer():
    assert {COORDINATOR_LOAD_IN_PROGRESS, COORDINATOR_NOT_AVAILABLE, NOT_COORDINATOR, NOT_CONTROLLER,
            LEADER_NOT_AVAILABLE} <= RETRIED_CODES
    assert set(KAFKA_RETRIABLE) - RETRIED_CODES == {3, 84, 100}  # unknown topic, election not needed, unknown topic id


def test_past_the_budget_the_last_error_is_one_line_naming_it(monkeypatch):
    kafka = FakeKafka({("FindCoordinator", 1): [_found(0, COORDINATOR_LOAD_IN_PROGRESS)]})
    with pytest.raises(Transient) as raised:
        describe(kafka.client(monkeypatch, budget=1.0), "g")
    assert str(raised.value) == ("kplan's ShareGroupDescribe request: still failing after 1s of retries: Kafka at h:1 "
                                 "has no coordinator for group g yet (COORDINATOR_LOAD_IN_PROGRESS)")
    assert isinstance(raised.value, KplanError) and not isinstance(raised.value, NoAnswer)  # `Error: ...`, no trace
    assert 0 < sum(kafka.slept) <= 1.0 and len(kafka.sent) == len(kafka.slept) + 1


def test_past_the_budget_an_answers_error_is_named_with_the_broker_that_gave_it(monkeypatch):
    kafka = FakeKafka({("FindCoordinator", 1): [_found(2)], ("ShareGroupDescribe", 2): [_group(NOT_COORDINATOR)]})
    with pytest.raises(Transient, match=r"^kplan's ShareGroupDescribe request: still failing after 0\.5s of retries: "
                                        r"Kafka at h:2 answered NOT_COORDINATOR$"):
        describe(kafka.client(monkeypatch, budget=0.5), "g")


def test_no_answer_is_left_to_the_callers_attempts_at_once(monkeypatch):
    kafka = FakeKafka({("FindCoordinator", 1): [_found(2)], ("ShareGroupDescribe", 2): [NoAnswer("reset")]})
    with pytest.raises(NoAnswer):
        describe(kafka.client(monkeypatch), "g")
    assert kafka.slept == []


def test_an_apply_keeps_its_operations_deadline():
    """The run's client asks again for at most what the write under way has left (AdminSession.request_timeout)."""

    class Admin:
        cluster, secrets = ClusterSpec(bootstrap_servers="h:1", timeout_s=30.0), None

        def request_timeout(self):
            return 4.5

    assert wire.WireSession(Admin()).client.budget() == 4.5


def _coordinators(*found: tuple[str, int, int]) -> FindCoordinatorResponse:
    c = FindCoordinatorResponse.Coordinator
    return FindCoordinatorResponse(version=4, throttle_time_ms=0, coordinators=[
        c(version=4, key=key, node_id=node if not code else -1, host="h" if not code else "", port=node,
          error_code=code, error_message=None) for key, node, code in found])


def _described(*groups: tuple[str, int]) -> ShareGroupDescribeResponse:
    g = ShareGroupDescribeResponse.DescribedGroup
    return ShareGroupDescribeResponse(version=1, throttle_time_ms=0, groups=[
        g(version=1, error_code=code, error_message=None, group_id=gid, group_state="Empty", group_epoch=0,
          assignment_epoch=0, assignor_name="simple", members=[], authorized_operations=0) for gid, code in groups])


def test_many_groups_are_asked_in_one_request_per_coordinator_after_one_lookup(monkeypatch):
    """Issue 69: one FindCoordinator for every group, then one request per coordinator; a group whose coordinator
    Kafka will not name is that group's refusal, the others answered."""
    kafka = FakeKafka({("FindCoordinator", 1): [_coordinators(("a", 2, NONE), ("b", 3, NONE), ("c", 2, NONE),
                                                               ("d", 0, GROUP_AUTHORIZATION_FAILED))],
                       ("ShareGroupDescribe", 2): [_described(("a", NONE), ("c", NONE))],
                       ("ShareGroupDescribe", 3): [_described(("b", GROUP_AUTHORIZATION_FAILED))]})
    found = describe_all(kafka.client(monkeypatch), ["a", "b", "c", "d"])
    assert kafka.sent == [("FindCoordinator", 1), ("ShareGroupDescribe", 2), ("ShareGroupDescribe", 3)]
    assert found["a"] == found["c"] == ("Empty", 0, {})
    assert [found[g].code for g in "bd"] == ["GROUP_AUTHORIZATION_FAILED"] * 2
    assert str(found["d"]) == ("kplan's principal may not describe share group d (GROUP_AUTHORIZATION_FAILED): it "
                               "needs DESCRIBE on the group and on its topics; grant them with ACLs or run kplan as a "
                               "principal that has them (docs/share-groups.md)")


def test_a_batch_whose_coordinator_moved_is_asked_again_where_kafka_says_it_is_now(monkeypatch):
    kafka = FakeKafka({("FindCoordinator", 1): [_coordinators(("a", 2, NONE), ("b", 2, NONE)),
                                                _coordinators(("a", 3, NONE), ("b", 3, NONE))],
                       ("ShareGroupDescribe", 2): [_described(("a", NOT_COORDINATOR), ("b", NOT_COORDINATOR))],
                       ("ShareGroupDescribe", 3): [_described(("a", NONE), ("b", NONE))]})
    found = describe_all(kafka.client(monkeypatch), ["a", "b"])
    assert kafka.sent == [("FindCoordinator", 1), ("ShareGroupDescribe", 2), ("FindCoordinator", 1),
                          ("ShareGroupDescribe", 3)]
    assert found == {"a": ("Empty", 0, {}), "b": ("Empty", 0, {})}
