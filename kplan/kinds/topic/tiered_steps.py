"""The one-way part of a topic's config change: turning tiered storage on or off (kplan.kinds.topic.tiered says
why it cannot be undone). Its own step in an irreversible phase, after every reversible step has succeeded, so a
rollback never has to turn it back; the rest of the topic's config change stays in `AlterTopicConfigs`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Mapping

from kplan.kinds.step import FrozenDict, Phase, StepBase, name_list
from kplan.kinds.topic.steps import ConfigChange


@dataclass(frozen=True)
class ChangeTieredStorage(StepBase):
    """Turn tiered storage on or off for topics (one request). IRREVERSIBLE: off deletes the remote segments, and
    on can only be turned off so."""

    kind: ClassVar[str] = "change-tiered-storage"
    phase: ClassVar[Phase] = Phase.CHANGE_TIERED_STORAGE
    irreversible: ClassVar[bool] = True
    before_keys: ClassVar[Mapping[str, str]] = {"overrides_before": "overrides"}

    topics: Mapping[str, ConfigChange]
    # topic -> key -> its override before (None: none), to tell that a step cut short changed nothing
    overrides_before: Mapping[str, Mapping[str, str | None]] = FrozenDict()

    def describe(self) -> str:
        return f"turn tiered storage on or off for {len(self.topics)} topic(s): {name_list(list(self.topics))}"

    def undo_by_hand(self) -> str:
        return ("tiered storage cannot be set back without deleting remote segments: leave it as it is, or turn it "
                "off with remote.log.delete.on.disable=true once its remote data is not needed")


def split_one_way(sets: Mapping[str, str], deletes: tuple[str, ...], keys: frozenset[str]
                  ) -> tuple[ConfigChange | None, ConfigChange | None]:
    """A topic's config change cut in two: (the reversible rest, the one-way part on `keys`); None for an empty
    part."""
    rest = ConfigChange({k: v for k, v in sets.items() if k not in keys}, tuple(k for k in deletes if k not in keys))
    one_way = ConfigChange({k: v for k, v in sets.items() if k in keys}, tuple(k for k in deletes if k in keys))
    return (rest if rest.sets or rest.deletes else None), (one_way if one_way.sets or one_way.deletes else None)
