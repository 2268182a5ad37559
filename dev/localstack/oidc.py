"""A real OpenID Connect provider for the local stack: Keycloak (the `keycloak-quarkus-dist` distribution from
Maven Central, run on the installed Java 17 in dev mode with its H2 file database), with two realms imported at
start from dev/conf/keycloak-realm.json:

- `kplan`: the realm the broker trusts. Its client `kplan` (client credentials) is kplan's principal on the
  broker's OIDC listener (User:kplan, a super user); its client `app` is a second principal with no rights unless
  ACLs grant them. Every token carries the audience `kafka` (an audience mapper) and is valid for 5 minutes.
- `other`: the same clients with the same secrets, but a realm the broker does not trust (its issuer and its
  signing keys differ): a token from it is the "unknown issuer" case.

The broker's OIDC listener (SASL_PLAINTEXT, OAUTHBEARER; dev/conf/broker.properties) validates tokens with Kafka's
OAuthBearerValidatorCallbackHandler: their signature against the `kplan` realm's JWKS, their issuer, audience and
expiry, and takes the principal from the `azp` claim (the client id). Why the JWKS is a file and not the realm's
certs URL: Kafka's validator fetches a JWKS URL when the broker starts and the broker dies when it cannot (checked
on Kafka 4.3.1: "DefaultJwtValidator ... encountered an error on configure(): ConnectException"), so with the URL
the broker could not start without Keycloak. The launcher therefore generates the realm's signing key (RSA, with
openssl, once per stack directory under `<stack dir>/oidc/`), imports it into the realm as its active key, and
writes the matching public key as the JWKS file the broker reads (`file:` URL); tokens are still the provider's,
signed by it. Kafka 4 only reads JWKS and token URLs listed in the JVM's
`org.apache.kafka.sasl.oauthbearer.allowed.urls` system property: broker_jvm_options() sets it.

Lazy like the secured Connect worker: only `dev/stack up --oidc` (or the tests' `oidc` fixture) starts Keycloak
(~20-30 s, ~500 MB of heap), because every test session would otherwise pay for it. The distribution is fetched
once into ~/.m2 and unpacked under `<stack dir>/keycloak/`; its first start builds the server, and a copy of the
built distribution is kept under ~/.m2/kplan/ for the next stack directory (`_built_dir`).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import subprocess
import tarfile
import urllib.error
import urllib.request
from pathlib import Path
from typing import Callable

from .buildcache import build_cache, cached
from .common import DEV, HOST, JIT, LocalStackError, file_lock, say, stack_dir
from .process import Service

KEYCLOAK_VERSION = "26.4.5"  # the newest 26.x on Maven Central when this was written; runs on Java 17
KEYCLOAK_PORT = int(os.environ.get("KPLAN_STACK_KEYCLOAK_PORT", "18180"))
KEYCLOAK_MANAGEMENT_PORT = int(os.environ.get("KPLAN_STACK_KEYCLOAK_MANAGEMENT_PORT", "18181"))
OIDC_PORT = int(os.environ.get("KPLAN_STACK_OIDC_PORT", "19097"))  # the broker's OAUTHBEARER listener
OIDC_BOOTSTRAP = f"{HOST}:{OIDC_PORT}"
KEYCLOAK_URL = f"http://{HOST}:{KEYCLOAK_PORT}"
REALM = "kplan"
OTHER_REALM = "other"  # a realm the broker does not trust
AUDIENCE = "kafka"
KPLAN_CLIENT = "kplan"  # kplan's principal on the OIDC listener: User:kplan, a super user
KPLAN_CLIENT_SECRET = "kplan-dev-oidc-secret"  # dev-only, like the databases' passwords
APP_CLIENT = "app"  # a second principal, no rights unless ACLs grant them
APP_CLIENT_SECRET = "app-dev-oidc-secret"
NAME = "keycloak"


def realm_url(realm: str = REALM) -> str:
    return f"{KEYCLOAK_URL}/realms/{realm}"


def token_url(realm: str = REALM) -> str:
    return f"{realm_url(realm)}/protocol/openid-connect/token"


def jwks_url(realm: str = REALM) -> str:
    return f"{realm_url(realm)}/protocol/openid-connect/certs"


def _keys_dir() -> Path:
    return stack_dir() / "oidc"


def jwks_file_url() -> str:
    return (_keys_dir() / "jwks.json").as_uri()


def broker_jvm_options() -> tuple[str, ...]:
    """The broker's JVM options for its OIDC listener: Kafka 4 refuses to read a JWKS URL not listed here."""
    return (f"-Dorg.apache.kafka.sasl.oauthbearer.allowed.urls={jwks_file_url()}",)


