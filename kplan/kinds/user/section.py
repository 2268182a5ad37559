"""The `users` section: SCRAM users, each with its mechanisms, iterations, password reference and rotation token.
Pure.

    - name: orders-app
      password: ${secret:env:ORDERS_APP_PASSWORD}   # a secret reference, never the password itself
      mechanisms: [SCRAM-SHA-512]                   # default; SCRAM-SHA-256 too, or both
      iterations: 8192                              # 4096 (default) to 16384
      rotation: "2026-11"                           # change it to set the password again

The shape is checked by the JSON Schema; what it cannot say is checked here (the password a literal value, a
user declared twice, iterations out of Kafka's range after variable substitution).
"""

from __future__ import annotations

from typing import Any

from kplan.kinds.user.model import SCRAM_DEFAULT_ITERATIONS, SCRAM_DEFAULT_MECHANISM, SCRAM_MECHANISMS, UserSpec
from kplan.model.desired import origin_data
from kplan.model.diagnostics import Diagnostics, entry_words
from kplan.model.source import Loc, Origin, SourceMap
from kplan.secrets import has_secret_ref, is_reference_only, secret_ref_problem

MIN_ITERATIONS, MAX_ITERATIONS = 4096, 16384  # Kafka's bounds for SCRAM iterations


def password_problem(value: Any) -> str | None:
    if not isinstance(value, str) or not has_secret_ref(value) or not is_reference_only(value):
        return ("the password must be a secret reference (${secret:env:NAME} or ${secret:file:PATH}), never the "
                "password itself")
    return secret_ref_problem(value)


def _iterations(value: Any) -> int | None:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    ok = isinstance(value, int) and not isinstance(value, bool) and MIN_ITERATIONS <= value <= MAX_ITERATIONS
    return value if ok else None


def build_users(entries: list[tuple[Any, Loc]], smap: SourceMap, diags: Diagnostics) -> tuple[UserSpec, ...]:
    out = []
    for item, loc, name in diags.named_entries(entries, "name", 'user "{}"', "declare each user once"):
        iterations = _iterations(item.get("iterations", SCRAM_DEFAULT_ITERATIONS))
        mechanisms = item.get("mechanisms") or [SCRAM_DEFAULT_MECHANISM]
        unknown = [m for m in mechanisms if m not in SCRAM_MECHANISMS]
        problems = {  # by the key each is at
            "password": password_problem(item.get("password")),
            "iterations": None if iterations is not None else f"iterations must be a whole number from "
                          f"{MIN_ITERATIONS} to {MAX_ITERATIONS} (Kafka's bounds for SCRAM)",
            "mechanisms": f"unknown mechanism {unknown[0]!r}; use {' or '.join(SCRAM_MECHANISMS)}" if unknown else None}
        for key, problem in problems.items():
            if problem:
                diags.error(smap.value_loc(item, key) or loc, f"user {name}: {problem}")
        if any(problems.values()):
            continue
        rotation = item.get("rotation")
        out.append(UserSpec(name, item["password"],
                            tuple((m, int(iterations or 0)) for m in sorted(set(mechanisms))),
                            "" if rotation is None else str(rotation),
                            origin=Origin(loc.file, loc.line, loc.column)))
    return tuple(sorted(out, key=lambda u: u.name))


def rendered(u: UserSpec) -> dict[str, Any]:
    """A SCRAM user: its credentials and where its password comes from (the reference, never a value)."""
    return {"name": u.name, "credentials": {m: i for m, i in u.credentials}, "password": u.password,
            "rotation": u.rotation, "origin": origin_data(u.origin)}


entry_word = entry_words("name", "user")
