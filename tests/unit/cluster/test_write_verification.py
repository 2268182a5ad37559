"""An ACL or client-quota write is done only when the broker shows it: the controller's answer comes first, and a
principal is authorized (or throttled) by the old state until its broker applies the change. The clients are
in-memory fakes that show a change only a given number of reads later (the real broker: tests/integration/test_acls.py,
test_quotas.py)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from fake_admin import FakeAdmin, done

import kplan.transport.admin as admin_session
from kplan.errors import WriteError
from kplan.model.bindings import AclBinding
from kplan.model.desired import ClusterSpec
from kplan.transport.acls import AclWrites
from kplan.transport.admin import AdminSession
from kplan.transport.retry import RetryPolicy

APP = "User:app"
READ = AclBinding("topic", "literal", "orders", "READ", "ALLOW", "*")
WRITE = AclBinding("topic", "prefixed", "orders.", "WRITE", "ALLOW", "*")
OTHER = ("User:other", AclBinding("group", "literal", "g", "READ", "ALLOW", "*"))


class LaggingAuthorizer(FakeAdmin):
    """Create/DeleteAcls change the committed bindings at once; DescribeAcls answers from the authorizer, which
    takes them over only after `lag` more reads (None: never)."""

    def __init__(self, lag: int | None):
        super().__init__()
        self.lag = lag
        self.committed: set = set()
        self.authorizer: set = set()
        self.reads = 0
        self._behind = 0

    def _changed(self) -> None:
        self._behind = self.lag

    def create_acls(self, bindings, request_timeout=None):
        self.requests.append(("create_acls", [b.name for b in bindings]))
        self.committed |= set(bindings)
        self._changed()
        return {b: done() for b in bindings}

    def delete_acls(self, filters, request_timeout=None):
        self.requests.append(("delete_acls", [f.name for f in filters]))
        gone = {b for b in self.committed for f in filters
                if (b.restype, b.name, b.resource_pattern_type, b.principal, b.host, b.operation, b.permission_type)
                == (f.restype, f.name, f.resource_pattern_type, f.principal, f.host, f.operation, f.permission_type)}
        self.committed -= gone
        self._changed()
        return {f: done([b for b in gone if b.name == f.name]) for f in filters}

    def describe_acls(self, acl_filter, request_timeout=None):
        self.reads += 1
        if self._behind is not None:
            if self._behind <= 0:
                self.authorizer = set(self.committed)
            self._behind -= 1
        return done([b for b in self.authorizer if b.principal == acl_filter.principal])


def _kafka(admin) -> AdminSession:
    return AdminSession(ClusterSpec("b:1", timeout_s=0.1), admin=admin,
                        policy=RetryPolicy(deadline_s=2.0, initial_s=0.01, max_s=0.02))


def _acls(admin) -> AclWrites:
    return AclWrites(SimpleNamespace(kafka=_kafka(admin), wire=None))


def test_a_create_returns_only_once_the_authorizer_shows_every_binding():
    admin = LaggingAuthorizer(lag=3)
    results = _acls(admin).create_acls([(APP, READ), (APP, WRITE), OTHER])
    assert len(results.done()) == 3
    assert admin.authorizer == admin.committed and len(admin.committed) == 3
    # one read per principal per poll (2 principals); the 4th read is the authorizer's first with the new bindings,
    # and it answered User:other, so a third poll reads both again
    assert admin.reads == 6


def test_a_delete_returns_only_once_the_authorizer_no_longer_shows_them():
    admin = LaggingAuthorizer(lag=0)
    acls = _acls(admin)
    acls.create_acls([(APP, READ), (APP, WRITE)])
    admin.lag = 2
    acls.delete_acls([(APP, READ)])
    assert [b.name for b in admin.authorizer] == ["orders."]


def test_bindings_the_authorizer_never_shows_fail_the_write_naming_one(monkeypatch):
    monkeypatch.setattr(admin_session, "VERIFY_MIN_S", 0.2)
    admin = LaggingAuthorizer(lag=None)
    with pytest.raises(WriteError, match=r"creating ACL bindings: the cluster does not show 1 binding\(s\), e\.g\. "
                                         r"User:app ALLOW READ topic:literal:orders @\*"):
        _acls(admin).create_acls([(APP, READ)])
    assert admin.reads >= 2


class LaggingQuotas:
    """Kafka's quota requests as kplan's own client sends them: AlterClientQuotas commits at once,
    DescribeClientQuotas shows the change only after `lag` more reads (None: never)."""

    def __init__(self, lag: int | None, live=None):
        self.lag = lag
        self.committed = {e: dict(v) for e, v in (live or {}).items()}
        self.shown = {e: dict(v) for e, v in self.committed.items()}
        self.reads = 0
        self._behind = 0

    def send(self, request):
        """kplan's own Kafka client, answering AlterClientQuotas and DescribeClientQuotas from memory."""
        from types import SimpleNamespace as Answer

        from kplan.kinds.dynamic_config.model import QuotaEntity

        if type(request).__name__ == "AlterClientQuotasRequest":
            for entry in request.entries:
                names = {e.entity_type: e.entity_name for e in entry.entity}
                current = self.committed.setdefault(QuotaEntity(names.get("user"), names.get("client-id")), {})
                for op in entry.ops:
                    if op.remove:
                        current.pop(op.key, None)
                    else:
                        current[op.key] = op.value
            self._behind = self.lag
            return Answer(entries=[Answer(error_code=0, error_message=None, entity=e.entity) for e in request.entries])
        self.reads += 1
        if self._behind is not None:
            if self._behind <= 0:
                self.shown = {e: dict(v) for e, v in self.committed.items() if v}
            self._behind -= 1
        names = lambda e: (("user", e.user), ("client-id", e.client_id))  # noqa: E731
        return Answer(error_code=0, entries=[
            Answer(entity=[Answer(entity_type=t, entity_name=n) for t, n in names(e) if n is not None],
                   values=[Answer(key=k, value=v) for k, v in values.items()])
            for e, values in self.shown.items()])


def _quota_writer(client):
    from kplan.kinds.dynamic_config.io import DynamicConfigWrites

    return DynamicConfigWrites(SimpleNamespace(kafka=_kafka(LaggingAuthorizer(lag=0)),
                                               wire=SimpleNamespace(client=client)))


def test_a_quota_change_returns_only_once_the_broker_shows_it_set_and_removed():
    from kplan.kinds.dynamic_config.model import QuotaEntity

    app, other = QuotaEntity("app", None), QuotaEntity(None, "reporting")
    client = LaggingQuotas(lag=2, live={other: {"consumer_byte_rate": 2048.0}})
    _quota_writer(client).alter_quotas([(app, {"producer_byte_rate": 1024}),
                                        (other, {"consumer_byte_rate": None})])
    assert client.shown == {app: {"producer_byte_rate": 1024.0}}
    assert client.reads == 3


def test_a_quota_the_broker_never_shows_fails_the_write_naming_the_entity(monkeypatch):
    from kplan.kinds.dynamic_config.model import QuotaEntity

    monkeypatch.setattr(admin_session, "VERIFY_MIN_S", 0.2)
    with pytest.raises(WriteError, match="altering client quotas: the cluster does not show the quotas as written "
                                         "for user=app"):
        _quota_writer(LaggingQuotas(lag=None)).alter_quotas([(QuotaEntity("app", None), {"producer_byte_rate": 1})])
