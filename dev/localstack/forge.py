"""A real forge for the local stack: Gitea (GitHub-shaped REST API under /api/v1, git over HTTP), built once per
machine from its Go module and started lazily, like Keycloak: only `dev/stack up --forge` (or `--only forge`, or
the tests' `forge` fixture) starts it.

Built from `code.gitea.io/gitea` at GITEA_VERSION (v1.27 declares the path gitea.dev and needs modules the proxy
does not serve): its source copied out of the module cache (its `replace` lines make `go install` refuse it) and
built with SQLite, without the web assets (`bindata`), into the build cache (buildcache.py: ~/.m2/kplan/). Such a
build reads its translations and page templates from the source tree (`STATIC_ROOT_PATH`: without them it dies at
start on a missing translation), so options/, templates/ and public/ are kept beside the binary. The first build
takes 766 CPU-s (50 minutes beside other builds on 2 cores: docs/development.md); later stack directories reuse it.

At each start (`prepare`): app.ini rendered under `<stack dir>/forge/` (SQLite; secrets in files made once, so the
file can be rendered again), `gitea migrate`, then, once per data directory, the users and their tokens: ADMIN (a
site administrator, who owns the tests' repositories) and REVIEWER (a plain user, the second pair of eyes a pull
request's approval needs), each with a token of every scope written to `<stack dir>/forge/tokens/<user>`. The
tests read them from there (pytest_plugin's `forge` fixture); `dev/stack env` names the files.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import secrets
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

from .buildcache import cached, check_tool, module_source, run_build
from .common import HOST, LocalStackError, say, stack_dir
from .process import Service, cmdline_of

NAME = "forge"
GITEA_MODULE = "code.gitea.io/gitea"
GITEA_VERSION = "1.26.0"
BUILD_TAGS = "sqlite sqlite_unlock_notify"
# What of the source tree a build without bindata reads at run time (STATIC_ROOT_PATH): translations and other
# options, the pages' and mails' templates, the images the pages link.
SOURCE_TREES = ("options", "templates", "public")
FORGE_PORT = int(os.environ.get("KPLAN_STACK_FORGE_PORT", "13000"))
FORGE_URL = f"http://{HOST}:{FORGE_PORT}"
API_URL = f"{FORGE_URL}/api/v1"
ADMIN = "kplan-admin"
REVIEWER = "kplan-reviewer"
USERS = (ADMIN, REVIEWER)
PASSWORD = "kplan-dev-forge-password"  # dev-only, like the databases' passwords; the tests use the tokens
# Gitea starts in ~5 s from a built binary; the first start after a build also creates its database
# Go's collector off below a 1 GiB heap, for `gitea web` and the processes it starts: git runs Gitea's binary as a
# hook two or three times a push (~0.12 CPU-s each, a fifth of it collecting a heap that dies with the process), and
# the server's live heap stays ~60 MB. The forge's CPU over test_forge.py and test_ci_token_rights.py: 15.54/15.94/16.10
# CPU-s with Go's default, 12.13/12.68/12.84 with this (3 interleaved runs each); its peak RSS ~200 -> ~380 MB.
GO_GC = {"GOGC": "off", "GOMEMLIMIT": "1GiB"}
START_TIMEOUT_S = float(os.environ.get("KPLAN_STACK_FORGE_TIMEOUT", "120"))
# Test scaffolding: one fix applied to Gitea's source before the build. In 1.26.0, models/db.RegisterModel keeps a
# model's init function only when one is already kept (it tests the wrong slice's length), so none is ever kept and
# the cache of checked access tokens (`SUCCESSFUL_TOKENS_CACHE_SIZE`) is never made: every API request hashes its
# token with PBKDF2 again (~9 ms of the server's CPU). The fix tests the argument, as the code means to.
SOURCE_FIXES = {"models/db/engine.go": ("if len(registeredInitFuncs) > 0 && initFunc[0] != nil {",
                                         "if len(initFunc) > 0 && initFunc[0] != nil {")}


def _build_name() -> str:
    """The cached build's name, keyed by what it is built from."""
    key = hashlib.sha256(json.dumps([GITEA_VERSION, BUILD_TAGS, SOURCE_TREES, SOURCE_FIXES]).encode()).hexdigest()[:12]
    return f"gitea-{GITEA_VERSION}-{key}"


