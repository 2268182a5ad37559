"""The share-group requests (KIP-932) kafka-python 3.0 has no message for, made from Kafka's message JSON in
kplan/transport/share_messages/ by kafka-python's own schema machinery: kplan's own Kafka client sends them like any
other message (kplan.transport.wire.client; kplan.transport.share_groups)."""

from __future__ import annotations

import kplan.transport.share_messages as _messages
from kplan.transport.wire.messages import ApiMessage

_AT = {"load_json": _messages}


class ShareGroupDescribeRequest(ApiMessage, **_AT): pass  # noqa: E701
class ShareGroupDescribeResponse(ApiMessage, **_AT): pass  # noqa: E701
class DescribeShareGroupOffsetsRequest(ApiMessage, **_AT): pass  # noqa: E701
class DescribeShareGroupOffsetsResponse(ApiMessage, **_AT): pass  # noqa: E701
class AlterShareGroupOffsetsRequest(ApiMessage, **_AT): pass  # noqa: E701
class AlterShareGroupOffsetsResponse(ApiMessage, **_AT): pass  # noqa: E701
class DeleteShareGroupOffsetsRequest(ApiMessage, **_AT): pass  # noqa: E701
class DeleteShareGroupOffsetsResponse(ApiMessage, **_AT): pass  # noqa: E701
