"""`kplan.cluster.validator.RealValidator` composes the kinds' plan-time validations registered in
`kplan.cluster.kind_io.VALIDATIONS`: a kind's validation runs when the plan changes the kind, in the order of plans;
a kind that registered none is skipped; validations with an early part are started by `validate_ahead`. And the
composer, like the batched read, names no kind."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from builders import live, stack, topic

import kplan.cluster.validator as validator_mod
from kplan.cluster.kind_io import ADMIN_READS, OWN_READS, PRIMARY_READS, VALIDATIONS, Validation
from kplan.cluster.validator import RealValidator
from kplan.kinds import KINDS
from kplan.model.plan import Action, Plan, ResourceChange, ResourceType, error

CLUSTER = Path(validator_mod.__file__).parent


class NoAdmin:
    def __getattr__(self, name):
        raise AssertionError(f"the admin client was used: {name}")


def change(kind: ResourceType, name: str, action: Action = Action.UPDATE) -> ResourceChange:
    return ResourceChange(f"{kind.value}.{name}", kind, name, action)


def plan(*changes: ResourceChange) -> Plan:
    return Plan("shop", "prod", "cluster-1", tuple(changes))


@pytest.fixture
def fake(monkeypatch):
    """A validation registered for quotas (which register none) and one for subjects with an early part, in a
    module of their own; `calls` records what they were given."""
    calls: list[tuple] = []

    class Fake:
        kind: ResourceType

        def __init__(self, systems):
            self.systems = systems
            calls.append(("made", type(self).__name__))

        def validate(self, stack, plan):
            calls.append(("validate", type(self).__name__, plan.changes))
            return [error(f"{type(self).__name__} refuses", "fake-refused", address=c.address)
                    for c in plan.changes if c.type == self.kind]

    class Quotas(Fake):
        kind = ResourceType.QUOTA

    class Subjects(Fake):
        kind = ResourceType.SUBJECT

        def ahead(self, stack, live):
            calls.append(("ahead", type(self).__name__, stack.name, live.cluster_id))

    monkeypatch.setattr(validator_mod, "VALIDATIONS", {
        "subjects": Validation(lambda: Subjects, ahead=True),
        "quotas": Validation(lambda: Quotas),
    })
    return calls


def test_a_registered_validation_is_made_once_and_given_each_plan_that_changes_its_kind(fake):
    v = RealValidator(NoAdmin(), None, 5)
    quota = change(ResourceType.QUOTA, "user=a")
    [d] = v.validate(stack(), plan(quota))
    assert (d.code, d.address) == ("fake-refused", "quota.user=a")
    v.validate(stack(), plan(quota))
    assert fake == [("made", "Quotas"), ("validate", "Quotas", (quota,)), ("validate", "Quotas", (quota,))]
    assert v.validation("quotas").systems is v  # type: ignore[attr-defined]


def test_a_kind_without_a_change_or_without_a_validation_is_skipped(fake):
    v = RealValidator(NoAdmin(), None, 5)
    unchanged = change(ResourceType.QUOTA, "user=a", Action.NOOP)
    metadata_only = change(ResourceType.QUOTA, "user=b", Action.METADATA)
    # topics register none here: their change reaches no validation (and the admin client is never used)
    assert v.validate(stack([topic()]), plan(unchanged, metadata_only, change(ResourceType.TOPIC, "orders"))) == []
    assert fake == []  # not even made: its module is loaded only for a plan that changes its kind


def test_the_diagnostics_come_in_the_order_of_plans_and_a_validation_started_ahead_always_gets_the_plan(fake):
    v = RealValidator(NoAdmin(), None, 5)
    v.validate_ahead(stack(), live())
    assert fake == [("made", "Subjects"), ("ahead", "Subjects", "shop", "cluster-1")]  # quotas have no early part
    quota = change(ResourceType.QUOTA, "user=a")
    # subjects come after quotas in plans (kplan.kinds.ORDER), whatever the order of the changes
    diags = v.validate(stack(), plan(change(ResourceType.SUBJECT, "s-value"), quota))
    assert [d.address for d in diags] == ["quota.user=a", "subject.s-value"]
    # the plan changes no subject: the validation started ahead is given it all the same (to drop its answers)
    assert [d.address for d in v.validate(stack(), plan(quota))] == ["quota.user=a"]
    assert fake[-1] == ("validate", "Subjects", (quota,))


def test_the_real_registration_skips_what_a_plan_does_not_change():
    """A plan that changes only quotas (no validation registered) asks nothing of the broker or Connect."""
    v = RealValidator(NoAdmin(), None, 5)
    assert v.validate(stack(), plan(change(ResourceType.QUOTA, "user=a"))) == []


def test_every_registration_is_a_kinds_section():
    sections = {k.section for k in KINDS}
    assert set(VALIDATIONS) <= sections and set(ADMIN_READS) <= sections and set(OWN_READS) <= sections
    assert set(PRIMARY_READS) <= sections


def _quoted(section: str) -> re.Pattern:
    return re.compile(rf"""["']{re.escape(section)}["']""")


def test_the_composer_names_no_kind():
    """validator.py: no resource type, section, kind module or declared type of a kind (each registers its own)."""
    text = (CLUSTER / "validator.py").read_text()
    assert "ResourceType" not in text and not re.search(r"(?<!Cluster)Spec\b", text)
    assert not re.search(r"kplan\.kinds\.\w+", text)
    assert not [k.section for k in KINDS if _quoted(k.section).search(text)]


def test_the_batched_read_names_none_of_the_kinds_read_beside_it():
    text = (CLUSTER / "reader.py").read_text()
    assert not [s for s in {*ADMIN_READS, *OWN_READS} if _quoted(s).search(text) or f".{s}" in text]
    assert not re.search(r"describe_acls|scram|\bacl", text, re.IGNORECASE)


def test_the_batched_read_names_no_kind_at_all():
    """reader.py: no kind's section, resource type or package, not even those it drives through the whole read
    (PRIMARY_READS); only the metadata request, which checks the pin, is the reader's own."""
    text = (CLUSTER / "reader.py").read_text()
    assert not [k.section for k in KINDS if _quoted(k.section).search(text)]
    assert not [k.type.name for k in KINDS if re.search(rf"ResourceType\.{k.type.name}\b", text)]
    assert not re.search(r"kplan\.kinds\.\w+", text)
    assert not re.search(r"\bLive(Topic|Connector|Task)\b", text)  # the kinds' live types: their reads make them


def test_broker_configs_are_validated_through_their_registration_with_the_stacks_cluster(monkeypatch):
    """(The broker's answers themselves: tests/integration/test_broker_configs.py, on the 3-broker cluster.)"""
    import kplan.kinds.dynamic_config.io.broker as broker_configs

    calls = []
    monkeypatch.setattr(broker_configs, "validate", lambda cluster, secrets, p: calls.append((cluster, secrets, p))
                        or [error("refused", "broker-config-invalid", address=p.changes[0].address)])
    p = plan(change(ResourceType.BROKER_CONFIG, "1"))
    assert RealValidator(NoAdmin(), None, 5).validate(stack(), p) == []  # no cluster named: nothing to ask
    v = RealValidator(NoAdmin(), None, 5, cluster=stack().cluster)
    [d] = v.validate(stack(), p)
    assert d.address == "broker_config.1" and calls == [(stack().cluster, v.secrets, p)]
