"""A several-cluster stack's plan: one ordinary plan per cluster, combined so that one review shows them all.

The combined plan's changes and diagnostics are every group's, in cluster order; its summary counts them all;
renderers show it grouped by cluster; `--detailed-exitcode`, errors and approval look at the whole."""

from __future__ import annotations

from dataclasses import replace
from typing import Sequence

from kplan.model.plan import Plan


def combine(groups: Sequence[tuple[str, Plan]]) -> Plan:
    """One plan from (cluster name, that cluster's plan) pairs, in the stack's cluster order."""
    named = tuple(replace(plan, cluster_name=name) for name, plan in groups)
    first = named[0]
    return Plan(
        stack=first.stack,
        environment=first.environment,
        cluster_id=",".join(p.cluster_id for p in named),
        changes=tuple(c for p in named for c in p.changes),
        diagnostics=tuple(d for p in named for d in p.diagnostics),
        fingerprints={},
        inputs_digest=first.inputs_digest,
        destroy=first.destroy,
        groups=named,
        not_read=tuple(n for p in named for n in p.not_read),
        references=tuple(sorted({r for p in named for r in p.references})),  # an address once, whichever cluster
    )
