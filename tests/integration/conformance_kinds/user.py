"""SCRAM users: v1 one user (SCRAM-SHA-512, 4096 iterations) whose password is the canary; v2 raises its iterations,
adds SCRAM-SHA-256, and adds a second user. Read on the secured listener with confluent-kafka's
DescribeUserScramCredentials (mechanism -> iterations: the broker never shows a password).

Both applies are killed. Version 2 changes an existing user's credentials, kplan's AlterUsers step, which is
irreversible by design (kplan.kinds.user.steps: the password it replaces cannot be read back): a rollback of an
apply killed in the middle of it or after it cannot be "exactly before" — `recover --rollback` exits 3 and names
it as not rolled back. The fixture declares what that step changes (`irreversible`: the `<P>-app` user's
credentials, the only user it alters), so the kit judges such a rollback "before except irreversible, named":
exactly before in everything else (the `<P>-batch` user CreateUsers made is gone again), `<P>-app` as before or as
version 2 sets it. Killed at its start, before its request, the step is rolled back as having changed nothing
(exactly before, exit 0: tests/unit/kinds/user/test_alter_users_undo.py)."""

from __future__ import annotations

from confluent_kafka.admin import AdminClient
from conformance import CANARY_VAR, Ctx, KindFixture, NotApplicable
from test_users import credentials

from kplan.transport.kafka import dispose


def _names(ctx: Ctx) -> list[str]:
    return [f"{ctx.prefix}-app", f"{ctx.prefix}-batch"]


def sections(ctx: Ctx, version: int) -> dict:
    app, batch = _names(ctx)
    password = "${secret:env:" + CANARY_VAR + "}"
    if version == 1:
        return {"users": [{"name": app, "password": password}]}
    return {"users": [{"name": app, "password": password, "iterations": 8192,
                       "mechanisms": ["SCRAM-SHA-256", "SCRAM-SHA-512"]},
                      {"name": batch, "password": password}]}


def read(ctx: Ctx) -> dict:
    admin = AdminClient(ctx.kafka_config)
    try:
        return {u: credentials(admin, u) for u in _names(ctx)}
    finally:
        dispose(admin)


FIXTURE = KindFixture(
    kind="user", section="users", sections=sections, read=read, target="secured",
    secret="password", imported=NotApplicable(
        "`kplan import` never writes users (it counts them in a note): Kafka never gives a password back, and "
        "declaring a user makes kplan set its password"),
    orphan=NotApplicable("users are not claimable (docs/orphans.md: topics, connectors, ACL bindings, subjects)"),
    irreversible={"alter-users": (("{P}-app",),)},  # version 2's AlterUsers: the app user's credentials (see above)
)
