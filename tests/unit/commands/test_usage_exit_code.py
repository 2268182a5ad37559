"""A command line kplan cannot run exits with the usage code (kplan.exiting.EXIT_USAGE), never 0 or 2 (issue 67.1):
click's own default for usage errors is 2, the code `plan --detailed-exitcode` gives for "changes", so a mistyped
command in a CI job passed as a plan with changes (and the drift workflow filed a drift issue for it). Each case runs
`kplan` as a process, as CI does: nothing reads the cluster, which is never reached (127.0.0.1:1)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from kplan.exiting import EXIT_CODES, EXIT_USAGE

CASES = [
    # (command line, what stderr says); STACK is a valid stack file, PLAN a Markdown plan
    (["plan", "--detailed-exitcod", "STACK"], "No such option '--detailed-exitcod'"),
    (["plan", "STACK", "--detailed-exitcode", "--formt", "markdown"], "No such option '--formt'"),
    (["plna", "--detailed-exitcode", "STACK"], "No such command 'plna'"),
    (["plan", "--detailed-exitcode", "--format", "yaml", "STACK"], "Invalid value for '--format'"),
    (["plan", "--detailed-exitcode", "--wait-for-cluster", "2x", "STACK"], "invalid duration '2x'"),
    (["plan", "--detailed-exitcode"], "Missing argument 'PATH...'"),
    (["plan", "--detailed-exitcode", "missing.yaml"], "Path 'missing.yaml' does not exist"),
    (["plan", "--detailed-exitcode", "--throttle", "10MB/s", "STACK"], "--topic and --throttle go with --rebalance"),
    (["status", "--wait-for-cluster", "soon", "STACK"], "invalid duration 'soon'"),
    (["recover", "STACK"], "say how to recover"),
    (["watch", "--interval", "often", "STACK"], "Invalid value for '--interval'"),
    (["ci", "drift-issue", "--resolvd", "PLAN"], "No such option '--resolvd'"),
    (["ci", "drift-isue", "PLAN"], "No such command 'drift-isue'"),
    (["ci"], "Usage: kplan ci"),
    ([], "Usage: kplan"),
]


@pytest.fixture
def files(tmp_path):
    (tmp_path / "stack.yaml").write_text("stack: s\ncluster: {bootstrap_servers: '127.0.0.1:1'}\n"
                                         "topics: [{name: t, partitions: 1, replication_factor: 1}]\n")
    (tmp_path / "plan.md").write_text("### kplan plan: stack `s`\n\n**No changes.**\n")
    return tmp_path


@pytest.mark.parametrize("args, says", CASES, ids=lambda v: " ".join(v) if isinstance(v, list) else None)
def test_a_command_line_kplan_cannot_run_exits_with_the_usage_code(files, args, says):
    argv = [{"STACK": "stack.yaml", "PLAN": "plan.md"}.get(a, a) for a in args]
    done = subprocess.run([sys.executable, "-m", "kplan", *argv], cwd=files, capture_output=True, text=True,
                          timeout=60, stdin=subprocess.DEVNULL)
    assert done.returncode == EXIT_USAGE, (done.returncode, done.stdout, done.stderr)
    assert says in done.stderr and "Traceback" not in done.stderr, done.stderr


def test_the_usage_code_is_no_other_outcomes_code():
    codes = [code for code, _, _ in EXIT_CODES]
    assert EXIT_USAGE not in (0, 2) and codes.count(EXIT_USAGE) == 1 and len(set(codes)) == len(codes)
    assert 0 < EXIT_USAGE < 126  # a plain exit status, apart from the shell's own (126-165) and kplan's 130
