"""Access as code, on the wire: ACL bindings to and from confluent-kafka's types, their read and their writes (those of
every kind that grants rights: ACL principals, Streams apps; a cdc source's bindings are written as an ACL
principal's), and the one-line messages for what kplan's own principal may not do (a person can act on them: they
name the right and the resource).

Facts (confluent-kafka 2.x, Kafka 4.x KRaft, checked on the local secured stack):
* `describe_acls(AclBindingFilter(ANY, None, ANY, None, None, ANY, ANY))` returns every binding in one request;
  a cluster without an authorizer answers SECURITY_DISABLED; a principal without DESCRIBE on the cluster gets
  CLUSTER_AUTHORIZATION_FAILED.
* `create_acls` is idempotent (creating an existing binding succeeds); `delete_acls` takes filters — a filter with
  every field exact deletes exactly that binding, and deleting an absent one succeeds with nothing deleted.
* Both need ALTER on the cluster.
* confluent-kafka names Kafka's CLUSTER resource type `ResourceType.BROKER` (its value 4 is Kafka's CLUSTER), with
  the name `kafka-cluster`; a stack and kplan's plans call it `cluster` (`_KAFKA_TYPE`).
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

from kplan.errors import WriteError
from kplan.model.bindings import AclBinding
from kplan.model.live import Problem
from kplan.model.results import BatchResults, ErrorReason
from kplan.transport import interrupts
from kplan.transport.admin import until_shown
from kplan.transport.kafka import describe_kafka_error
from kplan.transport.permissions import DENIED
from kplan.transport.reach import kafka_error_name, no_answer
from kplan.transport.results import reason_of
from kplan.transport.retry import AMBIGUOUS_KAFKA, ErrorClass, RetriableError, classify_kafka
from kplan.transport.sessions import SessionsIO

if TYPE_CHECKING:  # pragma: no cover
    from kplan.transport.admin import AdminSession
    from kplan.transport.reads import AdminContext

# What a refusal of each admin call means, in words: the right kplan's principal lacks, on which resource.
NEEDS = {
    "describe_acls": "may not read ACLs (needs DESCRIBE on the cluster)",
    "create_acls": "may not alter ACLs (needs ALTER on the cluster)",
    "delete_acls": "may not alter ACLs (needs ALTER on the cluster)",
    "describe_user_scram_credentials": "may not read SCRAM credentials (needs DESCRIBE on the cluster)",
    "alter_user_scram_credentials": "may not alter SCRAM credentials (needs ALTER on the cluster)",
}
# A stack's resource type -> confluent-kafka's ResourceType member, where the names differ (both ways).
_KAFKA_TYPE = {"cluster": "BROKER"}
_STACK_TYPE = {v: k for k, v in _KAFKA_TYPE.items()}


def access_problem(call: str, exc: BaseException) -> str | None:
    """One line for a refusal a person can act on, or None when `exc` is something else."""
    name = kafka_error_name(exc)
    if name in DENIED:
        return f"kplan's principal {NEEDS[call]}; the broker answered {name}"
    if name == "SECURITY_DISABLED":
        return ("the cluster has no authorizer (the broker answered SECURITY_DISABLED), so it holds no ACLs; "
                "configure authorizer.class.name on the brokers, or remove the stack's acls section")
    return None


def answered(kafka: "AdminSession", futures: Mapping, call: str, what: str, results: BatchResults,
             key: Callable[[Any], str] = str, named: bool = False, gone_is_done: bool = False) -> None:
    """The answers of one attempt of a batched write (`call`, a future per item), each recorded in `results` under
    `key(item)`. A refusal kplan's principal can act on is a WriteError naming the right it lacks (`access_problem`);
    `gone_is_done`: RESOURCE_NOT_FOUND (deleting what is already gone) is done before (ALREADY); any other refusal
    is a WriteError naming them all (each after its item, when `named`), else a transient failure is a
    RetriableError (asked again by the session's attempts); nothing failed, nothing raised."""
    transient, fatal = [], []
    for item, fut in futures.items():
        name = key(item)
        try:
            fut.result(timeout=kafka.request_timeout() + 2)
            results.record(name)
        except Exception as e:  # noqa: BLE001
            error = kafka_error_name(e)
            problem = access_problem(call, e)
            if problem is not None:
                results.record(name, ErrorReason.DENIED, error)
                raise WriteError(f"{what}: {problem}") from None
            if gone_is_done and error == "RESOURCE_NOT_FOUND":
                results.record(name, ErrorReason.ALREADY, error)
                continue
            results.record(name, reason_of(e), error)
            if classify_kafka(e) == ErrorClass.RETRIABLE:
                transient.append(e)
            else:
                fatal.append(f"{name}: {describe_kafka_error(e)}" if named else describe_kafka_error(e))
    if fatal:
        raise WriteError(f"{what} refused: " + "; ".join(sorted(set(fatal))))
    if transient:
        raise RetriableError(f"{what}: transient failure ({describe_kafka_error(transient[0])})",
                             any(kafka_error_name(e) in AMBIGUOUS_KAFKA for e in transient),
                             no_answer=all(no_answer(e) for e in transient))


def cluster_operations(admin: Any, timeout_s: float) -> frozenset[str]:
    """The operations the admin client's principal may perform on the cluster. The broker names them only to a
    principal that may DESCRIBE the cluster (none named otherwise, on Kafka 4.3): none named on a cluster with an
    authorizer is none allowed; on one without (describe_acls answers SECURITY_DISABLED) everything is. A failed
    request raises."""
    described = admin.describe_cluster(include_authorized_operations=True, request_timeout=timeout_s)
    ops = described.result(timeout=timeout_s + 2).authorized_operations
    if ops is not None:
        return frozenset(getattr(op, "name", str(op)) for op in ops)
    try:
        admin.describe_acls(match_any(), request_timeout=timeout_s).result(timeout=timeout_s + 2)
    except Exception as e:
        if kafka_error_name(e) == "SECURITY_DISABLED":
            return frozenset({"ALL"})
        if kafka_error_name(e) not in DENIED:
            raise
    return frozenset()


def cluster_rights_problem(operations) -> Problem | None:
    """What kplan's principal may not do with ACLs and SCRAM users (both need DESCRIBE to read, ALTER to change on
    the cluster), from its authorized operations on the cluster, asked of a cluster with an authorizer: the broker
    reports the operations only to a principal with DESCRIBE on the cluster (None otherwise, on Kafka 4.3)."""
    if operations is None:
        return Problem.NOT_AUTHORIZED
    names = {getattr(op, "name", str(op)) for op in operations}
    if "ALL" in names:
        return None
    if "DESCRIBE" not in names:
        return Problem.NOT_AUTHORIZED
    if "ALTER" not in names:
        return Problem.NOT_AUTHORIZED_ALTER
    return None


def resource_type(resource: str) -> Any:
    """confluent-kafka's ResourceType of a stack's resource type (`topic`, `cluster`...)."""
    from confluent_kafka.admin import ResourceType

    return ResourceType[_KAFKA_TYPE.get(resource, resource.upper())]


def resource_name(restype: Any) -> str:
    """A stack's resource type of confluent-kafka's ResourceType (BROKER is the cluster)."""
    return _STACK_TYPE.get(restype.name, restype.name.lower())


def to_kafka(principal: str, b: AclBinding, as_filter: bool = False) -> Any:
    """confluent-kafka's binding; `as_filter`: a filter that matches exactly this binding."""
    from confluent_kafka.admin import AclBinding as KafkaBinding
    from confluent_kafka.admin import AclBindingFilter, AclOperation, AclPermissionType, ResourcePatternType

    return (AclBindingFilter if as_filter else KafkaBinding)(
        resource_type(b.resource), b.name, ResourcePatternType[b.pattern.upper()], principal, b.host,
        AclOperation[b.operation], AclPermissionType[b.permission])


to_filter = partial(to_kafka, as_filter=True)  # a filter that matches exactly this binding


def match_any(principal: str | None = None) -> Any:
    """A filter matching every binding (of `principal`, when given)."""
    from confluent_kafka.admin import (
        AclBindingFilter,
        AclOperation,
        AclPermissionType,
        ResourcePatternType,
        ResourceType,
    )

    # confluent-kafka documents None as "match any" for name, principal and host, but types them `str`.
    return AclBindingFilter(ResourceType.ANY, None, ResourcePatternType.ANY, principal, None,  # type: ignore[arg-type]
                            AclOperation.ANY, AclPermissionType.ANY)


def from_kafka(k: Any) -> tuple[str, AclBinding]:
    """(principal, binding) of a confluent-kafka AclBinding."""
    return k.principal, AclBinding(resource_name(k.restype), k.resource_pattern_type.name.lower(), k.name,
                                   k.operation.name, k.permission_type.name, k.host)


def acls_request(ctx: "AdminContext") -> Any:
    """The future of describe_acls matching every binding, in the batched read: sent once per read, whichever read asks
    first (the ACL read's answer; the SCRAM users' read asks it whether the cluster has an authorizer at all)."""
    return ctx.once("describe_acls",
                    lambda: ctx.admin.describe_acls(match_any(), request_timeout=ctx.cluster.timeout_s))


def acl_key(principal_name: str, binding: AclBinding) -> str:
    """One binding of a batch's results: `User:app ALLOW READ topic:literal:orders @*`."""
    return (f"{principal_name} {binding.permission} {binding.operation} {binding.resource}:{binding.pattern}:"
            f"{binding.name} @{binding.host}")


class AclWrites(SessionsIO):
    """(principal, binding) pairs created and deleted on the run's admin session (kplan.transport.admin), each batch in
    one request, then confirmed by the broker's authorizer."""

    def create_acls(self, acls: Sequence[tuple[str, AclBinding]],
                    results: BatchResults | None = None) -> BatchResults:
        """Create the pairs in one request (creating an existing binding is a success), then confirm the broker's
        authorizer shows them."""
        return self._write("create_acls", [to_kafka(p, b) for p, b in acls], acls, results)

    def delete_acls(self, acls: Sequence[tuple[str, AclBinding]],
                    results: BatchResults | None = None) -> BatchResults:
        """Delete exactly these pairs in one request (an absent one is a success), then confirm the broker's
        authorizer no longer shows them."""
        return self._write("delete_acls", [to_filter(p, b) for p, b in acls], acls, results)

    def _write(self, call: str, items: list, acls: Sequence[tuple[str, AclBinding]],
               results: BatchResults | None) -> BatchResults:
        """One batched ACL request for `items` (the bindings or filters of `acls`), retried for transient failures
        (both calls are idempotent); a refusal kplan's principal can act on is one line naming the right it lacks."""
        what = "creating ACL bindings" if call == "create_acls" else "deleting ACL bindings"
        results = BatchResults() if results is None else results
        key_of = dict(zip(items, [acl_key(p, b) for p, b in acls]))

        def attempt():
            with interrupts.held():  # Ctrl-C waits for the answers: a binding written after the undo looked stays
                futures = getattr(self.kafka.admin, call)(items, request_timeout=self.kafka.request_timeout())
                answered(self.kafka, futures, call, what, results, key=lambda item: key_of.get(item, str(item)))

        self.kafka.attempts.retry(attempt, what)
        self._wait(acls, call == "create_acls", what)
        return results

    def _wait(self, acls: Sequence[tuple[str, AclBinding]], present: bool, what: str) -> None:
        """Until the broker's authorizer shows every binding (`present`) or none of them (`until_shown`): a
        connector started in the next step as that principal was refused its schema-history topic while it did
        not. DescribeAcls is answered from that same authorizer, one request per principal."""
        wanted = {acl_key(p, b) for p, b in acls}
        admin, timeout = self.kafka.admin, self.kafka.request_timeout

        def problem() -> str | None:
            futures = [admin.describe_acls(match_any(p), request_timeout=timeout())
                       for p in sorted({p for p, _ in acls})]
            live: set[str] = set()
            try:
                for future in futures:
                    live.update(acl_key(*from_kafka(k)) for k in future.result(timeout=timeout() + 2))
            except Exception as e:  # noqa: BLE001
                if classify_kafka(e) != ErrorClass.RETRIABLE:
                    raise WriteError(f"{what}: reading them back failed: {describe_kafka_error(e)}") from None
                return f"{what}: reading them back got no answer ({describe_kafka_error(e)})"
            wrong = wanted - live if present else wanted & live
            state = "does not show" if present else "still shows"
            return f"{what}: the cluster {state} {len(wrong)} binding(s), e.g. {sorted(wrong)[0]}" if wrong else None

        if wanted:
            until_shown(problem, self.kafka.timeout_s)
