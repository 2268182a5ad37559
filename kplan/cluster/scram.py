"""SCRAM credentials on the wire: confluent-kafka's types, and the facts of its API that shape kplan's calls.

Facts (confluent-kafka 2.x, Kafka 4.3 KRaft, checked on the local secured stack):
* `describe_user_scram_credentials(None)` answers every user with credentials in one request (mechanism and
  iterations only: a password or its salted hash is never returned); naming a user without credentials fails
  that user with RESOURCE_NOT_FOUND.
* `alter_user_scram_credentials` refuses to alter one user twice in a request (DUPLICATE_RESOURCE, even for two
  mechanisms), so a user's alterations go in rounds; deleting an absent credential fails with RESOURCE_NOT_FOUND
  (kplan counts it as done); fewer than 4096 iterations is UNACCEPTABLE_CREDENTIAL; an empty password is refused by
  the client itself.
* Both need the cluster resource: DESCRIBE to read, ALTER to change.
"""

from __future__ import annotations

from typing import Any, Sequence

MECHANISM_NAMES = {"SCRAM-SHA-256": "SCRAM_SHA_256", "SCRAM-SHA-512": "SCRAM_SHA_512"}


def mechanism_name(kafka_mechanism: Any) -> str:
    """`SCRAM-SHA-512` for confluent-kafka's ScramMechanism.SCRAM_SHA_512."""
    return kafka_mechanism.name.replace("_", "-")


def credentials_of(description: Any) -> dict[str, int]:
    """mechanism -> iterations of a UserScramCredentialsDescription."""
    return {mechanism_name(i.mechanism): int(i.iterations) for i in description.scram_credential_infos}


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
        info = ScramCredentialInfo(ScramMechanism[MECHANISM_NAMES[mechanism]], iterations)
        per_user.setdefault(user, []).append(UserScramCredentialUpsertion(user, info, password.encode()))
    for user, mechanism in removals:
        kafka_mechanism = ScramMechanism[MECHANISM_NAMES[mechanism]]
        per_user.setdefault(user, []).append(UserScramCredentialDeletion(user, kafka_mechanism))
    depth = max((len(v) for v in per_user.values()), default=0)
    return [[alts[i] for _, alts in sorted(per_user.items()) if i < len(alts)] for i in range(depth)]
