"""Secrets from a command (`secret_commands:`, `${secret:cmd:NAME}`; kplan.stackfile.secret_commands and
secret_run): the value is the command's stdout without its trailing newline; it runs once per run however often
it is used; no shell unless asked; a timeout, a non-zero exit, a missing program or an empty output is one line
naming the command — never its output —; the value is masked like any secret; the loader's located errors."""

from __future__ import annotations

import os
import stat
import sys
import time
from pathlib import Path

import pytest

from kplan.errors import KplanError
from kplan.model.desired import SecretCommand
from kplan.secrets import KNOWN, MASK, scrub, secret_ref_problem
from kplan.stackfile import StackError, load_stack
from kplan.stackfile.references import resolve_references, resolve_stack_secrets
from kplan.stackfile.secret_run import _RAN, run_secret_command

SECRET = "cmd-canary-s3cret-4711"


def script(tmp_path: Path, body: str, name: str = "get-secret") -> str:
    path = tmp_path / name
    path.write_text(f"#!{sys.executable}\n{body}")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


def cmd(*argv: str, name: str = "vault", timeout_s: float = 10.0, shell: bool = False) -> SecretCommand:
    return SecretCommand(name, tuple(argv), timeout_s, shell, origin="stack.yaml:7")


def test_the_value_is_stdout_without_its_trailing_newline(tmp_path):
    prog = script(tmp_path, f"print({SECRET!r})")
    assert run_secret_command(cmd(prog), os.environ) == SECRET


def test_arguments_are_passed_as_they_are_without_a_shell(tmp_path):
    prog = script(tmp_path, "import sys; print('|'.join(sys.argv[1:]))")
    assert run_secret_command(cmd(prog, "a b", "$HOME", "*;x"), os.environ) == "a b|$HOME|*;x"


def test_a_shell_only_when_asked(tmp_path):
    out = run_secret_command(cmd(f"printf '%s' {SECRET} | tr a-z A-Z", shell=True), os.environ)
    assert out == SECRET.upper()


def test_the_command_sees_the_environment_it_is_given(tmp_path):
    prog = script(tmp_path, "import os; print(os.environ['VAULT_ADDR'])")
    assert run_secret_command(cmd(prog), {"VAULT_ADDR": "https://vault.example:8200"}) == \
        "https://vault.example:8200"


def test_it_runs_once_per_run_however_often_it_is_resolved(tmp_path):
    count = tmp_path / "count"
    prog = script(tmp_path, f"open({str(count)!r}, 'a').write('x'); print({SECRET!r})")
    c = cmd(prog)
    for _ in range(3):
        secrets = resolve_references(["${secret:cmd:vault}", "a=${secret:cmd:vault}"], os.environ, {"vault": c})
        assert secrets.substitute("p=${secret:cmd:vault}") == f"p={SECRET}"
    assert count.read_text() == "x"
    _RAN.clear()  # a new run
    run_secret_command(c, os.environ)
    assert count.read_text() == "xx"


def problem_of(c: SecretCommand) -> str:
    with pytest.raises(KplanError) as e:
        run_secret_command(c, os.environ)
    message = str(e.value)
    assert "\n" not in message and SECRET not in message and "leaked" not in message
    return message


def test_a_non_zero_exit_is_one_line_with_its_status_and_without_its_output(tmp_path):
    prog = script(tmp_path, f"import sys; print({SECRET!r}); print('leaked', file=sys.stderr); sys.exit(3)")
    assert problem_of(cmd(prog)) == ("secret command vault (stack.yaml:7) exited with status 3 (its output is not "
                                     "shown: it may hold the secret)")


def test_a_timeout_stops_the_command_and_whatever_it_started(tmp_path):
    marker = tmp_path / "late"
    child = script(tmp_path, f"import time; time.sleep(1.5); open({str(marker)!r}, 'w').write('x')", "child")
    prog = script(tmp_path, f"import subprocess, time\nsubprocess.Popen([{child!r}])\n"
                            f"print({SECRET!r}, flush=True); time.sleep(30)")
    start = time.monotonic()
    message = problem_of(cmd(prog, timeout_s=0.5))
    took = time.monotonic() - start
    assert message == ("secret command vault (stack.yaml:7) did not finish within 0.5 s and was stopped (a longer "
                       "secret_commands.vault.timeout if it needs more)")
    assert took < 5, took
    time.sleep(1.5)
    assert not marker.exists()  # its child was stopped with it


def test_a_missing_program(tmp_path):
    assert problem_of(cmd(str(tmp_path / "no-such-vault"))) == (
        f"secret command vault (stack.yaml:7): cannot run {str(tmp_path / 'no-such-vault')!r}: no such program "
        "(is it installed and on PATH?)")
    assert "no such program" in problem_of(cmd("kplan-no-such-program-xyz"))


def test_a_program_that_is_not_executable(tmp_path):
    path = tmp_path / "plain"
    path.write_text("echo hi\n")
    assert "permission denied" in problem_of(cmd(str(path)))


def test_an_empty_output_is_not_a_secret(tmp_path):
    assert problem_of(cmd(script(tmp_path, "print()"))) == (
        "secret command vault (stack.yaml:7) printed nothing (exit status 0): no secret to use")


def test_a_shell_that_does_not_find_the_program(tmp_path):
    assert problem_of(cmd("kplan-no-such-program-xyz --field x", shell=True)).startswith(
        "secret command vault (stack.yaml:7) exited with status 127 (its output is not shown: it may hold the "
        "secret; 127: the shell did not find the program)")


