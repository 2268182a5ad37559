"""`kplan render` never shows a password written into `cluster.connect_url` (plaintext or resolved)."""

from __future__ import annotations

from click.testing import CliRunner

from kplan.cli import cli

STACK = """\
stack: s
cluster:
  bootstrap_servers: k:9092
  connect_url: http://admin:{password}@connect:8083
connectors:
  - name: c
    class: org.apache.kafka.connect.file.FileStreamSinkConnector
    config: {{topics: t, file: /tmp/out}}
"""


def test_render_masks_the_password_in_connect_url(tmp_path):
    for password in ("Pl41n-Conn3ct-Pw", "${secret:env:CONNECT_PW}"):
        path = tmp_path / "s.yaml"
        path.write_text(STACK.format(password=password))
        for fmt in ("yaml", "json"):
            r = CliRunner().invoke(cli, ["render", str(path), "--format", fmt], env={"CONNECT_PW": "Res0lved-Pw"})
            assert r.exit_code == 0, r.output
            assert "http://admin:***@connect:8083" in r.output
            assert "Pl41n-Conn3ct-Pw" not in r.output and "Res0lved-Pw" not in r.output
