"""Two threads building kplan's converters at once in a fresh interpreter (apply's lock thread reading a kind's live
state while the command's thread loads the steps' codec): cattrs' own modules import each other in a circle, and
without kplan.kinds.live_codec.import_cattrs such a run failed about one time in two with a `_DeadlockError` or an
ImportError of a partially initialized module (then kplan's "internal error")."""

from __future__ import annotations

import subprocess
import sys
import time

SCRIPT = """
import threading
from kplan.kinds import codec, live_codec
errors = []
start = threading.Barrier(2)
def run(build):
    start.wait()
    try:
        build()
    except BaseException as e:
        errors.append(repr(e))
read = live_codec.kind_slice()
threads = [threading.Thread(target=run, args=(b,)) for b in (lambda: read({}), codec.converter)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(errors[0] if errors else "ok")
"""


def test_two_threads_building_the_converters_at_once_in_a_fresh_interpreter():
    deadline = time.monotonic() + 120  # one for all ten: a hang fails the test once, and kills every run
    runs = [subprocess.Popen([sys.executable, "-c", SCRIPT], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             text=True) for _ in range(10)]
    try:
        outs = [run.communicate(timeout=max(0.0, deadline - time.monotonic()))[0].strip() for run in runs]
    finally:
        for run in runs:
            run.kill()
            run.wait()
    assert outs == ["ok"] * 10, outs
