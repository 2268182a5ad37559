"""The acl kind's registration (`kplan.kinds.unit.KindUnit`): its kind, and the rest of it by reference."""

from kplan.kinds.unit import ADMIN, KindIO, KindUnit, StackSection

UNIT = KindUnit(__name__, StackSection("acls", "ACL principal", build_ref=".section:build_acls", claimable=True),
                shape_ref=".model:SHAPE", io=KindIO(".io:AclRead", ADMIN))
