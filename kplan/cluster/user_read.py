"""The batched read's SCRAM users part (registered in `kplan.cluster.kind_io`): every user with credentials, in one
describe_user_scram_credentials, asked only once the principal's rights on the cluster are known.

Never asked of a principal without the right: confluent-kafka 2.16 aborts the whole process
("munmap_chunk(): invalid pointer") when describe_user_scram_credentials is answered CLUSTER_AUTHORIZATION_FAILED.
So the request waits for the reader's describe_cluster (its authorized operations) and for the ACL read's
describe_acls (whether the cluster has an authorizer at all: `kplan.cluster.acl_read.acls_request`), and goes out
after the cluster pin is checked (`after_pin`), when both are answered as a rule."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kplan.cluster.acl_read import acls_request
from kplan.cluster.scram import credentials_of
from kplan.model.live import Problem
from kplan.transport.acls import cluster_rights_problem
from kplan.transport.kafka import unreachable
from kplan.transport.reach import kafka_error_name

if TYPE_CHECKING:  # pragma: no cover
    from kplan.transport.reads import AdminContext


class UserRead:
    """Every SCRAM user's mechanisms and iterations (`kplan.transport.reads.AdminRead`)."""

    def __init__(self, ctx: "AdminContext"):
        self.ctx = ctx
        self.acls = acls_request(ctx)  # the ACL read's request: it tells whether the cluster has an authorizer
        self.request: tuple[Any, Problem | None] = (None, None)

    def after_pin(self) -> None:
        self.request = self._ask()

    def result(self) -> tuple[dict[str, dict[str, int]], Problem | None]:
        """The users asked for (user -> mechanism -> iterations); or why they cannot be read or changed (a problem
        only for a stack with users)."""
        future, problem = self.request
        if future is None:
            return {}, problem
        try:
            found = self.ctx.answer(future)
        except Exception as e:  # noqa: BLE001
            if kafka_error_name(e) == "CLUSTER_AUTHORIZATION_FAILED":
                return {}, Problem.NOT_AUTHORIZED
            raise unreachable(self.ctx.cluster, e) from e
        return {u: credentials_of(d) for u, d in (found or {}).items()}, problem

    def _ask(self) -> tuple[Any, Problem | None]:
        """Ask for every SCRAM user with credentials (one request) if kplan's principal may read them — its
        authorized operations on the cluster say so, or the cluster has no authorizer — and say why not otherwise."""
        try:
            cluster_ops = self.ctx.answer(self.ctx.described).authorized_operations
            self.ctx.answer(self.acls)
            problem = cluster_rights_problem(cluster_ops)
        except Exception as e:  # noqa: BLE001 - the cluster's own answers are judged where they are read
            if kafka_error_name(e) != "SECURITY_DISABLED":
                return None, None
            problem = None  # no authorizer: nothing is refused
        if problem is Problem.NOT_AUTHORIZED:
            return None, problem
        return self.ctx.admin.describe_user_scram_credentials(None, request_timeout=self.ctx.cluster.timeout_s), problem
