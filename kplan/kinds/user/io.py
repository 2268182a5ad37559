"""The user kind's I/O: every SCRAM user with credentials, read in the batched read (`UserRead`) once the principal's
rights on the cluster are known, and the credentials' writes (`UserWrites`), on the run's admin session.

Facts (confluent-kafka 2.x, Kafka 4.3 KRaft, checked on the local secured stack):
* `describe_user_scram_credentials(None)` answers every user with credentials in one request (mechanism and
  iterations only: a password or its salted hash is never returned); naming a user without credentials fails
  that user with RESOURCE_NOT_FOUND.
* `alter_user_scram_credentials` refuses to alter one user twice in a request (DUPLICATE_RESOURCE, even for two
  mechanisms), so a user's alterations go in rounds; deleting an absent credential fails with RESOURCE_NOT_FOUND
  (kplan counts it as done); fewer than 4096 iterations is UNACCEPTABLE_CREDENTIAL; an empty password is refused by
  the client itself.
* Both need the cluster resource: DESCRIBE to read, ALTER to change. The read is never asked of a principal without
  the right: confluent-kafka 2.16 aborts the whole process ("munmap_chunk(): invalid pointer") when
  describe_user_scram_credentials is answered CLUSTER_AUTHORIZATION_FAILED. So it waits for the reader's
  describe_cluster (its authorized operations) and for the ACL read's describe_acls (whether the cluster has an
  authorizer at all: `kplan.transport.acls.acls_request`), and goes out after the cluster pin is checked
  (`after_pin`), when both are answered as a rule.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

from kplan.errors import WriteError
from kplan.model.live import Problem
from kplan.model.results import BatchResults
from kplan.transport.acls import acls_request, answered, cluster_rights_problem
from kplan.transport.admin import until_shown
from kplan.transport.kafka import describe_kafka_error, unreachable
from kplan.transport.reach import kafka_error_name, no_answer
from kplan.transport.retry import ErrorClass, RetriableError, classify_kafka
from kplan.transport.sessions import SessionsIO

if TYPE_CHECKING:  # pragma: no cover
    from kplan.transport.reads import AdminContext


def credentials_of(description: Any) -> dict[str, int]:
    """mechanism (`SCRAM-SHA-512` for confluent-kafka's ScramMechanism.SCRAM_SHA_512) -> iterations of a
    UserScramCredentialsDescription."""
    return {i.mechanism.name.replace("_", "-"): int(i.iterations) for i in description.scram_credential_infos}


def rounds(upserts: Sequence[tuple[str, str, int, str]],
           removals: Sequence[tuple[str, str]]) -> list[list[Any]]:
    """The alterations as confluent-kafka objects, in requests that each alter a user at most once."""
    from confluent_kafka.admin import (
        ScramCredentialInfo,
        ScramMechanism,
        UserScramCredentialDeletion,
        UserScramCredentialUpsertion,
    )

    per_user: dict[str, list[Any]] = {}
    for user, mechanism, iterations, password in upserts:
        info = ScramCredentialInfo(ScramMechanism[mechanism.replace("-", "_")], iterations)
        per_user.setdefault(user, []).append(UserScramCredentialUpsertion(user, info, password.encode()))
    for user, mechanism in removals:
        kafka_mechanism = ScramMechanism[mechanism.replace("-", "_")]
        per_user.setdefault(user, []).append(UserScramCredentialDeletion(user, kafka_mechanism))
    depth = max((len(v) for v in per_user.values()), default=0)
    return [[alts[i] for _, alts in sorted(per_user.items()) if i < len(alts)] for i in range(depth)]


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
        return (self.ctx.admin.describe_user_scram_credentials(None, request_timeout=self.ctx.cluster.timeout_s),
                problem)


class UserWrites(SessionsIO):
    """SCRAM credentials written on the run's admin session (kplan.transport.admin)."""

    def alter_scram_credentials(self, upserts: Sequence[tuple[str, str, int, str]],
                                removals: Sequence[tuple[str, str]]) -> BatchResults:
        """Upsert and delete SCRAM credentials (in rounds: a request may alter a user once), retried for transient
        failures (both are idempotent), then confirmed by reading them back. Errors never carry a password."""
        users = sorted({u for u, *_ in upserts} | {u for u, _ in removals})
        what = "writing SCRAM credentials of " + ", ".join(users)
        results = BatchResults()
        for batch in rounds(upserts, removals):
            def attempt(batch=batch):
                futures = self.kafka.admin.alter_user_scram_credentials(batch,
                                                                        request_timeout=self.kafka.request_timeout())
                answered(self.kafka, futures, "alter_user_scram_credentials", what, results, named=True,
                         gone_is_done=True)

            self.kafka.attempts.retry(attempt, what)

        def problem() -> str | None:
            live = self.scram_credentials(users)
            wrong = sorted({u for u, m, i, _ in upserts if live.get(u, {}).get(m) != i}
                           | {u for u, m in removals if m in live.get(u, {})})
            return f"{what}: the cluster does not show the credentials as written for {', '.join(wrong)}" \
                if wrong else None

        until_shown(problem, self.kafka.timeout_s)
        return results

    def scram_credentials(self, users: Sequence[str]) -> dict[str, dict[str, int]]:
        """user -> mechanism -> iterations, for those of `users` that have credentials."""
        if not users:
            return {}

        def attempt():
            futures = self.kafka.admin.describe_user_scram_credentials(list(users),
                                                                       request_timeout=self.kafka.request_timeout())
            out: dict[str, dict[str, int]] = {}
            for user, fut in futures.items():
                try:
                    out[user] = credentials_of(fut.result(timeout=self.kafka.request_timeout() + 2))
                except Exception as e:  # noqa: BLE001
                    if kafka_error_name(e) == "RESOURCE_NOT_FOUND":
                        continue
                    if classify_kafka(e) == ErrorClass.RETRIABLE:
                        raise RetriableError(f"reading SCRAM credentials: {describe_kafka_error(e)}", False,
                                             no_answer=no_answer(e)) from None
                    raise WriteError(f"reading SCRAM credentials of {user}: {describe_kafka_error(e)}") from None
            return out

        return self.kafka.attempts.retry(attempt, "reading SCRAM credentials")
