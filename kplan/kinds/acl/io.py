"""The acl kind's I/O: every binding on the cluster by principal, read in the batched read beside the reader's
describe_cluster (`AclRead`), and its writes, Kafka's ACL bindings (`AclWrites`, the kit's: kplan.transport.acls).

describe_acls answers a principal without DESCRIBE on the cluster with an empty list, not an error: only the
principal's authorized operations on the cluster, which the reader's describe_cluster asks for
(include_authorized_operations), tell it apart (`cluster_rights_problem`). The same request also says whether the
cluster has an authorizer at all (SECURITY_DISABLED), which the SCRAM users' read needs before it asks: it shares it
(`kplan.transport.acls.acls_request`)."""

from __future__ import annotations

from kplan.model.live import Problem
from kplan.transport.acls import AclWrites as AclWrites
from kplan.transport.acls import acls_request, cluster_rights_problem, from_kafka
from kplan.transport.kafka import unreachable
from kplan.transport.reach import kafka_error_name
from kplan.transport.reads import AdminContext, AdminRead


class AclRead(AdminRead):
    """Every ACL binding by principal; nothing to do once the cluster pin is checked (`AdminRead.after_pin`)."""

    def __init__(self, ctx: AdminContext):
        self.ctx = ctx
        self.future = acls_request(ctx)

    def result(self) -> tuple[dict[str, set], Problem | None]:
        acls, problem = self._bindings()
        operations = getattr(self.ctx.described.result(), "authorized_operations", None)
        return acls, problem or cluster_rights_problem(operations)

    def _bindings(self) -> tuple[dict[str, set], Problem | None]:
        """Every ACL binding on the cluster by principal; or why they cannot be read (no authorizer, not allowed): a
        problem only for a stack with ACLs."""
        try:
            found = self.ctx.answer(self.future)
        except Exception as e:  # noqa: BLE001
            problem = {"SECURITY_DISABLED": Problem.SECURITY_DISABLED,
                       "CLUSTER_AUTHORIZATION_FAILED": Problem.NOT_AUTHORIZED}.get(kafka_error_name(e))
            if problem is None:
                raise unreachable(self.ctx.cluster, e) from e
            return {}, problem
        by_principal: dict[str, set] = {}
        for k in found or ():
            principal, binding = from_kafka(k)
            by_principal.setdefault(principal, set()).add(binding)
        return by_principal, None
