"""CDC preflight (issue 28 item 1): the PostgreSQL checks over facts a fake database gave, the modes, and that a
plan without a CDC change opens no database connection."""

from __future__ import annotations

import psycopg
from builders import connector, lconn, live, stack

from kplan.cluster.validator import RealValidator
from kplan.kinds.connector.io import preflight as cp
from kplan.kinds.connector.preflight import check_mysql, check_postgres
from kplan.model.cdc_preflight import CdcPreflight, Finding, MyFacts, PgFacts, PgPublication, PgSlot, PgTable
from kplan.model.desired import freeze
from kplan.model.plan import Severity
from kplan.model.source import Origin
from kplan.plan.planner import make_plan
from kplan.secrets import SecretValues

TABLES = ("public.users", "public.orders")


def _facts(**kw) -> PgFacts:
    base = dict(user="dbz", wal_level="logical", max_slots=10, used_slots=2, max_senders=10, used_senders=1,
                superuser=False, replication=True, may_create=True,
                tables={"public.users": PgTable(True, "d", True), "public.orders": PgTable(True, "d", True)},
                all_tables=TABLES)
    base.update(kw)
    return PgFacts(**base)  # type: ignore[arg-type]


def _codes(findings: list[Finding]) -> list[str]:
    return [f.code for f in findings]


def test_a_ready_database_has_no_finding():
    assert check_postgres(_facts(), TABLES, "slot", "pub", "filtered", creating=True) == []


def test_wal_level_replica_is_a_finding_with_the_setting_to_change():
    [f] = check_postgres(_facts(wal_level="replica"), TABLES, "slot", "pub", "filtered", creating=True)
    assert f.code == "cdc-wal-level" and "wal_level is replica" in f.message
    assert "ALTER SYSTEM SET wal_level = logical;" in f.message


def test_no_free_slot_or_wal_sender():
    facts = _facts(used_slots=10, used_senders=10)
    assert _codes(check_postgres(facts, TABLES, "s", "p", "filtered", True)) == ["cdc-no-free-slot",
                                                                                 "cdc-no-free-wal-sender"]
    # its own slot exists and its walsender runs: an update reuses both
    facts = _facts(used_slots=10, used_senders=10, slot=PgSlot(4242))
    assert check_postgres(facts, TABLES, "s", "p", "filtered", creating=False) == []


def test_slot_held_by_another_client_only_matters_for_a_new_connector():
    facts = _facts(slot=PgSlot(4242))
    [f] = check_postgres(facts, TABLES, "shop", "p", "filtered", creating=True)
    assert f.code == "cdc-slot-in-use" and "PID 4242" in f.message
    assert check_postgres(facts, TABLES, "shop", "p", "filtered", creating=False) == []


def test_replica_identity_with_the_alter_table_to_run_and_an_index_hint():
    tables = dict(_facts().tables, **{"public.events": PgTable(False, "d", True, unique_index="public.events_key"),
                                      "public.Audit": PgTable(True, "n", True)})
    findings = check_postgres(_facts(tables=tables), (*TABLES, "public.events", "public.Audit"), "s", "p",
                              "filtered", True)
    assert [(f.code, f.table) for f in findings] == [("cdc-replica-identity", "public.events"),
                                                     ("cdc-replica-identity", "public.Audit")]
    assert "ALTER TABLE public.events REPLICA IDENTITY FULL;" in findings[0].message
    assert "REPLICA IDENTITY USING INDEX public.events_key;" in findings[0].message
    assert 'ALTER TABLE public."Audit" REPLICA IDENTITY FULL;' in findings[1].message
    # a publication that publishes neither updates nor deletes cannot break them
    pub = PgPublication(False, frozenset(TABLES + ("public.events", "public.Audit")), True, publishes_changes=False)
    assert check_postgres(_facts(tables=tables, publication=pub), (*TABLES, "public.events", "public.Audit"), "s",
                          "p", "filtered", True) == []


def test_missing_table_and_missing_right():
    facts = _facts(replication=False, tables={"public.users": PgTable(True, "d", True)})
    findings = check_postgres(facts, ("public.users", "public.ordres"), "s", "p", "filtered", True)
    assert _codes(findings) == ["cdc-replication-right", "cdc-table-missing"]
    assert "ALTER ROLE dbz WITH REPLICATION;" in findings[0].message
    assert 'did you mean "public.orders"?' in findings[1].message and findings[1].table == "public.ordres"


def test_publication_per_autocreate_mode():
    partial = PgPublication(False, frozenset({"public.users"}), owned=False)
    [f] = check_postgres(_facts(publication=partial), TABLES, "s", "pub", "disabled", True)
    assert f.code == "cdc-publication-tables" and "ALTER PUBLICATION pub ADD TABLE public.orders;" in f.message
    [f] = check_postgres(_facts(publication=partial), TABLES, "s", "pub", "filtered", True)
    assert f.code == "cdc-publication-owner"
    assert check_postgres(_facts(publication=PgPublication(True, frozenset(), False)), TABLES, "s", "pub",
                          "disabled", True) == []
    [f] = check_postgres(_facts(), TABLES, "s", "pub", "disabled", True)
    assert f.code == "cdc-publication-missing"
    [f] = check_postgres(_facts(), TABLES, "s", "pub", "all_tables", True)
    assert f.code == "cdc-publication-create" and "superuser" in f.message
    [f] = check_postgres(_facts(may_create=False), TABLES, "s", "pub", "filtered", True)
    assert f.code == "cdc-publication-create"
    tables = dict(_facts().tables, **{"public.orders": PgTable(True, "d", owned=False)})
    [f] = check_postgres(_facts(tables=tables), TABLES, "s", "pub", "filtered", True)
    assert f.code == "cdc-table-owner" and f.table == "public.orders"


