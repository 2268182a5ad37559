"""The kinds' reads on the batched reader's admin client (`kplan.cluster.kind_io.ADMIN_READS`): ACL bindings and SCRAM
users. One describe_acls serves both; the users are asked only after the pin (`after_pin`) and never of a principal
without DESCRIBE on the cluster (confluent-kafka 2.16 aborts the process on that refusal). The real cluster:
tests/integration/test_acls.py, test_users.py, test_secured_cluster.py."""

from __future__ import annotations

from concurrent.futures import Future
from types import SimpleNamespace

import pytest

from kplan.cluster.kind_io import ADMIN_READS
from kplan.errors import KplanError
from kplan.model.bindings import AclBinding
from kplan.model.desired import ClusterSpec
from kplan.model.live import Problem
from kplan.transport.reads import AdminContext


class KafkaError:
    def __init__(self, name: str):
        self._name = name

    def name(self) -> str:
        return self._name


def answered(value=None, error: str | None = None) -> Future:
    f: Future = Future()
    if error is None:
        f.set_result(value)
    else:
        f.set_exception(Exception(KafkaError(error)))
    return f


BINDING = SimpleNamespace(principal="User:app", restype=SimpleNamespace(name="TOPIC"),
                          resource_pattern_type=SimpleNamespace(name="LITERAL"), name="orders",
                          operation=SimpleNamespace(name="READ"), permission_type=SimpleNamespace(name="ALLOW"),
                          host="*")
USER = SimpleNamespace(scram_credential_infos=[SimpleNamespace(mechanism=SimpleNamespace(name="SCRAM_SHA_512"),
                                                               iterations=8192)])


class Admin:
    def __init__(self, acls: Future, users: Future | None = None):
        self.acls, self.users = acls, users
        self.calls: list[str] = []

    def describe_acls(self, acl_filter, request_timeout=None):
        self.calls.append("describe_acls")
        return self.acls

    def describe_user_scram_credentials(self, users=None, request_timeout=None):
        self.calls.append("describe_user_scram_credentials")
        assert self.users is not None, "the users were asked of a principal that may not read them"
        return self.users


def ops(*names: str):
    return SimpleNamespace(authorized_operations=[SimpleNamespace(name=n) for n in names])


def read(admin: Admin, described: Future) -> dict:
    ctx = AdminContext(admin, ClusterSpec("127.0.0.1:1", None, timeout_s=2), described)
    reads = {s: r(ctx) for s, r in ADMIN_READS.items()}
    assert admin.calls == ["describe_acls"]  # sent beside describe_cluster, once for both; nothing else yet
    for r in reads.values():
        r.after_pin()
    return {s: r.result() for s, r in reads.items()}


def test_a_principal_with_the_rights_gets_bindings_and_users_from_one_describe_acls():
    admin = Admin(answered([BINDING]), answered({"app": USER}))
    got = read(admin, answered(ops("DESCRIBE", "ALTER")))
    assert got == {"acls": ({"User:app": {AclBinding("topic", "literal", "orders", "READ", "ALLOW", "*")}}, None),
                   "users": ({"app": {"SCRAM-SHA-512": 8192}}, None)}
    assert admin.calls == ["describe_acls", "describe_user_scram_credentials"]


def test_read_only_rights_say_the_changes_would_be_refused():
    admin = Admin(answered([]), answered({}))
    got = read(admin, answered(ops("DESCRIBE")))
    assert got == {"acls": ({}, Problem.NOT_AUTHORIZED_ALTER), "users": ({}, Problem.NOT_AUTHORIZED_ALTER)}


def test_the_users_are_never_asked_of_a_principal_without_describe_on_the_cluster():
    # the broker reports no operations to such a principal, and its describe_acls answers an empty list
    admin = Admin(answered([]))
    got = read(admin, answered(SimpleNamespace(authorized_operations=None)))
    assert got == {"acls": ({}, Problem.NOT_AUTHORIZED), "users": ({}, Problem.NOT_AUTHORIZED)}
    assert admin.calls == ["describe_acls"]


def test_a_cluster_without_an_authorizer_has_no_acls_but_its_users_are_read():
    admin = Admin(answered(error="SECURITY_DISABLED"), answered({"app": USER}))
    got = read(admin, answered(SimpleNamespace(authorized_operations=None)))
    assert got == {"acls": ({}, Problem.SECURITY_DISABLED), "users": ({"app": {"SCRAM-SHA-512": 8192}}, None)}


def test_an_unreachable_cluster_is_one_error_and_asks_for_no_users():
    admin = Admin(answered(error="_TRANSPORT"))
    ctx = AdminContext(admin, ClusterSpec("127.0.0.1:1", None, timeout_s=2), answered(error="_TRANSPORT"))
    reads = {s: r(ctx) for s, r in ADMIN_READS.items()}
    for r in reads.values():
        r.after_pin()
    assert admin.calls == ["describe_acls"]
    assert reads["users"].result() == ({}, None)  # the reader's own describe_cluster answer says it first
    with pytest.raises(KplanError):
        reads["acls"].result()
