"""The feature kind's I/O through kplan's own Kafka client (kplan.transport.wire.client): the plan's read of the
finalized levels and the brokers' supported ranges, and UpdateFeatures (validate-only first, then the update, then
read back until every broker shows it).

What the brokers say (checked on Kafka 4.3.1, a broker formatted with `--feature share.version=0`):
* ApiVersions v3+ answers each broker's supported range of every feature it knows and the finalized levels (a
  feature at 0 is not listed as finalized), with the epoch of the finalized set: each broker answers from its own
  metadata, so it may lag the controller a moment after an update.
* UpdateFeatures v1+ goes to the controller; v2 answers one top-level error for the whole request. A level below the
  finalized one with upgrade type 1 is INVALID_UPDATE_VERSION ("Can't downgrade ... without setting the upgrade type
  to either safe or unsafe downgrade"); share.version 1 -> 0 is taken as a safe downgrade; metadata.version refuses
  both downgrade types ("might delete metadata information"); a level above a controller's range is
  INVALID_UPDATE_VERSION too. Rights: ALTER on the cluster.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

from kplan.errors import WriteError
from kplan.kinds.feature.model import TYPE_CODE
from kplan.model.live import Problem
from kplan.transport.sessions import SessionsIO
from kplan.transport.wire.client import Client, error_name, read_with
from kplan.transport.wire.codec import NoAnswer, Refused

if TYPE_CHECKING:  # pragma: no cover
    from kplan.model.desired import ClusterSpec
    from kplan.secrets import SecretValues

Update = tuple[str, int, str]  # (feature, level, upgrade type: model.UPGRADE, SAFE or UNSAFE)


def describe(client: Client) -> dict[str, dict[str, int]]:
    """feature -> {"level", "min", "max"}: the finalized level the newest broker answers (0: not finalized) and the
    range every broker supports (one ApiVersions v3 per broker)."""
    import kplan
    from kplan.transport.wire.messages import ApiVersionsRequest

    ranges: dict[str, tuple[int, int]] = {}
    finalized: dict[str, int] = {}
    epoch = -2
    for broker in client.brokers():
        answer = client.send(ApiVersionsRequest(client_software_name="kplan", client_software_version=kplan.__version__,
                                                min_version=3), broker)
        for f in answer.supported_features or ():
            low, high = ranges.get(f.name, (f.min_version, f.max_version))
            ranges[f.name] = (max(low, f.min_version), min(high, f.max_version))
        if answer.finalized_features_epoch > epoch:
            epoch = answer.finalized_features_epoch
            finalized = {f.name: f.max_version_level for f in answer.finalized_features or ()}
    return {n: {"level": finalized.get(n, 0), "min": low, "max": high} for n, (low, high) in sorted(ranges.items())}


def read_features(cluster: ClusterSpec, secrets: SecretValues | None) -> tuple[dict, Problem | None]:
    """Every feature the brokers know, as the kind's answer; or why it cannot be read."""
    return read_with(cluster, secrets, describe)


def update(client: Client, updates: Sequence[Update], validate_only: bool, timeout_s: float) -> None:
    """One UpdateFeatures request to the controller; a refusal raises Refused with Kafka's message."""
    from kplan.transport.wire.messages import UpdateFeaturesRequest

    key = UpdateFeaturesRequest.FeatureUpdateKey
    answer = client.to_controller(UpdateFeaturesRequest(
        timeout_ms=int(timeout_s * 1000), validate_only=validate_only, min_version=1,
        feature_updates=[key(feature=n, max_version_level=level, allow_downgrade=kind != "upgrade",
                             upgrade_type=TYPE_CODE[kind]) for n, level, kind in updates]))
    codes = [(answer.error_code, answer.error_message)]
    codes += [(r.error_code, r.error_message) for r in getattr(answer, "results", None) or ()]
    for code, message in codes:
        if code:
            name = error_name(code)
            raise Refused(f"{name}" + (f" ({message})" if message else ""), name)


class FeatureWrites(SessionsIO):
    """Finalized feature levels, set with UpdateFeatures on the run's own Kafka client."""

    def finalized_levels(self) -> dict[str, int]:
        """feature -> its finalized level (0: not finalized)."""
        return {n: v["level"] for n, v in describe(self.wire.client).items()}

    def update_features(self, updates: Sequence[Update]) -> None:
        """Validate-only first (nothing is changed when the controller refuses any), then the update, then read
        back until the brokers show every level."""
        from kplan.transport.admin import until_shown
        from kplan.transport.permissions import denied_name

        kafka, client = self.kafka, self.wire.client
        what = "updating features " + ", ".join(f"{n}={level}" for n, level, _ in updates)
        for validate_only in (True, False):
            kafka.attempts.wire(
                what, lambda: update(client, updates, validate_only, kafka.timeout_s),
                lambda e: denied_name(e.code, "update features of", "the cluster", kafka.who, operation="ALTER"))

        def problem() -> str | None:
            try:
                live = self.finalized_levels()
            except NoAnswer:
                return f"{what}: the cluster did not answer the read-back"
            except Refused as e:
                raise WriteError(f"{what}: reading them back failed: {e}") from None
            wrong = [f"{n} is {live.get(n, 0)}" for n, level, _ in updates if live.get(n, 0) != level]
            return f"{what}: the brokers do not show the levels yet ({', '.join(wrong)})" if wrong else None

        until_shown(problem, kafka.timeout_s)
