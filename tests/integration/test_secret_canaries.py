"""Every command's output goes through the one secret policy: run each command of kplan against the real stack with
secret canaries in a stack (from the environment, from a file, a plaintext value in a secret-named key, and a secret
embedded in an ordinary value) and look for them in everything kplan prints or writes."""

from __future__ import annotations

import pytest
from kplan_helpers import kplan, stack_doc, write_stack

from kplan.state.journal import local_state_dir

FILE_SOURCE = "org.apache.kafka.connect.file.FileStreamSourceConnector"


@pytest.fixture
def canaries(tmp_path):
    env_secret, file_secret, plain_secret = "Canary-Env-7f3a9", "Canary-File-2b8c1", "Canary-Plain-5d0e4"
    (tmp_path / "secret.txt").write_text(file_secret + "\n")
    return {"env": env_secret, "file": file_secret, "plain": plain_secret, "path": tmp_path / "secret.txt"}


def _stack(stack, prefix, tmp_path, canaries) -> tuple:
    t = f"{prefix}.c"
    (tmp_path / "in.txt").touch()
    conn = {"name": f"{prefix}-src", "class": FILE_SOURCE, "tasks_max": 1,
            "config": {"file": str(tmp_path / "in.txt"), "topic": t,
                       "my.app.password": "${secret:env:KPLAN_CANARY}",
                       "my.app.token": f"${{secret:file:{canaries['path']}}}",
                       "other.password": canaries["plain"],
                       "connection.url": "jdbc:x://h/db?password=${secret:env:KPLAN_CANARY}"}}
    path = write_stack(tmp_path / "s.yaml", stack_doc(stack, prefix, [{"name": t, "partitions": 1,
                                                                        "replication_factor": 1}], [conn]))
    return path, {"KPLAN_CANARY": canaries["env"]}


def test_no_command_ever_shows_a_secret(stack, prefix, tmp_path, canaries):
    path, env = _stack(stack, prefix, tmp_path, canaries)
    planfile = tmp_path / "p.plan"
    runs = {
        "validate": kplan("validate", str(path), env=env),
        "render yaml": kplan("render", str(path), env=env),
        "render json": kplan("render", str(path), "--format", "json", env=env),
        **{f"plan {f}": kplan("plan", str(path), "--format", f, env=env)
           for f in ("text", "markdown", "json", "html")},
        "plan -out": kplan("plan", str(path), "-out", str(planfile), "--report", str(tmp_path / "p.html"), env=env),
    }
    runs.update({f"show {f}": kplan("show", str(planfile), "--format", f, env=env)
                 for f in ("text", "markdown", "json", "html")})
    runs["apply"] = kplan("apply", str(path), "--auto-approve", env=env)
    runs.update({f"status {f}": kplan("status", str(path), "--format", f, env=env) for f in ("text", "json")})
    runs["plan after apply"] = kplan("plan", str(path), "--detailed-exitcode", env=env)
    # a rotated secret is a change, shown only as such
    runs["plan rotated"] = kplan("plan", str(path), env={"KPLAN_CANARY": canaries["env"] + "-rotated"})
    runs["plan --destroy"] = kplan("plan", str(path), "--destroy", env=env)
    runs["recover"] = kplan("recover", str(path), "--rollback", env=env)
    runs["unlock"] = kplan("unlock", str(path), "--auto-approve", env=env)
    runs["destroy"] = kplan("destroy", str(path), "--auto-approve", env=env)
    # an error path: an unresolvable secret is named, never shown
    runs["plan unresolved"] = kplan("plan", str(path), env={})
    runs["plan --debug unresolved"] = kplan("--debug", "plan", str(path), env={})

    expected = {"validate": 0, "apply": 0, "plan after apply": 0, "destroy": 0, "plan unresolved": 1}
    for name, code in expected.items():
        assert runs[name].code == code, (name, runs[name].text)
    # both keys that use the rotated secret are shown as changed, without their values
    rotated = runs["plan rotated"].out.splitlines()
    assert '      ~ config["connection.url"]  = (sensitive value changed)' in rotated, rotated
    assert '      ~ config["my.app.password"] = (sensitive) -> ${secret:env:KPLAN_CANARY}' in rotated, rotated
    assert "Plan: 0 to add, 1 to change, 0 to destroy." in rotated, rotated
    assert "KPLAN_CANARY is not set" in runs["plan unresolved"].text

    journals = (local_state_dir() / "journal").glob(f"{prefix}@*.json")
    written = [planfile.read_text()] + [p.read_text() for p in journals]
    assert len(written) == 2, "the plan file and the local journal copy"
    written.append((tmp_path / "p.html").read_text())  # the HTML page of the plan (docs/html-report.md)
    assert "my.app.password" in written[-1] and "<!DOCTYPE html>" in written[-1]
    for value in (canaries["env"], canaries["file"], canaries["plain"]):
        for name, run in runs.items():
            assert value not in run.text, f"{name} shows a secret"
        for text in written:
            assert value not in text


def test_a_known_secret_under_an_undeclared_key_is_masked(stack, prefix, tmp_path):
    """Issue 26 defect 1: the value of a declared secret, copied out of band (Connect REST) into a key the stack does
    not declare and whose name says nothing, is still a secret: plan (text, Markdown, JSON), the saved plan, apply and
    the journal never show it, not even embedded in a longer value."""
    import requests

    secret = "Canary-Copied-9e41c"
    env = {"KPLAN_COPIED": secret}
    t, name = f"{prefix}.k", f"{prefix}-src"
    (tmp_path / "in.txt").touch()
    conn = {"name": name, "class": FILE_SOURCE, "tasks_max": 1,
            "config": {"file": str(tmp_path / "in.txt"), "topic": t,
                       "some.custom.password": "${secret:env:KPLAN_COPIED}"}}
    path = write_stack(tmp_path / "s.yaml", stack_doc(stack, prefix, [{"name": t, "partitions": 1,
                                                                        "replication_factor": 1}], [conn]))
    assert kplan("apply", str(path), "--auto-approve", env=env).code == 0
    url = f"{stack.connect_url}/connectors/{name}/config"
    live = requests.get(url, timeout=30).json()
    assert live["some.custom.password"] == secret  # kplan wrote the resolved value
    live["some.custom.extra"] = f"copy:{secret}"
    assert requests.put(url, json=live, timeout=60).status_code == 200

    planfile = tmp_path / "p.plan"
    runs = {f"plan {f}": kplan("plan", str(path), "--format", f, env=env) for f in ("text", "markdown", "json")}
    runs["plan -out"] = kplan("plan", str(path), "-out", str(planfile), env=env)
    runs["show json"] = kplan("show", str(planfile), "--format", "json", env=env)
    runs["apply"] = kplan("apply", str(path), "--auto-approve", env=env)
    runs["status"] = kplan("status", str(path), env=env)
    # the out-of-band key is planned for removal (shown masked) and apply removed it
    assert 'config["some.custom.extra"]' in runs["plan text"].out, runs["plan text"].text
    assert runs["apply"].code == 0, runs["apply"].text
    assert "some.custom.extra" not in requests.get(url, timeout=30).json()
    journals = [p.read_text() for p in (local_state_dir() / "journal").glob(f"{prefix}@*.json")]
    assert journals, "the local journal copies"
    assert any("some.custom.extra" in j for j in journals), "the journal's before-image has the key"
    for what, run in runs.items():
        assert secret not in run.text, f"{what} shows the secret"
    assert secret not in planfile.read_text()
    for text in journals:
        assert secret not in text, "a journal holds the secret"
    assert kplan("destroy", str(path), "--auto-approve", env=env).code == 0
