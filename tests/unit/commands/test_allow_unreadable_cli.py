"""`kplan plan --allow-unreadable` end to end over a stack file and a live-state file whose second Connect cluster
could not be read (issue 41): an error without the option, the rest planned with it (never "No changes."), and a
usage error for a system the stack does not declare."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kplan.cli import main
from kplan.exiting import EXIT_USAGE

STACK = """\
stack: shop
cluster:
  bootstrap_servers: localhost:9092
  connect:
    default: {url: http://localhost:8083}
    analytics: {url: http://localhost:8084}
topics:
  - {name: orders, partitions: 1, replication_factor: 1}
"""
LIVE = {"cluster_id": "c1", "broker_count": 1,
        "topics": {"orders": {"partitions": 1, "replication_factor": 1}}, "owned_topics": ["orders"],
        "connect_problems": {"analytics": "cannot reach Kafka Connect at http://localhost:8084: connection refused"}}


@pytest.fixture
def files(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("stack.yaml").write_text(STACK)
    Path("live.json").write_text(json.dumps(LIVE))


def plan(capsys, *extra):
    with pytest.raises(SystemExit) as e:
        main(["plan", "stack.yaml", "--live-state", "live.json", "--detailed-exitcode", *extra])
    out, err = capsys.readouterr()
    return e.value.code, out, err


def test_an_unread_connect_cluster_fails_the_plan(files, capsys):
    code, out, err = plan(capsys)
    assert code == 1 and "No changes" not in out + err
    assert "Error: Kafka Connect cluster 'analytics' could not be read" in out
    assert "--allow-unreadable connect:analytics" in out


def test_allowed_the_rest_is_planned_and_the_summary_says_what_was_not_read(files, capsys):
    code, out, _ = plan(capsys, "--allow-unreadable", "connect:analytics")
    assert code == 0, out
    assert ("No changes in what was read. Not read (--allow-unreadable): Kafka Connect cluster 'analytics'; "
            "nothing on it was planned.") in out
    code, out, _ = plan(capsys, "--allow-unreadable", "connect:analytics", "--format", "json")
    assert code == 0 and [n["system"] for n in json.loads(out)["not_read"]] == ["connect:analytics"]


@pytest.mark.parametrize("value,message", [
    ("connect:analytic", "the stack declares no Connect cluster 'analytic' (it declares: analytics, default)"),
    ("registry", "expected connect:NAME"),
])
def test_a_system_the_stack_does_not_declare_is_a_usage_error(files, capsys, value, message):
    code, _, err = plan(capsys, "--allow-unreadable", value)
    assert code == EXIT_USAGE and message in err, err


def status(capsys, *extra):
    with pytest.raises(SystemExit) as e:
        main(["status", "stack.yaml", "--live-state", "live.json", *extra])
    out, err = capsys.readouterr()
    return e.value.code, out, err


def test_status_takes_the_same_opt_in_and_never_says_in_sync_for_what_it_did_not_read(files, capsys):
    code, out, _ = status(capsys)
    assert code == 2 and "Error: Kafka Connect cluster 'analytics' could not be read" in out, out
    assert out.rstrip().endswith("1 resource: 1 in sync; 1 error"), out
    # the hint names an option status takes
    code, out, err = status(capsys, "--allow-unreadable", "connect:analytics")
    assert code == 0, out + err
    assert "Error" not in out and "Warning: Kafka Connect cluster 'analytics' could not be read" in out, out
    assert out.rstrip().endswith("1 resource: 1 in sync; not read (--allow-unreadable): Kafka Connect cluster "
                                 "'analytics'"), out
    code, out, _ = status(capsys, "--allow-unreadable", "connect:analytics", "--format", "json")
    doc = json.loads(out)
    assert code == 0 and doc["in_sync"] is False and doc["pending"] is False, doc
    assert [n["system"] for n in doc["not_read"]] == ["connect:analytics"] and doc["diagnostics"] == [], doc
    code, _, err = status(capsys, "--allow-unreadable", "connect:analytic")
    assert code == EXIT_USAGE and "the stack declares no Connect cluster 'analytic'" in err, err


def test_recover_takes_it_with_resume_only(files, capsys):
    with pytest.raises(SystemExit) as e:
        main(["recover", "stack.yaml", "--rollback", "--allow-unreadable", "connect:analytics"])
    _, err = capsys.readouterr()
    assert e.value.code == EXIT_USAGE and "--allow-unreadable goes with --resume" in err, err


def test_a_status_with_nothing_read_but_what_it_may_skip_is_not_in_sync_and_says_so():
    from kplan.model.plan import NotRead
    from kplan.model.status import StatusReport

    report = StatusReport("shop", None, "c1", not_read=(NotRead("connect:analytics", "down"),),
                          unread=("connector.analytics/a", "connector.analytics/b"))
    assert not report.in_sync and not report.pending and report.exit_code == 0
    assert report.summary().line() == ("0 resources: 0 in sync; not read (--allow-unreadable): Kafka Connect cluster "
                                     "'analytics' (2 declared resources unknown, not reported)")
