"""Topics' validation sent ahead (`RealValidator.validate_ahead`, `TopicValidation.ahead`): apply's lock
thread sends the validate-only create of the topics the cluster lacks while the command's thread plans; the plan's
validation takes those answers only when it validates exactly those creates (the same names, partitions,
replication factors and configs), and only once. The real broker: tests/integration/test_validate_ahead.py."""

from __future__ import annotations

from concurrent.futures import Future

from builders import live, ltopic, stack, topic

from kplan.cluster.validator import RealValidator
from kplan.kinds.topic.io.validation import TopicValidation
from kplan.plan.planner import make_plan


class RefusingAdmin:
    """create_topics(validate_only=True) answering each topic at once: refused when its name starts with "bad"."""

    def __init__(self):
        self.calls: list[list[tuple]] = []

    def create_topics(self, new, validate_only=False, request_timeout=None):
        assert validate_only
        self.calls.append([(t.topic, t.num_partitions, t.replication_factor, dict(t.config)) for t in new])
        out = {}
        for t in new:
            fut: Future = Future()
            if t.topic.startswith("bad"):
                fut.set_exception(Exception("INVALID_REPLICATION_FACTOR: Replication factor: 3 larger than "
                                            "available brokers: 1."))
            else:
                fut.set_result(None)
            out[t.topic] = fut
        return out


def validator(admin) -> RealValidator:
    return RealValidator(admin, None, 5)


def topics(v: RealValidator) -> TopicValidation:
    validation = v.validation("topics")
    assert isinstance(validation, TopicValidation)
    return validation


def test_the_answers_sent_ahead_are_taken_and_nothing_is_asked_again():
    admin = RefusingAdmin()
    st = stack([topic("orders"), topic("bad-one")])
    v = validator(admin)
    topics(v).ahead(st, live())
    diags = v.validate(st, make_plan(st, live()))
    assert len(admin.calls) == 1  # the ahead request only
    [d] = diags
    assert d.code == "broker-refused" and d.address == "topic.bad-one" and "INVALID_REPLICATION_FACTOR" in d.message
    assert d.origin is not None and d.origin.line == 1


def test_the_same_diagnostics_as_asking_directly():
    st = stack([topic("orders"), topic("bad-one", line=7)])
    plan = make_plan(st, live())
    ahead = validator(RefusingAdmin())
    topics(ahead).ahead(st, live())
    assert ahead.validate(st, plan) == validator(RefusingAdmin()).validate(st, plan)


def test_a_plan_creating_fewer_topics_takes_the_answers_of_those():
    admin = RefusingAdmin()
    st = stack([topic("orders"), topic("bad-one")])
    v = validator(admin)
    topics(v).ahead(st, live())
    # "bad-one" exists by the time the plan is made: only "orders" is created, and only its answer counts
    assert v.validate(st, make_plan(st, live([ltopic("bad-one")]))) == []
    assert len(admin.calls) == 1


def test_a_create_that_differs_from_the_one_sent_ahead_is_asked_again():
    admin = RefusingAdmin()
    sent = stack([topic("orders", config={"retention.ms": "1000"})])
    v = validator(admin)
    topics(v).ahead(sent, live())
    st = stack([topic("orders", config={"retention.ms": "2000"})])
    assert v.validate(st, make_plan(st, live())) == []
    assert len(admin.calls) == 2 and admin.calls[1] == [("orders", 3, 3, {"retention.ms": "2000"})]
    # and a topic that was not sent ahead at all
    admin = RefusingAdmin()
    v = validator(admin)
    topics(v).ahead(stack([topic("orders")]), live())
    st = stack([topic("orders"), topic("payments")])
    v.validate(st, make_plan(st, live()))
    assert len(admin.calls) == 2 and [t[0] for t in admin.calls[1]] == ["orders", "payments"]


def test_the_answers_sent_ahead_serve_the_first_validation_only():
    """Planning again (kplan.kinds.topic.io.settle) asks again: the cluster may have changed."""
    admin = RefusingAdmin()
    st = stack([topic("orders")])
    v = validator(admin)
    topics(v).ahead(st, live())
    plan = make_plan(st, live())
    v.validate(st, plan)
    v.validate(st, plan)
    assert len(admin.calls) == 2


def test_a_failure_to_send_ahead_leaves_the_validation_to_ask():
    class Broken(RefusingAdmin):
        def create_topics(self, new, validate_only=False, request_timeout=None):
            if not self.calls:
                self.calls.append([])
                raise RuntimeError("no connection")
            return super().create_topics(new, validate_only, request_timeout)

    admin = Broken()
    st = stack([topic("bad-one")])
    v = validator(admin)
    topics(v).ahead(st, live())
    [d] = v.validate(st, make_plan(st, live()))
    assert d.code == "broker-refused" and len(admin.calls) == 2


def test_validate_ahead_sends_the_creates_of_the_declared_topics_the_read_lacks():
    admin = RefusingAdmin()
    st = stack([topic("orders"), topic("bad-one")])
    v = validator(admin)
    read = live([ltopic("orders")])
    v.validate_ahead(st, read)
    assert [[t[0] for t in call] for call in admin.calls] == [["bad-one"]]
    [d] = v.validate(st, make_plan(st, read))
    assert d.address == "topic.bad-one" and len(admin.calls) == 1  # taken, not asked again
    v = validator(admin := RefusingAdmin())
    v.validate_ahead(st, live([ltopic("orders"), ltopic("bad-one")]))
    assert admin.calls == []  # the cluster has them all: nothing to send
