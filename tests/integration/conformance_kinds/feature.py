"""Feature versions, on a broker of their own formatted with share.version off (tests/integration/
features_broker.py: the session's stack never has its features changed): v1 turns share.version on (0 -> 1), v2
turns it off again as a declared safe downgrade. Read with kafka-python's describe_features (ApiVersions).

A cluster's features are cluster-wide, not named by a stack's prefix: setup holds a lock on the broker's
share.version until teardown and sets it back to 0 (a safe downgrade) where a previous run left it on."""

from __future__ import annotations

import fcntl
import hashlib
import tempfile
from pathlib import Path

from conformance import Ctx, KindFixture, NotApplicable
from features_broker import finalized, share_off


def sections(ctx: Ctx, version: int) -> dict:
    if version == 1:
        return {"features": [{"name": "share.version", "level": 1}]}
    return {"features": [{"name": "share.version", "level": 0, "downgrade": "safe"}]}


def read(ctx: Ctx) -> dict:
    return {"share.version": finalized(ctx.bootstrap).get("share.version", 0)}


def setup(ctx: Ctx) -> None:
    cluster = hashlib.sha256(ctx.bootstrap.encode()).hexdigest()[:12]
    f = open(Path(tempfile.gettempdir()) / f"kplan-kit-feature-{cluster}.lock", "w")  # noqa: SIM115 - teardown
    fcntl.flock(f, fcntl.LOCK_EX)
    ctx.extra["feature_lock"] = f
    share_off(ctx.bootstrap)


def teardown(ctx: Ctx) -> None:
    f = ctx.extra.pop("feature_lock", None)
    if f is not None:
        f.close()


FIXTURE = KindFixture(
    kind="feature", section="features", sections=sections, read=read, target="features", setup=setup,
    teardown=teardown,
    imported=NotApplicable("`kplan import` writes no features: a cluster's features are not a stack's to take over"),
    destroy_restores=NotApplicable("a cluster's features are never owned by a stack: destroy leaves them as they are "
                                   "(docs/stack-format.md, Feature versions)"),
)
