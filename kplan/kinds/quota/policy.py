"""The quota kind's part of a stack's policy (kplan.kinds.policy.PolicyPart): the owner-max-quota total sums its
section's byte rates (kplan.policy.owner_totals)."""

from kplan.kinds.policy import PolicyPart
from kplan.model.policy import RuleType

POLICY = PolicyPart({}, owner_totals=frozenset({RuleType.OWNER_MAX_QUOTA}))
