"""`-T/--template-dir` on every command that loads a stack: a stack whose CDC engine lives in a template
directory the stack does not name loads with `-T DIR` (no cluster needed: `--live-state`, or an unreachable
broker after the stack has loaded)."""

from __future__ import annotations

import contextlib
import io
import json
import textwrap

import pytest

from kplan.cli import main

TEMPLATE = textwrap.dedent("""\
    tables:
    {% for t in tables %}
      - id: {{ t.name | q }}
        topic: {{ (topic_prefix ~ "." ~ t.name) | topic_name | q }}
    {% endfor %}
    config:
      connector.class: org.apache.kafka.connect.file.FileStreamSourceConnector
      file: {{ required(connection.path, "connection.path") | q }}
      topic: {{ (topic_prefix ~ "." ~ tables[0].name) | q }}
    """)
STACK = textwrap.dedent("""\
    stack: files
    cluster: {bootstrap_servers: "127.0.0.1:9", connect_url: "http://127.0.0.1:9", timeout: 1s}
    defaults:
      topic: {partitions: 1, replication_factor: 1}
    cdc:
      - name: lines
        engine: filesrc
        connection: {host: localhost, path: /tmp/lines.txt}
        tables: [lines]
    """)
LIVE = {"cluster_id": "c1", "broker_count": 1, "topics": {}, "connectors": {}, "owned_topics": [],
        "owned_connectors": []}


@pytest.fixture
def files(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "tpl").mkdir()
    (tmp_path / "tpl" / "filesrc.j2").write_text(TEMPLATE)
    (tmp_path / "stack.yaml").write_text(STACK)
    (tmp_path / "live.json").write_text(json.dumps(LIVE))


def run(*args: str) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(list(args))
            code = 0
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else 1
    return code, out.getvalue() + err.getvalue()


UNKNOWN_ENGINE = 'unknown CDC engine "filesrc"'


@pytest.mark.parametrize("command,loaded_code,loaded_text", [
    (("plan", "--live-state", "live.json"), 0, "Plan: 2 to add, 0 to change, 0 to destroy."),
    (("status", "--live-state", "live.json"), 2, "lines.lines"),
])
def test_offline_commands_load_templates_from_T(files, command, loaded_code, loaded_text):
    code, text = run(command[0], "stack.yaml", *command[1:])
    assert code == 1 and UNKNOWN_ENGINE in text, text
    for option in ("-T", "--template-dir"):
        code, text = run(command[0], "stack.yaml", *command[1:], option, "tpl")
        assert code == loaded_code and loaded_text in text and UNKNOWN_ENGINE not in text, text


@pytest.mark.parametrize("command", [("apply", "--auto-approve"), ("destroy", "--auto-approve"),
                                     ("recover", "--rollback", "--auto-approve"), ("unlock", "--auto-approve")])
def test_cluster_commands_load_templates_from_T(files, command):
    """Without -T the stack does not load; with it, it does, and the command goes on to the (absent) cluster."""
    code, text = run(command[0], "stack.yaml", *command[1:])
    assert code == 1 and UNKNOWN_ENGINE in text, text
    code, text = run(command[0], "stack.yaml", *command[1:], "-T", "tpl")
    assert code == 1 and UNKNOWN_ENGINE not in text and "cannot reach Kafka at 127.0.0.1:9" in text, text
