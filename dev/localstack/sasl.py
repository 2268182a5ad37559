"""The broker's secured listener (SASL_SSL) and who logs in on it: kplan's admin and the secured Connect worker, with
fixed dev-only passwords, both super users (dev/conf/broker.properties).

PLAIN checks a static list in the broker's config; SCRAM credentials live in the cluster metadata instead, and an
already-formatted storage cannot take `--add-scram` any more, so the launcher creates them once the broker is up,
through the plain listener (User:ANONYMOUS, a super user), and then proves each user can log in over SASL_SSL.
"""

from __future__ import annotations

import os
import time

from .common import HOST, LocalStackError, quiet_logger, say
from .tls import ca_file

SASL_PORT = int(os.environ.get("KPLAN_STACK_SASL_PORT", "19094"))
SASL_BOOTSTRAP = f"{HOST}:{SASL_PORT}"
SASL_MECHANISMS = ("SCRAM-SHA-512", "PLAIN")
ADMIN_USER = "kplan-admin"  # kplan's own principal on the secured side (a super user)
ADMIN_PASSWORD = "kplan-dev-admin"  # dev-only, like the databases' passwords
CONNECT_WORKER_USER = "connect"  # the secured Connect worker's principal (a super user)
CONNECT_WORKER_PASSWORD = "kplan-dev-connect-worker"
SCRAM_USERS = {ADMIN_USER: ADMIN_PASSWORD, CONNECT_WORKER_USER: CONNECT_WORKER_PASSWORD}
SCRAM_ITERATIONS = 8192


def client_config(user: str = ADMIN_USER, password: str = ADMIN_PASSWORD,
                  mechanism: str = "SCRAM-SHA-512") -> dict[str, str]:
    """A librdkafka (confluent-kafka) configuration for the secured listener, verifying the broker with the CA."""
    return {"bootstrap.servers": SASL_BOOTSTRAP, "security.protocol": "SASL_SSL", "sasl.mechanism": mechanism,
            "sasl.username": user, "sasl.password": password, "ssl.ca.location": str(ca_file())}


def ensure_scram_users(plain_bootstrap: str, timeout_s: float = 60.0) -> None:
    """Create the SCRAM-SHA-512 credentials that are missing (one whose login fails, e.g. after a password change
    in this file, is set again), then wait until every user logs in over SASL_SSL. Idempotent."""
    from confluent_kafka.admin import AdminClient

    admin = AdminClient({"bootstrap.servers": plain_bootstrap, "logger": quiet_logger()})
    try:
        missing = [user for user in SCRAM_USERS if not _has_scram(admin, user)]
        if missing:
            say(f"creating the SCRAM-SHA-512 credentials of {', '.join(missing)}")
            _upsert(admin, missing)
        deadline = time.monotonic() + timeout_s
        for user, password in SCRAM_USERS.items():
            reset = user in missing
            while (err := _login_error(user, password)) is not None:
                if not reset:
                    say(f"{user} cannot log in over SASL_SSL ({err}); setting its SCRAM credential again")
                    _upsert(admin, [user])
                    reset = True
                elif time.monotonic() > deadline:
                    raise LocalStackError(f"{user} cannot log in with SCRAM-SHA-512 at {SASL_BOOTSTRAP}: {err}")
                else:
                    time.sleep(0.5)
    finally:
        admin.__exit__(None, None, None)  # destroyed here, not by a garbage collection on a librdkafka thread


def _has_scram(admin, user: str) -> bool:
    from confluent_kafka import KafkaException
    from confluent_kafka.admin import ScramMechanism

    try:
        described = admin.describe_user_scram_credentials([user], request_timeout=10)[user].result(30)
    except KafkaException:  # RESOURCE_NOT_FOUND: no credential at all
        return False
    return any(i.mechanism == ScramMechanism.SCRAM_SHA_512 for i in described.scram_credential_infos)


def _upsert(admin, users: list[str]) -> None:
    from confluent_kafka.admin import ScramCredentialInfo, ScramMechanism, UserScramCredentialUpsertion

    info = ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, SCRAM_ITERATIONS)
    alterations = [UserScramCredentialUpsertion(u, info, SCRAM_USERS[u].encode()) for u in users]
    for user, fut in admin.alter_user_scram_credentials(alterations, request_timeout=10).items():
        try:
            fut.result(30)
        except Exception as e:  # noqa: BLE001 - reported with the user's name
            raise LocalStackError(f"creating the SCRAM credential of {user} failed: {e}") from e


def _login_error(user: str, password: str) -> str | None:
    """None when `user` can log in over SASL_SSL with SCRAM-SHA-512 (a metadata request succeeds), else why not."""
    from confluent_kafka.admin import AdminClient

    errors: list[str] = []
    admin = AdminClient({**client_config(user, password), "socket.timeout.ms": 3000, "logger": quiet_logger(),
                         "error_cb": lambda e: errors.append(e.str())})
    try:
        admin.list_topics(timeout=5)
        return None
    except Exception as e:  # noqa: BLE001 - any failure is the answer
        admin.poll(0)  # serves error_cb: the refused login's own message, rather than a generic transport failure
        return errors[0] if errors else str(e)
    finally:
        admin.__exit__(None, None, None)
