"""`kplan validate` and `kplan render`: output format, exit status, environments, masking — never a traceback."""

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from kplan.cli import cli

ROOT = Path(__file__).resolve().parents[3]

GOOD = textwrap.dedent("""\
    stack: shop
    cluster: {bootstrap_servers: "k:9092", connect_url: "http://c:8083"}
    defaults:
      topic: {partitions: 1, replication_factor: 1}
    topics:
      - name: orders
    connectors:
      - name: sink
        class: FileStreamSink
        config: {topics: orders, file: /tmp/x, database.password: hunter2}
    environments:
      dev: {}
      prod:
        defaults:
          topic: {replication_factor: 3}
    """)


def invoke(*args, env=None):
    return CliRunner().invoke(cli, list(args), env=env or {})


@pytest.fixture
def good(tmp_path):
    p = tmp_path / "shop.yaml"
    p.write_text(GOOD)
    return p


def test_validate_valid_stack_checks_every_environment(good):
    r = invoke("validate", str(good))
    assert r.exit_code == 0, r.output
    lines = r.output.splitlines()
    warning = (f"{good}:10:63: warning: connectors[0].config.database.password: "
               "database.password holds a plaintext secret")
    assert lines[0].startswith(warning)
    assert lines[1:] == [
        f"{good}: valid (1 topic, 1 connector, 1 warning)",
        f"{good} [dev]: valid (1 topic, 1 connector, 1 warning)",
        f"{good} [prod]: valid (1 topic, 1 connector, 1 warning)",
    ]


def test_validate_one_environment_and_quiet(good):
    r = invoke("validate", str(good), "-e", "prod", "-q")
    assert r.exit_code == 0
    assert len(r.output.splitlines()) == 1  # the warning only


def test_validate_reports_every_problem_and_exits_1(tmp_path):
    p = tmp_path / "bad.yaml"
    p.write_text(GOOD.replace("- name: orders",
                              "- name: orders\n    partitions: 0\n  - name: b\n    config: {retention.msec: 1}")
                 .replace("prod:\n", "prod:\n    topics: {nope: {partitions: 2}}\n"))
    r = invoke("validate", str(p))
    assert r.exit_code == 1
    out = r.output.splitlines()
    assert f"{p}:7:17: topics[0].partitions: must be at least 1 (got 0)" in out
    assert (f"{p}:9:14: topics[1].config.retention.msec: "
            "unknown topic config \"retention.msec\" (did you mean \"retention.ms\"?)") in out
    assert any('environment "prod" overrides topic "nope"' in line for line in out)
    assert out[-3:] == [f"{p}: invalid (2 errors, 1 warning)", f"{p} [dev]: invalid (2 errors, 1 warning)",
                        f"{p} [prod]: invalid (3 errors, 1 warning)"]
    assert len([line for line in out if "retention.msec" in line]) == 1  # shown once, not once per environment


@pytest.mark.parametrize("content,fragment", [
    (b"", "file is empty (no YAML document)"),
    (b"\xff\xfe", "UTF-16"),
    (b"a: [\n", "invalid YAML"),
    (b"a: 1\na: 2\n", 'duplicate key "a" (first defined at line 1'),
    (b"stack: caf\xe9\n", "not UTF-8"),
])
def test_validate_bad_input_is_a_diagnostic(tmp_path, content, fragment):
    p = tmp_path / "x.yaml"
    p.write_bytes(content)
    r = invoke("validate", str(p))
    assert r.exit_code == 1 and (r.exception is None or isinstance(r.exception, SystemExit))
    assert fragment in r.output
    assert "Traceback" not in r.output


def test_validate_missing_path_and_empty_directory(tmp_path):
    r = invoke("validate", str(tmp_path / "nope"))
    assert r.exit_code == 1 and "no such file or directory" in r.output
    r = invoke("validate", str(tmp_path))
    assert r.exit_code == 1 and "directory contains no stack files" in r.output


def test_render_yaml_masks_and_shows_origins(good):
    r = invoke("render", str(good), "-e", "prod")
    assert r.exit_code == 0, r.output
    data = yaml.safe_load(r.stdout)
    assert data["environment"] == "prod"
    assert data["topics"][0]["replication_factor"] == 3
    assert data["topics"][0]["origin"] == {"at": f"{good}:6"}
    assert data["connectors"][0]["config"]["database.password"] == "(sensitive)"
    assert "hunter2" not in r.output
    assert "warning:" in r.stderr


def test_render_json(good):
    r = invoke("render", str(good), "--format", "json")
    assert r.exit_code == 0
    data = json.loads(r.stdout)
    assert [t["name"] for t in data["topics"]] == ["orders"]


def test_render_is_deterministic(good):
    assert invoke("render", str(good)).stdout == invoke("render", str(good)).stdout


def test_render_invalid_stack_exits_1_with_diagnostics_on_stderr(tmp_path):
    p = tmp_path / "x.yaml"
    p.write_text("stack: s\n")
    r = invoke("render", str(p))
    assert r.exit_code == 1
    assert r.stdout == ""
    assert "cluster.bootstrap_servers is not set" in r.stderr


def test_render_cdc_example_expands_tables():
    r = invoke("render", str(ROOT / "stacks" / "cdc-postgres.yaml"), "-e", "dev")
    assert r.exit_code == 0, r.output
    data = yaml.safe_load(r.stdout)
    assert [t["name"] for t in data["topics"]] == ["demo.public.orders", "demo.public.products", "demo.public.users"]
    orders = data["topics"][0]
    assert (orders["partitions"], orders["config"]["compression.type"], orders["config"]["retention.ms"]) == (
        6, "zstd", "259200000")
    (c,) = data["connectors"]
    assert c["config"]["plugin.name"] == "pgoutput"
    assert c["config"]["database.password"] == "${secret:env:KPLAN_PG_PASSWORD}"


def test_exit_status_through_the_real_entry_point(tmp_path):
    p = tmp_path / "x.yaml"
    p.write_text("stack: s\n")
    bad = subprocess.run([sys.executable, "-m", "kplan.cli", "validate", str(p)], capture_output=True, text=True)
    assert bad.returncode == 1 and "Traceback" not in bad.stderr
    ok = subprocess.run([sys.executable, "-m", "kplan.cli", "validate", str(ROOT / "stacks" / "kafka-init.yaml")],
                        capture_output=True, text=True)
    assert ok.returncode == 0, ok.stdout + ok.stderr


def test_help_lists_the_commands():
    r = invoke("--help")
    assert "validate" in r.output and "render" in r.output
    assert "--format [yaml|json]" in invoke("render", "--help").output


def test_loading_a_stack_without_cdc_does_not_import_jinja2(good):
    code = ("import sys\nfrom kplan.stackfile import load_stack\n"
            f"load_stack({str(good)!r}, environ={{}})\nprint('jinja2' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_validate_several_stacks(tmp_path, good):
    bad = tmp_path / "bad.yaml"
    bad.write_text("stack: b\n")
    r = invoke("validate", str(good), str(bad), "-e", "dev")
    assert r.exit_code == 1
    assert f"{good} [dev]: valid (1 topic, 1 connector, 1 warning)" in r.output
    assert f"{bad} [dev]: invalid (1 error)" in r.output  # it declares no environment "dev"
    assert 'unknown environment "dev" (declared: none)' in r.output
    r = invoke("validate", *[str(p) for p in sorted((ROOT / "stacks").glob("*.yaml"))])
    assert r.exit_code == 0, r.output


def test_validate_needs_a_path():
    assert invoke("validate").exit_code == 2
