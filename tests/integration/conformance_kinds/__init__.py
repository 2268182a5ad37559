"""Each kind's fixture for the conformance kit (tests/integration/conformance.py): `<kind>.py` defines `FIXTURE`, a
`KindFixture` — its stack sections at version 1 and 2, how to read it without kplan, and why a promise does not
apply to it where one does not."""
