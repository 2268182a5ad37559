"""The user kind's registration (`kplan.kinds.unit.KindUnit`): its kind, and the rest of it by reference."""

from kplan.kinds.unit import ADMIN, KindIO, KindUnit, StackSection

UNIT = KindUnit(__name__, StackSection("users", "SCRAM user", build_ref=".section:build_users"),
                secret_fields_ref=".kind:secret_fields", shape_ref=".model:SHAPE",
                io=KindIO(".io:UserRead", ADMIN))
