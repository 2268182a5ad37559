"""Running and undoing SCRAM user steps. Passwords are resolved from their references here, at the moment they
are written, and go nowhere else."""

from __future__ import annotations

from kplan.errors import KplanError
from kplan.kinds.handler import StepContext, StepHandler, UndoImpossible, handles
from kplan.kinds.step import name_list
from kplan.kinds.user.io import UserWrites
from kplan.kinds.user.steps import AlterUsers, CreateUsers, Credential, DeleteUsers, Removal


def _upserts(credentials: tuple[Credential, ...], ctx: StepContext) -> list[tuple[str, str, int, str]]:
    return [(c.user, c.mechanism, c.iterations, ctx.secret_values.substitute(c.password)) for c in credentials]


def _removals(removals: tuple[Credential | Removal, ...]) -> list[tuple[str, str]]:
    return [(r.user, r.mechanism) for r in removals]


@handles(CreateUsers)
class CreateUsersHandler(StepHandler[CreateUsers]):
    def run(self, step: CreateUsers, ctx: StepContext) -> None:
        ctx.io(UserWrites).alter_scram_credentials(_upserts(step.credentials, ctx), [])

    def undo(self, step: CreateUsers, ctx: StepContext) -> None:
        # every credential was absent when planned: what the run created is deleted (an absent one is a no-op)
        ctx.io(UserWrites).alter_scram_credentials([], _removals(step.credentials))


@handles(AlterUsers)
class AlterUsersHandler(StepHandler[AlterUsers]):
    def run(self, step: AlterUsers, ctx: StepContext) -> None:
        upserts = _upserts(step.upserts, ctx)  # an unresolvable reference fails before anything is requested
        ctx.request(lambda: ctx.io(UserWrites).alter_scram_credentials(upserts, _removals(step.removals)))

    def left_no_trace(self, step: AlterUsers, ctx: StepContext) -> bool:
        """Only a run that never made its request (it died or failed before `requested()` was journaled: killed at
        the step's start, or a password reference it could not resolve) changed nothing. Once the request was made,
        even refused, a password may have been replaced, and nothing can tell by looking: it is reported."""
        return not (ctx.outcome or {}).get("requested")


@handles(DeleteUsers)
class DeleteUsersHandler(StepHandler[DeleteUsers]):
    def run(self, step: DeleteUsers, ctx: StepContext) -> None:
        ctx.request(lambda: ctx.io(UserWrites).alter_scram_credentials([], _removals(step.removals)))

    def undo(self, step: DeleteUsers, ctx: StepContext) -> None:
        """What the cluster no longer has is created again with the stack's declared password (`step.restore`, its
        reference resolved now: in the run's memory, or by `kplan recover` from the stack again), then read back.
        A user without one is reported, never claimed restored: Kafka never gives a password back."""
        users = sorted({r.user for r in step.removals})
        live = ctx.io(UserWrites).scram_credentials(users)
        gone = [r for r in step.removals if r.mechanism not in live.get(r.user, {})]
        if not gone:
            return  # refused, or cut short before anything was deleted
        restore = {(c.user, c.mechanism): c for c in step.restore}
        writable = [restore[(r.user, r.mechanism)] for r in gone if (r.user, r.mechanism) in restore]
        lost = sorted({r.user for r in gone if (r.user, r.mechanism) not in restore})
        unresolved: dict[str, str] = {}
        upserts = []
        for c in writable:
            try:
                upserts.append((c.user, c.mechanism, c.iterations, ctx.secret_values.substitute(c.password)))
            except KplanError as e:  # names the variable or file, never a value
                unresolved.setdefault(c.user, str(e))
        upserts = [u for u in upserts if u[0] not in unresolved]
        if upserts:  # written, then read back until the cluster shows them (UserWrites)
            ctx.io(UserWrites).alter_scram_credentials(upserts, [])
        if lost or unresolved:
            raise UndoImpossible(_not_restored(lost, unresolved))


def _not_restored(lost: list[str], unresolved: dict[str, str]) -> str:
    """Why deleted users are not back, and what to do: Kafka never gives a password back."""
    parts = []
    if lost:
        parts.append(f"SCRAM user(s) {name_list(lost)} deleted and not re-created: Kafka never gives a password back, "
                     "and the stack does not declare the password kplan last set for it")
    for user, why in sorted(unresolved.items()):
        parts.append(f"SCRAM user {user} deleted and not re-created: its declared password cannot be resolved now "
                     f"({why})")
    return "; ".join(parts) + ("; create the user again by hand with its password (or apply a stack that declares "
                               "it), then re-check its ACLs")
