"""The live-state reader against a broker that is not there: one clear error, within its timeout (no stack
needed; tests/integration/test_reader.py has the rest, against the real broker and Connect worker)."""

from __future__ import annotations

import time

import pytest

from kplan.errors import KplanError
from kplan.model.desired import ClusterSpec
from kplan.session.systems import StackReader


def test_unreachable_broker_is_one_clear_error_within_the_timeout():
    reader = StackReader(ClusterSpec("127.0.0.1:1", None, timeout_s=2))
    started = time.monotonic()
    with pytest.raises(KplanError, match=r"cannot reach Kafka at 127.0.0.1:1 within 2s"):
        reader.read("s")
    assert time.monotonic() - started < 10
