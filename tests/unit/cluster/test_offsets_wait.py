"""An offsets change Connect answers "not yet" (kplan.transport.offsets): while a sink's tasks have not left its group,
the wait follows the group (a line saying what it waits for), at most the members' session timeout more than the
stack's timeout; anything else "not yet" gets the stack's timeout, as before. A fake clock: no real waiting."""

from __future__ import annotations

import pytest

from kplan.errors import WriteError
from kplan.transport import offsets
from kplan.transport.offsets import SinkGroup, reset_offsets, session_timeout_s

IN_GROUP = ("Failed to reset consumer group offsets for connector s either because its tasks haven't stopped "
            "completely yet or the connector was resumed before the request to reset its offsets could be "
            "successfully completed. If the connector is in a stopped state, this operation can be safely retried.")
NOT_STOPPED = "Connectors must be in the STOPPED state before their offsets can be modified"


class Answer:
    def __init__(self, status: int, body):
        self.status_code, self._body = status, body
        self.text = str(body)

    def json(self):
        return self._body


class Clock:
    def __init__(self):
        self.now = 1000.0

    def monotonic(self):
        return self.now

    def sleep(self, s):
        self.now += s


@pytest.fixture
def clock(monkeypatch):
    c = Clock()
    monkeypatch.setattr(offsets, "time", c)
    return c


def connect(answers):
    """A Connect that answers DELETE with `answers(now)` and GET with no offsets; records the DELETEs."""
    sent = []

    def call(method, path, what, ok, json=None, not_yet=()):
        if method == "GET":
            return Answer(200, {"offsets": []})
        sent.append(method)
        status, message = answers()
        return Answer(status, {"error_code": status, "message": message} if status != 200 else {"message": "ok"})
    return call, sent


def test_the_change_waits_while_the_sinks_group_has_members_beyond_the_stacks_timeout(clock, capsys):
    leaves_at = clock.now + 30  # a task that died: expelled after its session timeout, later than the stack's 10 s
    members = lambda: 1 if clock.now < leaves_at else 0  # noqa: E731
    call, sent = connect(lambda: (500, IN_GROUP) if members() else (200, ""))
    reset_offsets(call, "s", 10.0, lambda: SinkGroup("connect-s", 45.0, members))
    assert clock.now >= leaves_at and sent[-1] == "DELETE"
    lines = capsys.readouterr().err.splitlines()
    assert lines[0] == ("connector s: Connect cannot reset its offsets yet: its consumer group 'connect-s' still has "
                        "1 member (a task that has not stopped completely; Kafka expels one that died after its "
                        "session timeout, 45s); waiting (0s so far, at most 55s)")
    assert 5 <= len(lines) <= 7  # one line every 5 s, not one per look


def test_members_that_outlive_their_session_timeout_fail_the_change_saying_what_to_do(clock):
    call, _ = connect(lambda: (500, IN_GROUP))
    start = clock.now
    with pytest.raises(WriteError) as e:
        reset_offsets(call, "s", 10.0, lambda: SinkGroup("connect-s", 20.0, lambda: 2))
    assert 29 <= clock.now - start <= 31  # the stack's timeout and the session timeout
    message = str(e.value)
    assert message.startswith("cannot reset connector s's offsets: after 30s its consumer group 'connect-s' still has "
                              "2 members, longer than a task that died keeps its place (its session timeout, 20s)")
    assert "restart that worker, or run again later" in message and "\n" not in message


def test_once_the_group_is_empty_connect_has_the_stacks_timeout_to_agree(clock):
    leaves_at = clock.now + 25
    members = lambda: 1 if clock.now < leaves_at else 0  # noqa: E731
    call, _ = connect(lambda: (500, IN_GROUP))  # Connect keeps refusing though the group is empty
    with pytest.raises(WriteError, match=r"resetting connector s's offsets: still refused after 3[45]s: HTTP 500"):
        reset_offsets(call, "s", 10.0, lambda: SinkGroup("connect-s", 45.0, members))


@pytest.mark.parametrize("status, message, group", [(500, IN_GROUP, None), (400, NOT_STOPPED, SinkGroup("g", 45, int))])
def test_other_not_yet_answers_get_the_stacks_timeout(clock, capsys, status, message, group):
    """No group known (a source, or no Kafka view of groups), or a group without members, or the stop not yet seen
    everywhere: the stack's timeout, and no waiting line."""
    call, sent = connect(lambda: (status, message))
    start = clock.now
    with pytest.raises(WriteError, match=rf"still refused after 1[01]s: HTTP {status}"):
        reset_offsets(call, "s", 10.0, lambda: group)
    assert clock.now - start <= 10.5 and len(sent) > 5 and capsys.readouterr().err == ""


@pytest.mark.parametrize("config, seconds", [({}, 45.0), ({"consumer.override.session.timeout.ms": "90000"}, 90.0),
                                             ({"consumer.override.session.timeout.ms": "soon"}, 45.0)])
def test_the_session_timeout_is_the_connectors_override_or_kafkas_default(config, seconds):
    assert session_timeout_s(config) == seconds
