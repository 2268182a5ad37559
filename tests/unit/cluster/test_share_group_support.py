"""Whether a cluster takes share-group requests (kplan.transport.share_groups.supported), from what its brokers say:
the requests listed in ApiVersions (none before Kafka 4.1) and the share.version feature (0: share groups off).
The message layouts round-trip through kafka-python's codec as the brokers take them."""

from __future__ import annotations

import uuid

from kplan.transport import share_groups
from kplan.transport.share_protocol import AlterShareGroupOffsetsRequest, DescribeShareGroupOffsetsResponse


class _Client:
    """What kplan's own client tells: whether a broker serves the requests (ApiVersions), and the feature's level."""

    def __init__(self, listed: bool, share_version: int | None):
        self.listed, self.share_version = listed, share_version

    def serves(self, request_class) -> bool:
        return self.listed

    def finalized(self, feature: str) -> int:
        return (self.share_version or 0) if feature == "share.version" else 21


def test_share_groups_need_the_requests_and_the_feature():
    assert share_groups.supported(_Client(True, 1)) is None
    assert "Kafka 4.1 or newer" in share_groups.supported(_Client(False, None))
    off = share_groups.supported(_Client(True, 0))
    assert "share.version is 0" in off and "kafka-features.sh upgrade --feature share.version=1" in off
    assert "not enabled" in share_groups.supported(_Client(True, None))


def test_the_messages_encode_and_decode_as_kafka_lays_them_out():
    request = AlterShareGroupOffsetsRequest(group_id="g", topics=[("t", [(0, 3), (1, 7)])])
    assert request.encode(version=0)  # flexible, no error
    response = DescribeShareGroupOffsetsResponse(throttle_time_ms=0, groups=[
        ("g", [("t", uuid.UUID(int=1), [(0, 5, 0, 2, 0, None)])], 0, None)])
    again = DescribeShareGroupOffsetsResponse.decode(response.encode(version=1), version=1)
    [p] = again.groups[0].topics[0].partitions
    assert (p.partition_index, p.start_offset, p.leader_epoch, p.lag, p.error_code) == (0, 5, 0, 2, 0)
