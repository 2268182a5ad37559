"""`kplan plan` and `kplan show` end to end over a stack file and a live-state file (no cluster)."""

from __future__ import annotations

import json
import re
from functools import partial
from pathlib import Path

import jsonschema
import pytest
from builders import cli_case
from builders import live_doc as cli_live_doc

from kplan.cli import main
from kplan.commands._output import use_color
from kplan.exiting import EXIT_USAGE

SCHEMA = json.loads((Path(__file__).resolve().parents[3] / "schemas" / "plan.schema.json").read_text())
PASSWORD = "s3cr3t-from-env"
LIVE_PASSWORD = "old-live-plaintext"

STACK = """\
stack: shop
cluster:
  bootstrap_servers: localhost:9092
  connect_url: http://localhost:8083
topics:
  - name: orders
    partitions: {partitions}
    replication_factor: 1
    config:
      retention.ms: 1d
connectors:
  - name: sink
    class: org.apache.kafka.connect.file.FileStreamSinkConnector
    tasks_max: 1
    config:
      topics: orders
      file: /tmp/out.txt
      connection.password: ${{secret:env:SINK_PASSWORD}}
"""


live_doc = partial(cli_live_doc, password=PASSWORD, retention="86400000")
case = cli_case(lambda partitions=3: STACK.format(partitions=partitions), live_doc, PASSWORD)


def run(capsys, *args):
    with pytest.raises(SystemExit) as e:
        main(list(args))
    out, err = capsys.readouterr()
    return e.value.code, out, err


def plan(capsys, *extra):
    return run(capsys, "plan", "stack.yaml", "--live-state", "live.json", *extra)


def test_no_changes_exits_0_even_with_detailed_exitcode(case, capsys):
    code, out, _ = plan(capsys, "--detailed-exitcode")
    assert code == 0 and "No changes." in out


def test_changes_exit_2_only_with_detailed_exitcode(case, capsys):
    case(live=live_doc(retention="1000"))
    assert plan(capsys)[0] == 0
    code, out, _ = plan(capsys, "--detailed-exitcode")
    assert code == 2 and "Plan: 0 to add, 1 to change, 0 to destroy." in out


def test_refused_change_exits_1_with_one_line_errors(case, capsys):
    case(partitions=1)
    code, out, err = plan(capsys, "--detailed-exitcode", "--format", "json")
    assert code == 1
    json.loads(out)  # stdout stays pure JSON
    lines = err.strip().splitlines()
    assert lines and all(line.startswith("Error: ") for line in lines)
    assert "cannot decrease partitions" in err and "Traceback" not in err


def test_text_output_has_no_ansi_when_not_a_terminal(case, capsys):
    case(live=live_doc(retention="1000"))
    _, out, _ = plan(capsys)
    assert "\x1b[" not in out


def test_json_output_is_schema_valid(case, capsys):
    case(live=live_doc(password="different"))
    code, out, _ = plan(capsys, "--format", "json")
    doc = json.loads(out)
    jsonschema.Draft202012Validator(SCHEMA).validate(doc)
    ch = doc["resource_changes"][1]
    assert ch["address"] == "connector.sink" and ch["actions"] == ["update"]
    assert ["config", "connection.password"] in ch["sensitive_paths"]


def test_markdown_output(case, capsys):
    case(live=live_doc(retention="1000"))
    _, out, _ = plan(capsys, "--format", "markdown")
    assert out.startswith("### kplan plan: stack `shop`") and "<details>" in out and "\x1b[" not in out


@pytest.mark.parametrize("flag", ["-out", "--out"])
def test_saved_plan_round_trip_through_show(case, capsys, flag):
    case(live=live_doc(password=LIVE_PASSWORD, partitions=2))
    code, text_out, err = plan(capsys, flag, "saved.json")
    assert code == 0 and "Saved the plan to saved.json" in err
    saved = Path("saved.json").read_text()
    assert PASSWORD not in saved and LIVE_PASSWORD not in saved
    code, shown, _ = run(capsys, "show", "saved.json")
    assert code == 0 and shown == text_out
    for fmt in ("markdown", "json"):
        code, out, _ = run(capsys, "show", "saved.json", "--format", fmt)
        assert code == 0 and PASSWORD not in out and LIVE_PASSWORD not in out
    jsonschema.Draft202012Validator(SCHEMA).validate(json.loads(saved))