def broker_placeholders() -> dict[str, Callable[[], str]]:
    """dev/conf/broker.properties' OIDC placeholders, each computed when a template holds it (the JWKS file is
    generated on first use)."""
    def jwks() -> str:
        ensure_realm_key()
        return jwks_file_url()

    return {"@OIDC_PORT@": lambda: str(OIDC_PORT), "@OIDC_JWKS_URL@": jwks, "@OIDC_ISSUER@": realm_url,
            "@OIDC_AUDIENCE@": lambda: AUDIENCE, "@OIDC_CLIENT@": lambda: KPLAN_CLIENT}


def _openssl(*args: str, cwd: Path) -> bytes:
    proc = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True)
    if proc.returncode != 0:
        raise LocalStackError(f"openssl {args[0]} failed: {proc.stderr.decode(errors='replace').strip()[-500:]}")
    return proc.stdout


def ensure_realm_key() -> Path:
    """The `kplan` realm's RSA signing key (realm.key, realm.crt) and its public half as a JWKS (jwks.json), made
    once; the kid is Keycloak's own (base64url of the SHA-256 of the DER public key), so tokens name it."""
    keys = _keys_dir()
    if (keys / "jwks.json").exists():
        return keys
    keys.mkdir(parents=True, exist_ok=True)
    with file_lock(keys / ".lock"):
        if (keys / "jwks.json").exists():
            return keys
        if not shutil.which("openssl"):
            raise LocalStackError("openssl is not installed (it makes the OIDC realm's signing key)")
        _openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "realm.key", cwd=keys)
        _openssl("req", "-x509", "-new", "-key", "realm.key", "-subj", f"/CN={REALM}", "-days", "3650",
                 "-out", "realm.crt", cwd=keys)
        der = _openssl("pkey", "-in", "realm.key", "-pubout", "-outform", "DER", cwd=keys)
        modulus = _openssl("rsa", "-in", "realm.key", "-noout", "-modulus", cwd=keys).decode().strip().split("=", 1)[1]
        jwk = {"kty": "RSA", "use": "sig", "alg": "RS256", "kid": _b64url(hashlib.sha256(der).digest()),
               "n": _b64url(bytes.fromhex(modulus)), "e": "AQAB"}
        tmp = keys / "jwks.json.tmp"
        tmp.write_text(json.dumps({"keys": [jwk]}))
        tmp.rename(keys / "jwks.json")
    return keys


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def client_config(client: str = KPLAN_CLIENT, secret: str = KPLAN_CLIENT_SECRET, realm: str = REALM) -> dict[str, str]:
    """A librdkafka (confluent-kafka) configuration for the OIDC listener: client credentials, librdkafka's OIDC
    method fetching its tokens from the realm's token endpoint."""
    return {"bootstrap.servers": OIDC_BOOTSTRAP, "security.protocol": "SASL_PLAINTEXT",
            "sasl.mechanisms": "OAUTHBEARER", "sasl.oauthbearer.method": "oidc",
            "sasl.oauthbearer.client.id": client, "sasl.oauthbearer.client.secret": secret,
            "sasl.oauthbearer.token.endpoint.url": token_url(realm)}


def _home() -> Path:
    return stack_dir() / "keycloak" / f"keycloak-{KEYCLOAK_VERSION}"


