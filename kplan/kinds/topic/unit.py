"""The topic kind's registration (`kplan.kinds.unit.KindUnit`): its kind, and the rest of it by reference."""

from kplan.kinds.unit import PRIMARY, KindIO, KindUnit, StackSection

UNIT = KindUnit(
    __name__,
    StackSection("topics", "topic", claimable=True, always_counted=True, overlaid=True, many=True,
                 load_checks_ref=".section:Aggregate"),
    live_defaults_ref=".live:document_defaults",
    flows_ref=".flows:FLOWS",
    policy_ref=".policy:POLICY",
    rebalance_ref=".rebalance",
    consumer_guard_ref=".consumers",
    io=KindIO(".io.read:TopicRead", PRIMARY, validation_ref=".io.validation:TopicValidation", validation_ahead=True,
              read_scope_ref=".section:read_scope", describe_ref=".io.read:describe_configs",
              settle_ref=".io.settle:settled", leaders_ref=".io.writes:read_leaders"),
)
