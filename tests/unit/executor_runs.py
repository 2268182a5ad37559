"""Running steps through the real executor over the fake writer (fakes.py), shared by the executor, recovery and
kind handler tests: `run` executes steps with an optional injected failure; `topics_step` and `put_step` build the
steps they use most."""

from __future__ import annotations

import io
import json

from fakes import writers

from kplan.apply.executor import Executor, Progress
from kplan.errors import KplanError
from kplan.kinds.connector.steps import PutConnector
from kplan.kinds.step import frozen
from kplan.kinds.topic.steps import CreateTopics, TopicArgs
from kplan.model.desired import ConnectorState
from kplan.secrets import SecretValues
from kplan.state.faults import Faults
from kplan.state.journal import Journal


class FakeStore:
    def __init__(self):
        self.writes = 0
        self.last = ""

    def write(self, journal):
        self.writes += 1
        self.last = json.dumps(journal.to_json(), sort_keys=True)


class FailAt(Faults):
    """Fails step `index` (0-based) after it ran."""

    def __init__(self, index: int):
        self.index = index

    def after_step_ran(self, index: int) -> None:
        if index == self.index:
            raise KplanError(f"injected failure after step {index + 1}")


def run(writer, steps, fail_at: int | None = None, unmasked=None, store=None):
    journal = Journal("s", None, "c", "d")
    ex = Executor(writers(writer), store or FakeStore(), SecretValues(), Progress(io.StringIO()), lambda record: None,
                  faults=FailAt(fail_at) if fail_at is not None else Faults())
    return ex.execute(journal, steps, unmasked), journal


def topics_step(*names):
    return CreateTopics(tuple(TopicArgs(n, 1, 1, frozen({})) for n in names), tuple(names))


def put_step(name="c", config=None, create=True, previous=None, **kw):
    return PutConnector(name, create, frozen(config if config is not None else {"connector.class": "X"}),
                        ConnectorState.RUNNING, set_state=True, restart=False, previous=previous, **kw)