# The options of keycloak_service's command that Keycloak builds its server from (its build-time options: the dev
# profile, the health endpoints); the others (host, ports, the realm import) are read at each start.
BUILD_OPTIONS = ("start-dev", "--health-enabled=true")


def _built_dir() -> Path:
    """Where a distribution whose server is already built is kept for the next stack directory: next to Maven's
    copy of the archive (~/.m2, kept wherever the jars are), keyed by the version and the build-time options.
    Keycloak's first start in a fresh unpack builds its server (Quarkus augmentation: ~200 CPU-s, ~65 s on 2 cores,
    the largest single cost of a clean clone's CI run); a copy of a built one starts at once. Keycloak still checks
    its build against its options at each start and rebuilds itself if they differ."""
    key = hashlib.sha256(json.dumps([KEYCLOAK_VERSION, *BUILD_OPTIONS]).encode()).hexdigest()[:12]
    return build_cache() / f"keycloak-{KEYCLOAK_VERSION}-{key}"


def ensure_keycloak() -> Path:
    """Keycloak's distribution under `<stack dir>/keycloak/`: a copy of a built one (`_built_dir`) when there is
    one, else unpacked from the archive (Maven fetches it into ~/.m2 once); with the realm file rendered into its
    import directory. Concurrent launchers take turns."""
    home = _home()
    home.parent.mkdir(parents=True, exist_ok=True)
    with file_lock(home.parent / ".unpack.lock"):
        if not (home / "bin" / "kc.sh").exists():
            partial = home.parent / "unpack.tmp"
            shutil.rmtree(partial, ignore_errors=True)
            built = _built_dir()
            if (built / "bin" / "kc.sh").exists():
                say(f"copying Keycloak {KEYCLOAK_VERSION}, its server already built ({built})")
                shutil.copytree(built, partial / home.name, symlinks=True)
            else:
                archive = _fetch()
                say(f"unpacking Keycloak {KEYCLOAK_VERSION}")
                with tarfile.open(archive) as tar:
                    tar.extractall(partial, filter="tar")
            (partial / home.name).rename(home)
            shutil.rmtree(partial, ignore_errors=True)
    imports = home / "data" / "import"
    imports.mkdir(parents=True, exist_ok=True)
    (imports / "realms.json").write_text(json.dumps(_realms(), indent=1))
    return home


def _fetch() -> Path:
    archive = (Path.home() / ".m2" / "repository" / "org" / "keycloak" / "keycloak-quarkus-dist" / KEYCLOAK_VERSION
               / f"keycloak-quarkus-dist-{KEYCLOAK_VERSION}.tar.gz")
    if archive.exists():
        return archive
    from .dist import check_maven

    say(f"fetching Keycloak {KEYCLOAK_VERSION} with Maven (~160 MB, once)")
    artifact = f"org.keycloak:keycloak-quarkus-dist:{KEYCLOAK_VERSION}:tar.gz"
    proc = subprocess.run([check_maven(), "-B", "-q", "dependency:get", f"-Dartifact={artifact}", "-Dtransitive=false"],
                          capture_output=True, text=True)
    if proc.returncode != 0 or not archive.exists():
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-10:])
        raise LocalStackError(f"Maven could not fetch org.keycloak:keycloak-quarkus-dist:{KEYCLOAK_VERSION}:\n{tail}")
    return archive


def _realms() -> list[dict]:
    """Both realms, from the one template (the second differs in name only)."""
    text = (DEV / "conf" / "keycloak-realm.json").read_text()
    for k, v in {"@AUDIENCE@": AUDIENCE, "@KPLAN_CLIENT@": KPLAN_CLIENT, "@KPLAN_CLIENT_SECRET@": KPLAN_CLIENT_SECRET,
                 "@APP_CLIENT@": APP_CLIENT, "@APP_CLIENT_SECRET@": APP_CLIENT_SECRET}.items():
        text = text.replace(k, v)
    trusted = json.loads(text)
    other = {**trusted, "realm": OTHER_REALM}  # Keycloak makes its own keys for it
    keys = ensure_realm_key()
    trusted["components"] = {"org.keycloak.keys.KeyProvider": [{
        "name": "kplan-dev-rsa", "providerId": "rsa", "subComponents": {},
        "config": {"privateKey": [(keys / "realm.key").read_text()], "certificate": [(keys / "realm.crt").read_text()],
                   "active": ["true"], "enabled": ["true"], "priority": ["1000"], "algorithm": ["RS256"]}}]}
    return [trusted, other]


