"""The user kind's declared model: SCRAM users as a stack declares them (the Stack holds them by section,
`Stack.of`), and their shape: the `users` section's keys, one row each (`kplan.kinds.shape`).

    - name: orders-app
      password: ${secret:env:ORDERS_APP_PASSWORD}   # a secret reference, never the password itself
      mechanisms: [SCRAM-SHA-512]                   # default; SCRAM-SHA-256 too, or both
      iterations: 8192                              # 4096 (default) to 16384
      rotation: "2026-11"                           # change it to set the password again
"""

from __future__ import annotations

from dataclasses import dataclass

from kplan.kinds.shape import (
    Attr,
    Change,
    Shape,
    choice,
    either,
    fields_of,
    list_of,
    map_of,
    nullable,
    ref,
    row,
    text,
    whole,
)
from kplan.model.source import Origin

SCRAM_MECHANISMS = ("SCRAM-SHA-256", "SCRAM-SHA-512")
MECHANISM = choice(SCRAM_MECHANISMS)

# Every change to an existing user sets its password again (Kafka's upsert always takes one, and never gives the
# previous one back): irreversible.
SHAPE = Shape(
    "users", "scramUser",
    "SCRAM users (SASL/SCRAM credentials), each with a password from a secret reference, its mechanisms and "
    "iterations, and a rotation token. See docs/stack-format.md (SCRAM users).",
    [{"name": "orders-app", "password": "${secret:env:ORDERS_APP_PASSWORD}", "rotation": "2026-11"}],
    (
        Attr("name", text(1, 200, r"^[^\s|]+$"), "The user name (its principal is User:<name>).", ("orders-app",),
             required=True, var=True, plan="The user's name.", plan_required=True),
        row("credentials", map_of(whole(1), keys=MECHANISM), "Its SCRAM credentials: mechanism -> iterations."),
        Attr("password", text(), "A secret reference, ${secret:env:NAME} or ${secret:file:PATH}; never the password "
             "itself.", ("${secret:env:ORDERS_APP_PASSWORD}",), required=True, secret_ref=True,
             change=Change.IRREVERSIBLE, plan='Always "(sensitive)": the password is never in a plan.'),
        Attr("mechanisms", list_of(MECHANISM, min_items=1, unique=True, as_set=True),
             "The SCRAM mechanisms to hold credentials for (default [SCRAM-SHA-512]).",
             (["SCRAM-SHA-256", "SCRAM-SHA-512"],), default=("SCRAM-SHA-512",), change=Change.IRREVERSIBLE),
        Attr("iterations", whole(4096, 16384), "SCRAM iterations: 4096 (the default) to 16384.", (8192,),
             default=4096, var=True, change=Change.IRREVERSIBLE),  # Kafka's bounds
        Attr("rotation", either(text(max_length=200), whole(), read=str),
             "A token of your choosing: changing it makes the next apply set the password again (credentials "
             "cannot be read back, so a changed secret alone is not seen).", ("2026-11",), change=Change.STEP,
             plan="The rotation token: before, the one kplan last applied; after, the declared one (null: none).",
             plan_type=nullable(text())),
    ),
    resource="A SCRAM user: its credentials (mechanism -> iterations); the planned side also its rotation token and "
             "the password's sensitive marker. A password is never in a plan.",
    planned=(row("write", list_of(ref("planned_credential")), "The credentials apply writes with the declared "
                 "password."),
             row("remove", list_of(ref("planned_credential")), "The credentials apply deletes, with the iterations "
                 "they had.")),
    planned_description="What apply does to a SCRAM user: the credentials it writes with the declared password and "
                        "those it deletes (with the iterations they had). Never a password.",
    plan_defs={"planned_credential": fields_of((row("mechanism", MECHANISM, "SCRAM-SHA-256 or SCRAM-SHA-512."),
                                             row("iterations", whole(0), "Its iterations.")))},
)


@dataclass(frozen=True)
class UserSpec:
    """A SCRAM user the stack declares: its credentials (mechanisms, iterations) and where its password comes from.
    `password` is always a `${secret:...}` reference (the loader refuses anything else); `rotation` is the user's
    own token for "set the password again": SCRAM credentials cannot be read back, so a new password is applied
    only when the token changes (or the credentials change)."""

    name: str
    password: str  # a ${secret:...} reference, never the value
    mechanisms: tuple[str, ...] = SHAPE["mechanisms"].default
    iterations: int = SHAPE["iterations"].default
    rotation: str = ""
    origin: Origin | None = None

    @property
    def credentials(self) -> tuple[tuple[str, int], ...]:
        """(mechanism, iterations) of each mechanism, by mechanism: one credential each."""
        return tuple((m, self.iterations) for m in self.mechanisms)