def test_plan_with_errors_is_not_saved(case, capsys):
    case(partitions=1)
    code, _, err = plan(capsys, "-out", "saved.json")
    assert code == 1 and "not saved" in err and not Path("saved.json").exists()


def test_secrets_never_printed(case, capsys):
    case(live=live_doc(password=LIVE_PASSWORD))
    for fmt in ("text", "markdown", "json"):
        _, out, err = plan(capsys, "--format", fmt)
        assert PASSWORD not in out + err and LIVE_PASSWORD not in out + err
        assert "(sensitive)" in out


def test_destroy(case, capsys):
    code, out, _ = plan(capsys, "--destroy", "--detailed-exitcode")
    assert code == 2 and "Plan: 0 to add, 0 to change, 2 to destroy." in out


def test_invalid_stack_is_reported_one_line_per_problem(case, capsys):
    Path("stack.yaml").write_text("stack: shop\ntopics:\n  - name: x\n    partitions: zero\n")
    code, out, err = plan(capsys)
    assert code == 1 and out == ""
    assert err.strip() and all(re.match(r"^(Error: )?stack\.yaml", line) for line in err.strip().splitlines())


def test_missing_secret_is_an_error_naming_the_variable(case, capsys, monkeypatch):
    monkeypatch.delenv("SINK_PASSWORD")
    code, out, err = plan(capsys)
    assert code == 1 and "SINK_PASSWORD" in out


def test_show_of_a_foreign_file_is_one_line(case, capsys):
    Path("x.json").write_text("{}")
    code, _, err = run(capsys, "show", "x.json")
    assert code == 1 and err.count("\n") == 1 and err.startswith("Error: ")


def test_unknown_format_is_a_usage_error(case, capsys):
    assert plan(capsys, "--format", "yaml")[0] == EXIT_USAGE


@pytest.mark.parametrize("flag,env,tty,expected", [
    (False, {}, True, True), (False, {}, False, False), (True, {}, True, False),
    (False, {"NO_COLOR": "1"}, True, False), (False, {"NO_COLOR": ""}, True, True),
])
def test_use_color(flag, env, tty, expected):
    assert use_color(flag, env, tty) is expected


class _Validator:
    def __init__(self, result):
        self.result, self.seen = result, None

    def validate(self, stack, plan):
        self.seen = (stack.name, [c.address for c in plan.changes])
        if isinstance(self.result, Exception):
            raise self.result
        return self.result


def _with_validator(monkeypatch, validator):
    """Plan through the real-cluster path with a fake reader/validator in place of
    kplan.session.systems.open_cluster."""
    import kplan.session.systems
    from kplan.kinds.livejson import live_state_from_dict
    from kplan.model.live import StaticReader

    closed = []
    reader = StaticReader(live_state_from_dict(live_doc(retention="1000")))
    monkeypatch.setattr(kplan.session.systems, "open_cluster",
                        lambda cluster, environ=None: (reader, validator, lambda: closed.append(True)))
    return closed


def test_validator_diagnostics_are_merged_and_fail_the_plan(case, capsys, monkeypatch):
    from kplan.model.plan import error

    v = _Validator([error("the broker would refuse it", "broker-refused", address="topic.orders")])
    closed = _with_validator(monkeypatch, v)
    code, out, _ = run(capsys, "plan", "stack.yaml", "--detailed-exitcode")
    assert code == 1 and "Error: topic.orders: the broker would refuse it" in out
    assert v.seen == ("shop", ["topic.orders", "connector.sink"]) and closed == [True]


def test_validator_failure_becomes_an_error_line(case, capsys, monkeypatch):
    from kplan.errors import KplanError

    closed = _with_validator(monkeypatch, _Validator(KplanError("Connect is unreachable")))
    code, out, _ = run(capsys, "plan", "stack.yaml")
    assert code == 1 and "plan-time validation failed: Connect is unreachable" in out and closed == [True]


def test_clean_validation_keeps_exit_code(case, capsys, monkeypatch):
    _with_validator(monkeypatch, _Validator([]))
    assert run(capsys, "plan", "stack.yaml", "--detailed-exitcode")[0] == 2
