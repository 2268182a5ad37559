"""The feature kind's declared model: Kafka's finalized feature versions (KIP-584: `share.version`, `group.version`,
`streams.version`, `transaction.version`, `metadata.version`) as a stack declares them, and their shape.

    features:
      - name: share.version
        level: 1                 # or latest: the highest level every broker supports
      - name: group.version
        level: 0
        downgrade: safe          # a lower level than the finalized one is refused unless declared safe or unsafe
"""

from __future__ import annotations

from dataclasses import dataclass

from kplan.kinds.shape import Attr, Change, Shape, choice, either, row, text, whole
from kplan.model.source import Origin

LATEST = "latest"
# Kafka's upgrade types (UpdateFeatures v1+ UpgradeType)
UPGRADE, SAFE, UNSAFE = "upgrade", "safe", "unsafe"
TYPE_CODE = {UPGRADE: 1, SAFE: 2, UNSAFE: 3}

SHAPE = Shape(
    "features", "feature",
    "Kafka's finalized feature versions (KIP-584), one entry per feature: its level, or latest. Planned against the "
    "finalized levels and each broker's supported range, applied with UpdateFeatures before any other step. See "
    "docs/stack-format.md (Feature versions).",
    [{"name": "share.version", "level": 1}],
    (
        Attr("name", text(1, 200, r"^[a-z][a-z0-9._-]*$"), "The feature's name, as kafka-features.sh names it.",
             ("share.version",), required=True, plan="The feature's name.", plan_required=True),
        Attr("level", either(whole(0, 32767), choice((LATEST,))),
             "Its finalized level (0: off), or latest (the highest level every broker supports).", (1, LATEST),
             required=True, var=True, plan="Its finalized level (0: not finalized).", plan_type=whole(0)),
        Attr("downgrade", choice((SAFE, UNSAFE)),
             "Allow a level lower than the finalized one: safe (Kafka refuses it if it would lose metadata) or unsafe "
             "(it may lose what the higher level wrote). Without it a downgrade is refused at plan.", (SAFE,),
             change=Change.STEP),
    ),
    versions="3.9 or newer (UpdateFeatures v1); share.version and streams.version 4.1 or newer",
    resource="A finalized feature: its level.",
    planned=(row("level", whole(0), "The level apply finalizes."),
             row("before", whole(0), "The finalized level when planned."),
             row("upgrade_type", choice((UPGRADE, SAFE, UNSAFE)), "Kafka's upgrade type of the update.")),
    planned_description="What apply does to a feature: the level it finalizes, with Kafka's upgrade type.",
)


@dataclass(frozen=True)
class FeatureSpec:
    """A feature the stack declares: a level or LATEST, and the downgrade it allows (None: none)."""

    name: str
    level: int | str
    downgrade: str | None = None
    origin: Origin | None = None
