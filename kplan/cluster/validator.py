"""Plan-time validation by the real systems: whatever apply would be refused for is caught at plan time.

This is the composer: each kind's unit names its own validation (`KindUnit.io`; `kplan.cluster.kind_io.VALIDATIONS`,
by its stack section), in the module of the system that judges it — the broker's validate-only calls, Connect's
config/validate, a CDC source's database, the schema registry's compatibility check. A kind's validation runs when
the plan changes the kind (its module is imported then), in the order of plans, and always once it exists: one
started ahead (`validate_ahead`, by apply's lock thread) is given the next plan whatever it changes, to take its
answers or drop them. Nothing here writes. Secret values are resolved only to send them for validation and scrubbed
from messages.
"""

from __future__ import annotations

from typing import Mapping

from kplan.cluster.kind_io import VALIDATIONS
from kplan.model.desired import Stack
from kplan.model.live import LiveState
from kplan.model.plan import Plan, PlanDiagnostic
from kplan.secrets import SecretValues
from kplan.transport.http import RestClient
from kplan.transport.reads import KindValidation


class RealValidator:
    def __init__(self, admin, connect: RestClient | None, timeout_s: float,
                 secrets: SecretValues | None = None, who: str | None = None,
                 connects: Mapping[str, RestClient] | None = None, cluster=None, reader=None):
        self.admin = admin
        self.cluster = cluster  # the stack's ClusterSpec: for validations with a client of their own
        self.reader = reader  # the batched reader: for validations over a kind's session of it (KafkaReader.io)
        self.who = who  # kplan's principal, named when the broker denies a request
        self.connect = connect
        self.connects = connects or {}  # every Connect cluster by name (kplan.transport.connect), when several
        self.timeout_s = timeout_s
        self.secrets = SecretValues() if secrets is None else secrets
        self._kinds: dict[str, KindValidation] = {}  # by section, made on first use

    def validation(self, section: str) -> KindValidation:
        """The validation `section`'s kind registered, made on first use and kept (it may hold what it sent
        ahead)."""
        if section not in self._kinds:
            self._kinds[section] = VALIDATIONS[section].made(self)
        return self._kinds[section]

    def validate_ahead(self, stack: Stack, live: LiveState) -> None:
        """Start the validations with an early part from the stack and the cluster's first read (apply's lock
        thread, kplan.session.early, while the command's thread plans): the plan's validation takes their answers
        where they fit. A saving only: a failure leaves each validation to ask itself."""
        for section, registered in VALIDATIONS.items():
            if registered.ahead:
                self.validation(section).ahead(stack, live)  # type: ignore[attr-defined]

    def validate(self, stack: Stack, plan: Plan) -> list[PlanDiagnostic]:
        from kplan.kinds import KINDS

        changed = {c.type for c in plan.changes if c.is_change}
        diags: list[PlanDiagnostic] = []
        for kind in KINDS:
            if kind.section in VALIDATIONS and (kind.type in changed or kind.section in self._kinds):
                diags += self.validation(kind.section).validate(stack, plan)
        return diags
