"""The topic kind's registration (`kplan.kinds.unit.KindUnit`): its kind, and the rest of it by its hooks."""

from typing import TYPE_CHECKING

from kplan.kinds.unit import PRIMARY, KindIO, KindUnit, StackSection, lazy

if TYPE_CHECKING:
    from kplan.kinds.topic import consumers, flows, handlers, importer, kind, live, policy, rebalance, section, steps
    from kplan.kinds.topic.io import migrate, read, settle, validation, writes
else:
    consumers, flows, handlers, importer, kind, live, policy, rebalance, section, steps = lazy(
        __name__, "consumers flows handlers importer kind live policy rebalance section steps")
    migrate, read, settle, validation, writes = lazy(__name__, "io.migrate io.read io.settle io.validation io.writes")

UNIT = KindUnit(
    StackSection("topics", "topic", lambda: section.entry_word, claimable=True, always_counted=True, overlaid=True,
                 many=True, load_checks_ref=lambda: section.Aggregate),
    kind_ref=lambda: kind.KIND,
    builders_ref=lambda: (steps.build_topic_steps,),
    handlers_ref=lambda: handlers,
    live_ref=lambda: live,
    importer_ref=lambda: importer.IMPORTER,
    render_ref=lambda: section.rendered,
    shape_ref=lambda: section.SHAPE,
    live_defaults_ref=lambda: live.document_defaults,
    flows_ref=lambda: flows.FLOWS,
    policy_ref=lambda: policy.POLICY,
    rebalance_ref=lambda: rebalance,
    consumer_guard_ref=lambda: consumers,
    follow_up_ref=lambda: migrate.follow_up,
    io=KindIO(lambda: read.TopicRead, PRIMARY, validation_ref=lambda: validation.TopicValidation,
              validation_ahead=True, read_scope_ref=lambda: section.read_scope,
              describe_ref=lambda: read.describe_configs, settle_ref=lambda: settle.settled,
              leaders_ref=lambda: writes.read_leaders),
)
