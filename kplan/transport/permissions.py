"""What kplan's own principal may not do, in words a person can act on.

Kafka answers a request its authorizer denies with an error code (TOPIC_AUTHORIZATION_FAILED, ...) and nothing
else. Where kplan knows what it asked for, it names the missing permission and the resource instead: the operation
(the ACL operation an administrator grants), the resource and kplan's principal (`User:<sasl.username>` when the
stack authenticates with SASL).
"""

from __future__ import annotations

from typing import Mapping

from kplan.transport.reach import kafka_error_name

DENIED = frozenset({"TOPIC_AUTHORIZATION_FAILED", "CLUSTER_AUTHORIZATION_FAILED", "GROUP_AUTHORIZATION_FAILED",
                    "TRANSACTIONAL_ID_AUTHORIZATION_FAILED", "DELEGATION_TOKEN_AUTHORIZATION_FAILED"})

# what kplan asked for (the wording of its messages) -> the ACL operation it needs
OPERATIONS = {
    "create": "CREATE",
    "delete": "DELETE",
    "add partitions to": "ALTER",
    "change the configs of": "ALTER_CONFIGS",
    "read the configs of": "DESCRIBE_CONFIGS",
    "write to": "WRITE",
    "read": "READ",
    "alter ACLs on": "ALTER",
    "describe ACLs on": "DESCRIBE",
}


def principal(client_properties: Mapping[str, str]) -> str | None:
    """kplan's principal as the broker knows it, when the stack says (SASL); else None (mTLS, or a plaintext
    listener: the broker decides)."""
    user = client_properties.get("sasl.username")
    return f"User:{user}" if user and "${" not in str(user) else None


def denied(exc: BaseException, action: str, resource: str, who: str | None = None) -> str | None:
    """One line when `exc` is an authorization failure of `action` (a key of OPERATIONS) on `resource` (e.g.
    "topic orders"), else None."""
    return denied_name(kafka_error_name(exc), action, resource, who)


def denied_name(name: str | None, action: str, resource: str, who: str | None = None,
                operation: str | None = None) -> str | None:
    """`denied` for an error already named (e.g. by kplan's own Kafka client); `operation` when the action is not
    one of OPERATIONS' words."""
    if name not in DENIED:
        return None
    operation = operation or OPERATIONS.get(action, action.upper())
    actor = f"kplan's principal {who}" if who else "kplan's principal"
    on = "the cluster" if name == "CLUSTER_AUTHORIZATION_FAILED" else resource
    return (f"{actor} may not {action} {resource} ({name}): it needs the {operation} permission on {on}; grant it "
            "with an ACL or run kplan as a principal that has it (docs/secured-clusters.md lists what kplan needs)")
