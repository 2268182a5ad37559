"""Running and undoing ACL steps, through the kind's io (`kplan.kinds.acl.io.AclWrites`)."""

from __future__ import annotations

from kplan.kinds.acl.io import AclWrites
from kplan.kinds.acl.steps import CreateAcls, DeleteAcls
from kplan.kinds.handler import WritesBindings, handles


@handles(DeleteAcls)
@handles(CreateAcls)
class AclsHandler(WritesBindings[CreateAcls | DeleteAcls]):
    writes = AclWrites