def _cdc(mode="required", name="shop-pg") -> object:
    pf = CdcPreflight("postgres", mode, freeze({"public.orders": Origin("stack.yaml", 31, 7, table="public.orders")}))
    return connector(name, {"database.password": "${secret:env:PGPW}", "database.hostname": "db"},
                     captured_tables=("public.users", "public.orders"), preflight=pf)


def test_modes_and_locations():
    secrets = SecretValues({"${secret:env:PGPW}": "s3cr3t-pw"})
    calls = []

    def check(pf, config, tables, creating, timeout_s):
        calls.append((config["database.password"], tables, creating))
        return [Finding("table public.orders: fix it (pw s3cr3t-pw)", "cdc-replica-identity", "public.orders")]

    [d] = cp.preflight([(_cdc(), True)], secrets, 5, check)
    assert calls == [("s3cr3t-pw", ("public.users", "public.orders"), True)]  # resolved to connect
    assert d.severity is Severity.ERROR and d.origin is not None and d.origin.line == 31
    assert "s3cr3t-pw" not in d.message
    [d] = cp.preflight([(_cdc("warn"), True)], secrets, 5, check)
    assert d.severity is Severity.WARNING
    [d] = cp.preflight([(_cdc("off"), True)], secrets, 5, check)
    assert d.severity is Severity.INFO and "preflight is off" in d.message and len(calls) == 2

    def unreachable(*_a):
        raise cp.Unreachable("PostgreSQL demo at db:5432: connection refused")

    [d] = cp.preflight([(_cdc("warn"), True)], secrets, 5, unreachable)
    assert d.severity is Severity.WARNING and "not reachable from here: preflight skipped" in d.message
    [d] = cp.preflight([(_cdc(), True)], secrets, 5, unreachable)
    assert d.severity is Severity.ERROR


class _NoAdmin:
    def __getattr__(self, name):
        raise AssertionError(f"the admin client was used: {name}")


def test_a_plan_without_cdc_change_opens_no_database_connection(monkeypatch):
    opened = []

    def no_connect(*a, **kw):
        opened.append(kw.get("host"))
        raise AssertionError("a database connection was opened")

    monkeypatch.setattr(psycopg, "connect", no_connect)
    spec = _cdc()
    unchanged = lconn("shop-pg", dict(spec.config))
    st = stack(connectors=[spec])
    plan = make_plan(st, live(connectors=[unchanged]))
    assert not [c for c in plan.changes if c.action.value != "no-op"]
    validator = RealValidator(_NoAdmin(), None, 5, SecretValues({"${secret:env:PGPW}": "pw"}))
    assert validator.validate(st, plan) == [] and opened == []

    # the same source created: the database is contacted (the fake's refusal becomes the source's one line)
    plan = make_plan(st, live())
    [d] = validator.validate(st, plan)
    assert d.code == "cdc-preflight-failed" and "a database connection was opened" in d.message
    assert opened == ["db"]


# -- MariaDB / MySQL -----------------------------------------------------------------------------------------------

GRANTS = ("GRANT SELECT, RELOAD, SHOW DATABASES, LOCK TABLES, REPLICATION SLAVE, BINLOG MONITOR ON *.* TO "
          "`debezium`@`%` IDENTIFIED BY PASSWORD '*C1D4'",)


def _my(**kw) -> MyFacts:
    base = dict(user="debezium", log_bin=True, binlog_format="ROW", binlog_row_image="FULL", grants=GRANTS,
                tables=frozenset({"demo.users", "demo.orders"}))
    base.update(kw)
    return MyFacts(**base)  # type: ignore[arg-type]


def test_mysql_ready_server_has_no_finding():
    assert check_mysql(_my(), ("demo.users",)) == []
    # database-level SELECT and LOCK TABLES are enough for them; ALL PRIVILEGES is everything
    db_level = ("GRANT RELOAD, SHOW DATABASES, REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO `u`@`%`",
                "GRANT SELECT, LOCK TABLES ON `demo`.* TO `u`@`%`")
    assert check_mysql(_my(grants=db_level), ("demo.users",)) == []
    assert check_mysql(_my(grants=("GRANT ALL PRIVILEGES ON *.* TO `root`@`localhost` WITH GRANT OPTION",)),
                       ("demo.users",)) == []


def test_mysql_binlog_settings_privileges_and_tables():
    facts = _my(log_bin=False, binlog_format="STATEMENT", binlog_row_image="MINIMAL",
                grants=("GRANT SELECT, RELOAD, SHOW DATABASES, LOCK TABLES, REPLICATION SLAVE ON *.* TO `u`@`%`",))
    findings = check_mysql(facts, ("demo.users", "demo.ordrs"))
    assert _codes(findings) == ["cdc-binlog-off", "cdc-binlog-format", "cdc-binlog-row-image", "cdc-privileges",
                                "cdc-table-missing"]
    assert "SET GLOBAL binlog_format = 'ROW';" in findings[1].message
    assert "lacks REPLICATION CLIENT," in findings[3].message and "*C1D4" not in findings[3].message
    assert 'did you mean "demo.orders"?' in findings[4].message and findings[4].table == "demo.ordrs"


def test_a_surprise_while_checking_is_one_line_not_a_traceback():
    def broken(*_a):
        raise ValueError("invalid literal for int() with base 10: 'five'")

    [d] = cp.preflight([(_cdc(), True)], SecretValues({"${secret:env:PGPW}": "pw"}), 5, broken)
    assert d.severity is Severity.ERROR and d.code == "cdc-preflight-failed" and "'five'" in d.message
