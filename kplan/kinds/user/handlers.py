"""Running and undoing SCRAM user steps. Passwords are resolved from their references here, at the moment they
are written, and go nowhere else."""

from __future__ import annotations

from kplan.kinds.handler import StepContext, StepHandler, handles
from kplan.kinds.user.steps import AlterUsers, CreateUsers, Credential, DeleteUsers, Removal


def _upserts(credentials: tuple[Credential, ...], ctx: StepContext) -> list[tuple[str, str, int, str]]:
    return [(c.user, c.mechanism, c.iterations, ctx.secret_values.substitute(c.password)) for c in credentials]


def _removals(removals: tuple[Removal, ...]) -> list[tuple[str, str]]:
    return [(r.user, r.mechanism) for r in removals]


@handles(CreateUsers)
class CreateUsersHandler(StepHandler[CreateUsers]):
    def run(self, step: CreateUsers, ctx: StepContext) -> None:
        ctx.writer.kafka.alter_scram_credentials(_upserts(step.credentials, ctx), [])

    def undo(self, step: CreateUsers, ctx: StepContext) -> None:
        # every credential was absent when planned: what the run created is deleted (an absent one is a no-op)
        ctx.writer.kafka.alter_scram_credentials([], [(c.user, c.mechanism) for c in step.credentials])


@handles(AlterUsers)
class AlterUsersHandler(StepHandler[AlterUsers]):
    def run(self, step: AlterUsers, ctx: StepContext) -> None:
        upserts = _upserts(step.upserts, ctx)  # an unresolvable reference fails before anything is requested
        ctx.requested()
        ctx.refusable(lambda: ctx.writer.kafka.alter_scram_credentials(upserts, _removals(step.removals)))

    # left_no_trace: never (a password may have been replaced; nothing can tell): it is reported


@handles(DeleteUsers)
class DeleteUsersHandler(StepHandler[DeleteUsers]):
    def run(self, step: DeleteUsers, ctx: StepContext) -> None:
        ctx.requested()
        ctx.refusable(lambda: ctx.writer.kafka.alter_scram_credentials([], _removals(step.removals)))

    def left_no_trace(self, step: DeleteUsers, ctx: StepContext) -> bool:
        live = ctx.writer.kafka.scram_credentials(sorted({r.user for r in step.removals}))
        return all(r.mechanism in live.get(r.user, {}) for r in step.removals)