def gitea_dir() -> Path:
    """The cached build's directory (binary and source trees), built first on a machine that has none."""
    return cached(_build_name(), "gitea", _build)


def fix_source(src: Path) -> None:
    """SOURCE_FIXES applied to the source tree at `src`; a tree that is not the one they were made for is refused."""
    for name, (wrong, right) in SOURCE_FIXES.items():
        code = (src / name).read_text()
        if code.count(wrong) != 1:
            raise LocalStackError(f"Gitea {GITEA_VERSION}'s {name} is not the source this fix was made for "
                                  f"(dev/localstack/forge.py SOURCE_FIXES): {wrong!r} not found once")
        (src / name).write_text(code.replace(wrong, right))


def _build(out: Path) -> None:
    go = check_tool("go", "the forge, Gitea, is built from its Go module",
                    "install Go 1.26 or newer (https://go.dev/dl/) or skip the forge")
    log = stack_dir() / "logs" / "forge-build.log"
    say(f"building Gitea {GITEA_VERSION} from its Go module (once per machine: ~13 CPU-minutes; log: {log})")
    src = module_source(go, GITEA_MODULE, GITEA_VERSION, out / "src")
    fix_source(src)
    ldflags = f"-s -w -X main.Version={GITEA_VERSION} -X 'main.Tags={BUILD_TAGS}'"
    run_build(f"Gitea {GITEA_VERSION}", [go, "build", "-tags", BUILD_TAGS, "-ldflags", ldflags, "-o",
                                         str(out / "gitea"), "."], log, cwd=src, env={"GOFLAGS": "-mod=mod"})
    for tree in SOURCE_TREES:
        shutil.move(src / tree, out / tree)
    shutil.rmtree(src)


def home() -> Path:
    return stack_dir() / "forge"


def app_ini() -> Path:
    return home() / "custom" / "conf" / "app.ini"


def token_file(user: str) -> Path:
    return home() / "tokens" / user


def token(user: str) -> str:
    try:
        return token_file(user).read_text().strip()
    except OSError:
        raise LocalStackError(f"the forge has no token for {user} yet ({token_file(user)}): "
                              "`dev/stack up --forge` makes it") from None


def _secret(name: str, value: str) -> str:
    """A file: URI of a secret made once per forge directory (Gitea reads SECRET_KEY_URI and the like)."""
    path = home() / "secrets" / name
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(value + "\n")
        path.chmod(0o600)
    return f"file:{path}"


def _render(built: Path) -> str:
    data = home() / "data"
    jwt = base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode()  # what Gitea's JWT_SECRET is
    sections = {
        "": {"APP_NAME": "kplan local forge", "RUN_MODE": "prod", "WORK_PATH": home()},
        "server": {"PROTOCOL": "http", "HTTP_ADDR": HOST, "HTTP_PORT": FORGE_PORT, "ROOT_URL": f"{FORGE_URL}/",
                   "APP_DATA_PATH": data, "STATIC_ROOT_PATH": built, "OFFLINE_MODE": "true",
                   "DISABLE_SSH": "true", "START_SSH_SERVER": "false", "LFS_START_SERVER": "false"},
        "database": {"DB_TYPE": "sqlite3", "PATH": data / "gitea.db", "SQLITE_JOURNAL_MODE": "WAL"},
        "repository": {"ROOT": data / "repositories", "DEFAULT_BRANCH": "main"},
        "security": {"INSTALL_LOCK": "true", "PASSWORD_COMPLEXITY": "off",
                     "SECRET_KEY_URI": _secret("secret_key", secrets.token_urlsafe(32)),
                     "INTERNAL_TOKEN_URI": _secret("internal_token", secrets.token_urlsafe(48))},
        "oauth2": {"JWT_SECRET_URI": _secret("jwt_secret", jwt)},
        "service": {"DISABLE_REGISTRATION": "true", "DEFAULT_KEEP_EMAIL_PRIVATE": "true"},
        "actions": {"ENABLED": "false"},
        "mailer": {"ENABLED": "false"},
        "indexer": {"ISSUE_INDEXER_TYPE": "db", "REPO_INDEXER_ENABLED": "false"},
        "session": {"PROVIDER": "memory"},
        "cache": {"ADAPTER": "memory"},
        "cron.update_checker": {"ENABLED": "false"},
        "log": {"MODE": "console", "LEVEL": "Warn", "ROOT_PATH": home() / "log"},
    }
    out = []
    for section, keys in sections.items():
        if section:
            out.append(f"\n[{section}]")
        out.extend(f"{k} = {v}" for k, v in keys.items())
    return "\n".join(out) + "\n"


