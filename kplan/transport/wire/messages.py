"""kafka-python's message layouts that kplan's own Kafka client sends (kplan.transport.wire.client), imported here
and only here, by the requests that send them (kafka-python adds ~0.05 s of CPU to a plan: a plan of topics never
imports it). One module for all of them, because two threads entering kafka-python by two of its modules at once
deadlock in Python's import locks (`_DeadlockError: deadlock detected by _ModuleLock('kafka.protocol.metadata')`:
the reader's quota and broker-config reads, in every cold run): one module is imported by one thread, the others
wait for it."""
# ruff: noqa: F401 (what this module imports is what it is for)

from kafka.errors import for_code
from kafka.protocol.admin import (
    AlterClientQuotasRequest,
    AlterPartitionReassignmentsRequest,
    DescribeClientQuotasRequest,
    DescribeConfigsRequest,
    DescribeLogDirsRequest,
    IncrementalAlterConfigsRequest,
    ListConfigResourcesRequest,
    ListGroupsRequest,
    ListPartitionReassignmentsRequest,
    UpdateFeaturesRequest,
)
from kafka.protocol.api_message import ApiMessage
from kafka.protocol.consumer.group import OffsetDeleteRequest, OffsetFetchRequest
from kafka.protocol.metadata import ApiVersionsRequest, FindCoordinatorRequest, MetadataRequest
