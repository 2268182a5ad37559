"""What a share-group request shares with a consumer group's (kplan.kinds.consumer_group): the reset forms and
their parser, positions and their codec, the follow-up query's shape — the one module of this kind that names that
one (the edge is declared in .importlinter). `OFFSETS` is the word a request and its plan say its offsets by."""

from __future__ import annotations

from kplan.kinds.consumer_group.live import GroupQuery, positions
from kplan.kinds.consumer_group.model import AGO, AT_TIME, POSITIONS, GroupReset, GroupSpec, Position
from kplan.kinds.consumer_group.section import _positions as parse_positions
from kplan.kinds.consumer_group.section import _token as token
from kplan.kinds.consumer_group.section import reset_of

OFFSETS = "offsets"  # the stack entry's key of a request, the plan's key of the group's start offsets


def query(reset: GroupReset) -> GroupQuery:
    """What the follow-up read resolves for a pending reset: a consumer group's query of the same reset."""
    from kplan.kinds.consumer_group.kind import query as group_query  # planning's, not a stack load's

    return group_query(GroupSpec("", "", reset))

__all__ = ["AGO", "AT_TIME", "OFFSETS", "POSITIONS", "GroupQuery", "GroupReset", "Position", "parse_positions",
           "positions", "query", "reset_of", "token"]
