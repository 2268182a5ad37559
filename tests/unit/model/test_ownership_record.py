"""Ownership records written by the release before topics and connectors became kinds like the others (issue 42)
still load, into the same owned and protected names, and are written back exactly as they were: the record lives
in the cluster, so a plan of this release reads what the previous one wrote, and a run that changes nothing must not
rewrite it differently. The records are those of the golden cases' "before" ownership (tests/golden/steps/...),
frozen here as the previous release wrote them."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from kplan.model.metadata import Meta
from kplan.model.ownership import NamesPart, Ownership
from kplan.state.ownership import decode, encode

# tests/golden/steps/users: a names-only kind's part empty, another kind's entries tokens (one of them "")
USERS = {"connectors": [], "protected_connectors": [], "protected_topics": [], "sensitive": {}, "topics": [],
         "users": {"billing": "2026-10", "reporting": "", "retired": "", "steady": "3"}}

# tests/golden/steps/destroy-cdc, with what a run of the previous release also kept there: a connector key holding a
# secret, a protected connector, metadata, and the marker of a run under way
CDC = {"connectors": ["shop-mariadb", "shop-sink"],
       "metadata": {"topic.shop.shop.orders": {"labels": {"tier": "gold"}, "owner": "team-shop"}},
       "protected_connectors": ["shop-sink"], "protected_topics": ["schema-changes.shop-mariadb"],
       "run": {"host": "ci-7", "pid": 4242, "run_id": "20260101T000000Z-1a2b", "started_at": "2026-01-01T00:00:00Z"},
       "sensitive": {"shop-mariadb": ["database.password", "database.user"], "shop-sink": ["connection.password"]},
       "topics": ["schema-changes.shop-mariadb", "shop.shop.orders"]}

# tests/golden/steps/acls: another kind's entries keys set
ACLS = {"acls": {"User:orders-app": ["topic|literal|legacy|WRITE|ALLOW|*", "topic|literal|orders|DESCRIBE|ALLOW|*",
                                     "topic|literal|orders|WRITE|ALLOW|*"],
                 "User:retired": ["group|literal|retired|READ|ALLOW|*", "topic|literal|orders|READ|ALLOW|*"]},
        "connectors": [], "protected_connectors": [], "protected_topics": [], "sensitive": {}, "topics": ["orders"]}

RECORDS = pytest.mark.parametrize("old", [USERS, CDC, ACLS], ids=["users", "destroy-cdc", "acls"])


@RECORDS
def test_a_record_of_the_previous_release_is_written_back_exactly(old):
    record = Ownership.from_json(json.loads(json.dumps(old)))
    assert record.to_json() == old
    # as the ownership topic keeps it (kplan.state.ownership: sorted keys)
    assert json.dumps(record.to_json(), sort_keys=True) == json.dumps(old, sort_keys=True)


@RECORDS
def test_a_record_of_the_previous_release_owns_and_protects_the_same_names(old):
    record = Ownership.from_json(old)
    for word in ("topics", "connectors"):
        assert record.owned(word) == frozenset(old[word])
        assert record.protects(word) == frozenset(old["protected_" + word])
    for word in ("users", "acls"):
        assert record.owned(word) == frozenset(old.get(word, {}))
    assert {c: list(keys) for c, keys in record.sensitive.items()} == old["sensitive"]
    assert (record.run is not None) == ("run" in old)


def test_each_names_kind_gets_its_part_with_its_own_secret_keys():
    record = Ownership.from_json(CDC)
    assert record.part("topics") == NamesPart(frozenset(CDC["topics"]), frozenset(CDC["protected_topics"]), {})
    assert record.part("connectors") == NamesPart(
        frozenset(CDC["connectors"]), frozenset({"shop-sink"}),
        {"shop-mariadb": ("database.password", "database.user"), "shop-sink": ("connection.password",)})
    assert record.of("users") == {} and Ownership.from_json(USERS).of("users") == USERS["users"]
    assert Ownership.from_json(ACLS).of("acls")["User:retired"] == tuple(ACLS["acls"]["User:retired"])


def test_a_record_as_the_ownership_topic_holds_it_loads_the_same():
    """The topic's value also carries the stack, when it was written, and a null marker once the run is done."""
    value = {**CDC, "stack": "shop", "run": None, "updated_at": "2026-01-01T00:05:00Z"}
    record = decode(json.dumps(value, sort_keys=True).encode())
    assert record.run is None and record.to_json() == {k: v for k, v in CDC.items() if k != "run"}
    assert record == Ownership.from_json(CDC).marked(None)


# what a destroyed stack's record was written as before it became a tombstone (still in the topics of clusters
# destroyed on before it; compaction never drops a value)
DESTROYED = {"connectors": [], "protected_connectors": [], "protected_topics": [], "run": None, "sensitive": {},
             "stack": "shop", "topics": [], "updated_at": "2026-01-01T00:05:00Z"}


def test_a_record_that_owns_nothing_is_written_as_a_tombstone_and_read_back_as_owning_nothing():
    """A destroyed stack's record (every part empty, no marker) is a tombstone, which compaction drops in time: read
    back, it is what the empty record written before was, and what a stack never applied has."""
    destroyed = Ownership()  # as a destroy's record step computes it (apply/steps/ownership.py: ownership_after)
    for word, part in (("topics", NamesPart()), ("connectors", NamesPart()), ("users", {})):
        destroyed = destroyed.with_part(word, part)
    assert destroyed.names == {"topics": frozenset(), "connectors": frozenset()} and destroyed.empty
    assert encode("shop", destroyed) == (b"shop", None)
    old = decode(json.dumps(DESTROYED, sort_keys=True).encode())
    assert decode(None) == Ownership() and old.empty and not any(old.owned(w) for w in ("topics", "connectors"))
    for word in ("topics", "connectors"):
        assert decode(None).owned(word) == old.owned(word) == frozenset()
        assert decode(None).protects(word) == old.protects(word) == frozenset()


@pytest.mark.parametrize("keeps", [
    lambda o: o.marked({"run_id": "r"}),  # a run's marker: the run may still create what it planned
    lambda o: o.with_part("topics", NamesPart(frozenset({"orders"}))),
    lambda o: o.with_part("topics", NamesPart(frozenset(), frozenset({"orders"}))),  # protected, though not owned
    lambda o: o.with_part("users", {"billing": ""}),
    lambda o: replace(o, sensitive={"sink": ("connection.password",)}),
    lambda o: replace(o, metadata={"topic.orders": Meta(owner="team-shop")}),
], ids=["marker", "owned", "protected", "entries", "secret-keys", "metadata"])
def test_a_record_that_keeps_anything_is_written_as_a_value(keeps):
    record = keeps(Ownership())
    key, value = encode("shop", record)
    assert not record.empty and value is not None and decode(value) == record
