"""`--wait-for-cluster`: the pure parts of kplan.cluster.wait (wording, the progress line, the loop over probes)
with a fake clock. The real waits, a broker started after kplan and a deadline that passes, are in
tests/integration/test_wait_for_cluster.py."""

from __future__ import annotations

import pytest

from kplan.cli import main
from kplan.cluster.wait import (
    EXIT_NOT_READY,
    PRINT_EVERY_S,
    Check,
    ClusterNotReady,
    Pending,
    Progress,
    format_seconds,
    progress_line,
    timeout_message,
    wait_until_ready,
)
from kplan.exiting import EXIT_USAGE


class Clock:
    def __init__(self):
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        self.t += seconds


def scripted(clock: Clock, name: str, answers: list, cost: float = 0.5, asked: list | None = None) -> Check:
    """A check whose probe takes `cost` seconds and gives the next answer (the last one for ever)."""
    def probe(seconds: float):
        if asked is not None:
            asked.append(seconds)
        clock.t += min(cost, seconds)
        return answers.pop(0) if len(answers) > 1 else answers[0]
    return Check(name, f"{name.lower()}:1", probe)


@pytest.mark.parametrize("seconds, text", [(0, "0s"), (0.2, "1s"), (42.3, "43s"), (60, "1m"), (95, "1m35s"),
                                           (120, "2m"), (3600, "1h"), (3725, "1h2m"), (-3, "0s")])
def test_format_seconds_rounds_up(seconds, text):
    assert format_seconds(seconds) == text


def test_progress_line_names_what_is_waited_for_its_reason_and_the_time_left():
    line = progress_line([Pending("Kafka", "k:9092", "connection refused"),
                          Pending("Kafka Connect", "http://c:8083", "503: starting " + "x" * 200)], 95)
    assert line.startswith("waiting for the cluster, 1m35s left: Kafka at k:9092 (connection refused), "
                           "Kafka Connect at http://c:8083 (503: ")
    assert line.endswith("...)")
    assert "\n" not in line and len(line) < 250


def test_timeout_message_is_one_line_naming_what_was_not_ready():
    one = timeout_message([Pending("Kafka Connect", "http://c:8083", "connection\nrefused")], 120)
    assert one == ("the cluster was not ready within 2m (--wait-for-cluster): Kafka Connect at http://c:8083 "
                   "(connection refused) was not ready")
    two = timeout_message([Pending("Kafka", "k:1", "a"), Pending("Kafka Connect", "u", "b")], 5)
    assert "Kafka at k:1 (a) and Kafka Connect at u (b) were not ready" in two


def test_progress_on_a_terminal_rewrites_one_line_and_clears_it():
    out: list[str] = []
    p = Progress(out.append, tty=True, width=30)
    p.update("waiting for Kafka at somewhere far away; 10s left")
    p.update("waiting for Kafka; 9s left")
    p.done("Kafka ready after 2s")
    assert out[0].startswith("\r") and out[0].endswith("\x1b[K") and len(out[0]) == 1 + 29 + 3  # cut to the width
    assert out[1] == "\rwaiting for Kafka; 9s left\x1b[K"
    assert out[2:] == ["\r\x1b[K", "Kafka ready after 2s\n"]


def test_progress_without_a_terminal_prints_a_line_every_few_seconds():
    clock = Clock()
    out: list[str] = []
    p = Progress(out.append, tty=False, clock=clock)
    for _ in range(12):  # 12 updates, one a second
        p.update(f"line at {clock.t - 1000:.0f}")
        clock.t += 1
    assert out == [f"line at {s:.0f}\n" for s in range(0, 12, int(PRINT_EVERY_S))]
    assert all("\r" not in line for line in out)


def test_progress_without_a_terminal_prints_at_once_when_what_is_waited_for_changes():
    clock = Clock()
    out: list[str] = []
    p = Progress(out.append, tty=False, clock=clock)
    p.update("both", ("Kafka", "Connect"))
    clock.t += 1
    p.update("both again", ("Kafka", "Connect"))  # within PRINT_EVERY_S, the same wait: not printed
    clock.t += 1
    p.update("Connect only", ("Connect",))  # Kafka answered a second later: printed at once
    assert out == ["both\n", "Connect only\n"]


def test_waits_until_every_check_passes_probing_a_passed_one_no_more():
    clock = Clock()
    kafka_asked: list[float] = []
    kafka = scripted(clock, "Kafka", ["connection refused", "connection refused", None], asked=kafka_asked)
    connect = scripted(clock, "Connect", ["connection refused", "503: starting", "503: starting", None])
    out: list[str] = []
    waited = wait_until_ready([kafka, connect], 60, Progress(out.append, tty=False, clock=clock), clock=clock,
                              sleep=clock.sleep)
    assert len(kafka_asked) == 3  # not asked again once it answered
    assert 0 < waited < 10
    assert out[0].startswith("waiting for the cluster, ") and out[0].endswith(
        " left: Kafka at kafka:1 (connection refused), Connect at connect:1 (connection refused)\n")
    assert out[-1].startswith("Kafka and Connect ready after ")


def test_no_output_when_everything_answers_at_once():
    clock = Clock()
    out: list[str] = []
    wait_until_ready([scripted(clock, "Kafka", [None])], 30, Progress(out.append, tty=False, clock=clock),
                     clock=clock, sleep=clock.sleep)
    assert out == []


def test_the_deadline_ends_the_wait_naming_only_what_did_not_answer():
    clock = Clock()
    asked: list[float] = []
    kafka = scripted(clock, "Kafka", ["connection refused", None])
    connect = scripted(clock, "Kafka Connect", ["503: starting"], cost=3.0, asked=asked)
    start = clock.t
    with pytest.raises(ClusterNotReady) as e:
        wait_until_ready([kafka, connect], 20, Progress(lambda s: None, tty=False, clock=clock), clock=clock,
                         sleep=clock.sleep)
    assert e.value.exit_code == EXIT_NOT_READY == 4
    assert str(e.value) == ("the cluster was not ready within 20s (--wait-for-cluster): Kafka Connect at "
                            "kafka connect:1 (503: starting) was not ready")
    assert clock.t - start <= 20 + 1e-9  # a probe never gets more than the time left
    assert max(asked) <= 5.0


@pytest.mark.parametrize("value, message", [("0s", "must be a positive duration"), ("-5", "must be a positive"),
                                            ("2x", "invalid duration '2x'"), ("inf", "must be a positive")])
def test_a_bad_duration_is_one_usage_error(value, message, capsys, tmp_path):
    stack = tmp_path / "s.yaml"
    stack.write_text("stack: s\ncluster: {bootstrap_servers: 127.0.0.1:1}\n")
    with pytest.raises(SystemExit) as e:
        main(["plan", str(stack), "--wait-for-cluster", value])
    assert e.value.code == EXIT_USAGE
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_every_command_that_reads_the_cluster_takes_the_option(capsys):
    for command in ("plan", "apply", "destroy", "status"):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        assert "--wait-for-cluster DURATION" in capsys.readouterr().out
