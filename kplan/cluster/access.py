"""The conformance kit's import of the ACL filter (tests/integration/conformance.py, `from kplan.cluster.access import
match_any`), kept until the kit imports it from its home, `kplan.transport.acls`."""

from kplan.transport.acls import match_any as match_any