def test_a_failure_is_remembered_for_the_run_and_reported_where_the_reference_is_used(tmp_path):
    count = tmp_path / "count"
    prog = script(tmp_path, f"import sys; open({str(count)!r}, 'a').write('x'); sys.exit(1)")
    secrets = resolve_references(["${secret:cmd:vault}"], os.environ, {"vault": cmd(prog)})
    resolve_references(["${secret:cmd:vault}"], os.environ, {"vault": cmd(prog)})
    assert count.read_text() == "x"
    with pytest.raises(KplanError) as e:
        secrets.substitute("${secret:cmd:vault}")
    assert "secret command vault (stack.yaml:7) exited with status 1" in str(e.value)


def test_an_unknown_command_name_names_the_declared_ones():
    secrets = resolve_references(["${secret:cmd:vualt}"], os.environ, {"vault": cmd("true"), "aws": cmd("true")})
    with pytest.raises(KplanError) as e:
        secrets.substitute("${secret:cmd:vualt}")
    assert str(e.value) == ("secret reference ${secret:cmd:vualt}: no secret command vualt is configured "
                            "(secret_commands: declares aws, vault)")


def test_the_value_is_masked_everywhere_from_then_on(tmp_path):
    prog = script(tmp_path, f"print({SECRET!r})")
    resolve_references(["${secret:cmd:vault}"], os.environ, {"vault": cmd(prog)})
    assert SECRET in KNOWN.values
    assert scrub(f"error: login failed for {SECRET}") == f"error: login failed for {MASK}"


def test_a_malformed_command_reference():
    assert secret_ref_problem("${secret:cmd:}") is not None
    assert "not a secret command's name" in secret_ref_problem("${secret:cmd:a b}")
    assert secret_ref_problem("${secret:cmd:vault.kafka-admin_1}") is None


STACK = """\
stack: shop
cluster:
  bootstrap_servers: localhost:9092
  client:
    security.protocol: SASL_PLAINTEXT
    sasl.mechanisms: SCRAM-SHA-512
    sasl.username: admin
    sasl.password: ${{secret:cmd:admin}}
secret_commands:
  admin:
    command: [{prog}, admin]
    timeout: 3s
  other:
    command: "echo $X"
    shell: true
environments:
  prod:
    secret_commands:
      admin:
        command: [{prog}, prod-admin]
      other: null
topics:
  - name: orders
    partitions: 1
    replication_factor: 1
"""


def test_the_loader_builds_the_commands_and_an_environment_overlays_them_by_name(tmp_path):
    prog = script(tmp_path, "import sys; print('pw-for-' + sys.argv[1])")
    path = tmp_path / "stack.yaml"
    path.write_text(STACK.format(prog=prog))
    stack = load_stack(path)
    assert stack.secret_commands["admin"] == SecretCommand("admin", (prog, "admin"), 3.0, False)
    assert stack.secret_commands["admin"].origin == f"{path}:11"
    assert stack.secret_commands["other"] == SecretCommand("other", ("echo $X",), 10.0, True)
    prod = load_stack(path, environment="prod")
    assert dict(prod.secret_commands) == {"admin": SecretCommand("admin", (prog, "prod-admin"), 3.0, False)}
    secrets = resolve_stack_secrets(prod, os.environ)
    assert secrets.substitute(prod.cluster.client_properties["sasl.password"]) == "pw-for-prod-admin"


def test_the_early_reads_preview_runs_the_same_command_once(tmp_path):
    count = tmp_path / "count"
    prog = script(tmp_path, f"import sys; open({str(count)!r}, 'a').write('x'); print('pw-' + sys.argv[1])")
    path = tmp_path / "stack.yaml"
    path.write_text(STACK.format(prog=prog))
    previews = []
    stack = load_stack(path, on_cluster=previews.append)
    assert previews[0].secret_commands == stack.secret_commands
    from kplan.model.desired import Stack

    early = resolve_stack_secrets(Stack(name="shop", environment=None, cluster=previews[0].cluster,
                                        secret_commands=previews[0].secret_commands), os.environ)
    later = resolve_stack_secrets(stack, os.environ)
    assert early.values == later.values == {"${secret:cmd:admin}": "pw-admin"}
    assert count.read_text() == "x"


@pytest.mark.parametrize("entry, message", [
    ("    command: 'vault kv get'\n", "secret_commands.admin.command: the command is a list, [program, argument, ...]"),
    ("    command: [vault]\n    shell: true\n", "admin.command: with shell: true, the command is one string"),
    ("    timeout: 3s\n", "secret_commands.admin: `command` is not set"),
    ("    command: [vault]\n    timeout: 10m\n", "admin.timeout: the timeout must be more than 0 and at most 300"),
    ("    command: [vault]\n    timeout: soon\n", "secret_commands.admin.timeout: invalid duration"),
    ("    command: [vault]\n    shell: maybe\n", "shell"),
    ("    command: []\n", "command"),
])
def test_a_command_that_cannot_run_is_a_located_error(tmp_path, entry, message):
    path = tmp_path / "stack.yaml"
    path.write_text("stack: shop\ncluster:\n  bootstrap_servers: localhost:9092\nsecret_commands:\n  admin:\n"
                    + entry)
    with pytest.raises(StackError) as e:
        load_stack(path)
    text = str(e.value)
    assert f"{path}:" in text and message in text, text