def _get(url: str, timeout: float = 2.0) -> int:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
    except (OSError, urllib.error.URLError):
        return 0


def _ready() -> bool:
    """Ready when both realms answer their discovery document (the import has finished)."""
    return all(_get(f"{realm_url(r)}/.well-known/openid-configuration") == 200 for r in (REALM, OTHER_REALM))


def keycloak_service() -> Service:
    def command(dist: Path) -> list[str]:
        home = ensure_keycloak()
        return ["/bin/sh", str(home / "bin" / "kc.sh"), *BUILD_OPTIONS, f"--http-host={HOST}",
                f"--http-port={KEYCLOAK_PORT}", f"--http-management-port={KEYCLOAK_MANAGEMENT_PORT}",
                "--import-realm", "--log-console-color=false"]

    def prepare(dist: Path) -> None:
        ensure_keycloak()
        os.environ.setdefault("JAVA_OPTS_KC_HEAP", "-Xms64m -Xmx512m")  # kc.sh reads it; the default takes 70% of RAM
        os.environ.setdefault("JAVA_OPTS_APPEND", " ".join(JIT))  # kc.sh appends it to java's options

    # kc.sh runs java, then (after its first build) execs it: both command lines hold the Keycloak home, which lies
    # in the stack directory
    return Service(NAME, (KEYCLOAK_PORT, KEYCLOAK_MANAGEMENT_PORT), _ready, command, prepare,
                   marker_text=str(_home()))


# Keycloak's first start builds its server (Quarkus augmentation; from a kept build it does not: 47 s -> 30 s and
# ~45 -> ~28 CPU-s, measured beside one test file on another stack) and creates its database: a clean clone's CI run,
# beside the serial stage and another stack's fault sweep, saw it still initialising its master realm at 180 s.
# Nothing waits for it until the parallel stage's test_oidc.py, so it gets longer.
START_TIMEOUT_S = float(os.environ.get("KPLAN_STACK_KEYCLOAK_TIMEOUT", "480"))


def up(timeout_s: float = START_TIMEOUT_S) -> bool:
    """Start Keycloak unless it runs and is healthy; True when it was started."""
    if not keycloak_service().start_alone(timeout_s):
        return False
    keep_build(_home())
    say(f"OIDC: Keycloak {KEYCLOAK_URL} (realm {REALM}, token endpoint {token_url()}); broker OAUTHBEARER listener "
        f"{OIDC_BOOTSTRAP} (client {KPLAN_CLIENT})")
    return True


def keep_build(home: Path) -> None:
    """Keep a copy of this running Keycloak's distribution, its server built, for the next stack directory
    (`_built_dir`), unless one is kept: everything but its `data/` (the database, the realms imported, the
    transaction logs are this stack's). Best effort: a copy that fails leaves the next start to build again."""
    built = _built_dir()
    if (built / "bin" / "kc.sh").exists() or not (home / "lib" / "quarkus" / "quarkus-application.dat").exists():
        return
    try:
        cached(built.name, "bin/kc.sh", lambda partial: shutil.copytree(
            home, partial, symlinks=True, dirs_exist_ok=True,
            ignore=lambda d, names: ["data"] if Path(d) == home else []))
    except OSError as e:
        say(f"could not keep Keycloak's built server in {built} ({e}); the next stack directory builds it again")
        return
    say(f"kept Keycloak's built server in {built} for the next stack directory")