def _gitea(built: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """A Gitea command on this forge's config (migrate, admin ...); a failure is a LocalStackError."""
    cmd = [str(built / "gitea"), "--config", str(app_ini()), "--work-path", str(home()), *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=_env(), stdin=subprocess.DEVNULL)
    if proc.returncode != 0:
        raise LocalStackError(f"`gitea {' '.join(args[:3])}` failed (exit {proc.returncode}):\n"
                              + (proc.stdout + proc.stderr).strip()[-1500:])
    return proc


def _env() -> dict[str, str]:
    env = {**os.environ, "GITEA_WORK_DIR": str(home()), "GITEA_CUSTOM": str(home() / "custom")}
    if os.geteuid() == 0:  # Gitea refuses to run as root without it
        env["GITEA_I_AM_BEING_UNSAFE_RUNNING_AS_ROOT"] = "true"
    return env


def _prepare(dist: Path) -> None:
    """The config, the database's schema, and (once) the users and their tokens, before `gitea web` starts."""
    built = gitea_dir()
    app_ini().parent.mkdir(parents=True, exist_ok=True)
    app_ini().write_text(_render(built))
    _gitea(built, "migrate")
    existing = set(re.findall(r"^\d+\s+(\S+)", _gitea(built, "admin", "user", "list").stdout, re.M))
    for user in USERS:
        if user not in existing:
            _gitea(built, "admin", "user", "create", "--username", user, "--password", PASSWORD, "--email",
                   f"{user}@kplan.invalid", "--must-change-password=false", *(["--admin"] if user == ADMIN else []))
        if not token_file(user).exists():
            tok, said = "", ""
            for _ in range(3):  # once, a CI run's forge printed no token (its output unknown): asked again
                proc = _gitea(built, "admin", "user", "generate-access-token", "--username", user, "--token-name",
                              f"kplan-{secrets.token_hex(4)}", "--scopes", "all", "--raw")
                # as root, a warning comes first on the same stream: the token is the line that is one
                tok = next((x for x in proc.stdout.split() if re.fullmatch(r"[0-9a-f]{40}", x)), "")
                if tok:
                    break
                said = (proc.stdout + proc.stderr).strip()[-800:]
                time.sleep(1)
            if not tok:
                raise LocalStackError(f"`gitea admin user generate-access-token` printed no token for {user}:\n{said}")
            token_file(user).parent.mkdir(parents=True, exist_ok=True)
            token_file(user).write_text(tok + "\n")
            token_file(user).chmod(0o600)


def _ready() -> bool:
    try:
        with urllib.request.urlopen(f"{API_URL}/version", timeout=2) as r:
            return r.status == 200
    except (OSError, urllib.error.URLError):
        return False


def forge_service() -> Service:
    def command(dist: Path) -> list[str]:
        return [str(gitea_dir() / "gitea"), "--config", str(app_ini()), "--work-path", str(home()), "web"]

    def prepare(dist: Path) -> None:
        _prepare(dist)
        os.environ.update({k: v for k, v in _env().items() if k.startswith("GITEA_")})  # for `gitea web`

    def outdated() -> str | None:
        pid = svc.pid()
        if pid is not None and f"/{_build_name()}/gitea " not in cmdline_of(pid):
            return f"runs another build than Gitea {GITEA_VERSION}'s ({_build_name()}); restarting it"
        return None

    svc = Service(NAME, (FORGE_PORT,), _ready, command, prepare, marker_text=str(app_ini()), outdated=outdated,
                  env=GO_GC)
    return svc


def up(timeout_s: float = START_TIMEOUT_S) -> bool:
    """Start the forge unless it runs and is healthy (building Gitea first on a machine that has none); True when
    it was started."""
    if not forge_service().start_alone(timeout_s, f" (Gitea {GITEA_VERSION})"):
        return False
    say(f"forge: Gitea {FORGE_URL} (users {ADMIN}, an administrator, and {REVIEWER}; their tokens in "
        f"{token_file(ADMIN).parent}/)")
    return True
