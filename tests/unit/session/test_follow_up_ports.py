"""The kinds' follow-up reads ask a reader only through their Protocols: the real reader (or the kind's io over it)
must implement each of them (else the read would be skipped, silently), a live-state file's reader none (it keeps
what it says)."""

from kplan.kinds.offsets.io import OffsetsRead
from kplan.kinds.offsets.live import OffsetReads
from kplan.kinds.subject.io import SubjectRead
from kplan.kinds.subject.live import SubjectReads
from kplan.model.live import LiveState, StaticReader


def test_the_real_reader_implements_every_follow_up_read():
    assert issubclass(OffsetsRead, OffsetReads)  # the offsets kind's io, over the batched reader's Connect clients
    assert issubclass(SubjectRead, SubjectReads)  # the subject kind's io, over the batched reader's registry session


def test_a_live_state_file_is_asked_nothing_more():
    reader = StaticReader(LiveState("c1", 1))
    assert not isinstance(reader, OffsetReads)
    assert not isinstance(reader, SubjectReads)
