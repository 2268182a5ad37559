"""Running and undoing the feature step."""

from __future__ import annotations

from kplan.kinds.feature.io import FeatureWrites
from kplan.kinds.feature.kind import FeaturePlanned, undo_type
from kplan.kinds.feature.steps import UpdateFeatures
from kplan.kinds.handler import StepContext, StepHandler, UndoImpossible, handles


@handles(UpdateFeatures)
class UpdateFeaturesHandler(StepHandler[UpdateFeatures]):
    def run(self, step: UpdateFeatures, ctx: StepContext) -> None:
        ctx.io(FeatureWrites).update_features([(u.feature, u.level, u.upgrade_type) for u in step.updates])

    def undo(self, step: UpdateFeatures, ctx: StepContext) -> None:
        """Each feature the run changed is set back (one at a time: one Kafka refuses does not hold back the others);
        those Kafka never downgrades are reported, never claimed undone."""
        writes = ctx.io(FeatureWrites)
        live = writes.finalized_levels()
        lost = []
        for u in step.updates:
            if live.get(u.feature, 0) == u.before:
                continue  # never changed, or already back
            back = undo_type(FeaturePlanned(u.level, u.before, u.upgrade_type), u.feature)
            if back is None:
                lost.append(f"feature {u.feature} stays at {live.get(u.feature, 0)}: Kafka never downgrades it")
                continue
            writes.update_features([(u.feature, u.before, back)])
        if lost:
            raise UndoImpossible("; ".join(lost))
