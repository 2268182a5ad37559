"""The cluster pin (`cluster.id`, kplan.cluster.pin): the pure comparison and its one line, where the loader says
the pin is written (top level, an environment's overlay, one of several clusters, the early read's preview), the
check of a live-state file that names its cluster, and `kplan import`'s written pin."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kplan.cli import main
from kplan.cluster.pin import ClusterMismatch, check_pin
from kplan.commands.import_ import pinned
from kplan.model.desired import ClusterSpec
from kplan.stackfile import StackError, load_stack

STACK = """\
stack: shop
cluster:
  bootstrap_servers: localhost:9092
  id: {top}
environments:
  prod:
    cluster:
      bootstrap_servers: prod:9092
      id: prod-cluster-id
  dev: {{}}
topics:
  - name: orders
    partitions: 1
    replication_factor: 1
"""


def spec(pinned_id=None, origin="stack.yaml:4: cluster.id") -> ClusterSpec:
    return ClusterSpec("broker:9092", pinned_id=pinned_id, pin_origin=origin if pinned_id else "")


def pin_problem(cluster: ClusterSpec, found: str | None) -> str | None:
    """check_pin's refusal, or None when it accepts `found`."""
    try:
        check_pin(cluster, found)
    except ClusterMismatch as e:
        return str(e)
    return None


def test_no_pin_accepts_any_cluster():
    assert pin_problem(spec(), "anything") is None
    assert pin_problem(spec(), None) is None
    check_pin(spec(), "anything")


def test_the_pinned_id_is_accepted():
    assert pin_problem(spec("AbC123"), "AbC123") is None
    check_pin(spec("AbC123"), "AbC123")


def test_another_id_is_refused_in_one_line_naming_where_both_ids_and_what_to_do():
    msg = pin_problem(spec("AbC123"), "XyZ789")
    assert msg == ("stack.yaml:4: cluster.id pins the stack to Kafka cluster AbC123, but broker:9092 is cluster "
                   "XyZ789: nothing was read or changed. Point bootstrap_servers (or -e) at the cluster the stack "
                   "is for; if that cluster was re-created, set the id to XyZ789")
    assert "\n" not in msg
    with pytest.raises(ClusterMismatch) as e:
        check_pin(spec("AbC123"), "XyZ789")
    assert str(e.value) == msg


def test_ids_are_compared_exactly():
    assert pin_problem(spec("AbC123"), "abc123") is not None  # base64: case matters


def test_a_cluster_that_reports_no_id_is_refused_too():
    assert "is a cluster that reports no id" in pin_problem(spec("AbC123"), None)
    assert pin_problem(spec("AbC123"), "") is not None


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "stack.yaml"
    path.write_text(text)
    return path


def test_the_loader_keeps_the_pin_and_where_it_is_written(tmp_path):
    path = write(tmp_path, STACK.format(top="top-cluster-id"))
    stack = load_stack(path)
    assert stack.cluster.pinned_id == "top-cluster-id"
    assert stack.cluster.pin_origin == f"{path}:4: cluster.id"
    dev = load_stack(path, environment="dev")
    assert dev.cluster.pinned_id == "top-cluster-id" and dev.cluster.pin_origin == f"{path}:4: cluster.id"


def test_an_environment_pins_its_own_cluster(tmp_path):
    path = write(tmp_path, STACK.format(top="top-cluster-id"))
    prod = load_stack(path, environment="prod")
    assert prod.cluster.pinned_id == "prod-cluster-id" and prod.cluster.pin_origin == f"{path}:9: cluster.id"


def test_an_unpinned_stack(tmp_path):
    path = write(tmp_path, STACK.format(top="top").replace("  id: top\n", ""))
    assert load_stack(path).cluster.pinned_id is None


def test_an_empty_or_non_string_id_is_a_located_error(tmp_path):
    for bad in ('""', "[a, b]"):
        with pytest.raises(StackError) as e:
            load_stack(write(tmp_path, STACK.format(top=bad)))
        assert ":4:" in str(e.value) and "id" in str(e.value)


def test_the_early_reads_preview_names_the_same_place(tmp_path):
    """The read that starts while the stack loads checks the pin with the preview's settings: its refusal must
    name the same line as the loaded stack's (and the preview must equal the loaded cluster, or it reads again)."""
    path = write(tmp_path, STACK.format(top="top-cluster-id"))
    previews = []
    for env, line in ((None, 4), ("prod", 9)):
        stack = load_stack(path, environment=env, on_cluster=previews.append)
        assert previews[-1].cluster == stack.cluster
        assert previews[-1].cluster.pin_origin == f"{path}:{line}: cluster.id" == stack.cluster.pin_origin


def test_each_of_several_clusters_has_its_own_pin(tmp_path):
    path = write(tmp_path, """\
stack: shop
clusters:
  a:
    bootstrap_servers: a:9092
    id: id-of-a
  b:
    bootstrap_servers: b:9092
topics:
  - name: orders
    cluster: a
    partitions: 1
    replication_factor: 1
""")
    stack = load_stack(path)
    a, b = stack.members
    assert (a.cluster.pinned_id, a.cluster.pin_origin) == ("id-of-a", f"{path}:5: clusters.a.id")
    assert b.cluster.pinned_id is None


def live(cluster_id: str | None) -> dict:
    doc = {"broker_count": 1, "topics": {"orders": {"partitions": 1, "replication_factor": 1}},
           "connectors": {}, "owned_topics": ["orders"]}
    return {**doc, "cluster_id": cluster_id} if cluster_id is not None else doc


def plan(tmp_path, capsys, cluster_id):
    write(tmp_path, STACK.format(top="top-cluster-id"))
    (tmp_path / "live.json").write_text(json.dumps(live(cluster_id)))
    with pytest.raises(SystemExit) as e:
        main(["plan", str(tmp_path / "stack.yaml"), "--live-state", str(tmp_path / "live.json")])
    out, err = capsys.readouterr()
    return e.value.code, out, err


def test_a_live_state_of_another_cluster_is_refused(tmp_path, capsys):
    code, out, err = plan(tmp_path, capsys, "other-cluster")
    assert code == 1 and out == ""
    assert err.strip().splitlines() == [
        f"Error: {tmp_path / 'stack.yaml'}:4: cluster.id pins the stack to Kafka cluster top-cluster-id, but "
        "localhost:9092 is cluster other-cluster: nothing was read or changed. Point bootstrap_servers (or -e) at "
        "the cluster the stack is for; if that cluster was re-created, set the id to other-cluster"]


def test_a_live_state_of_the_pinned_cluster_or_of_no_named_cluster_plans(tmp_path, capsys):
    for cluster_id in ("top-cluster-id", None):
        code, out, err = plan(tmp_path, capsys, cluster_id)
        assert code == 0 and "No changes." in out, err


def test_import_writes_the_pin_first_and_replaces_an_old_one():
    assert list(pinned({"bootstrap_servers": "b:1"}, "XyZ")) == ["id", "bootstrap_servers"]
    assert pinned({"bootstrap_servers": "b:1", "id": "old"}, "XyZ") == {"id": "XyZ", "bootstrap_servers": "b:1"}
    assert pinned({"bootstrap_servers": "b:1"}, "") == {"bootstrap_servers": "b:1"}


def test_a_saved_plan_records_its_cluster_and_is_refused_on_another():
    """Pinned or not, `kplan apply PLANFILE` refuses a plan made on another cluster (the plan file's cluster_id)."""
    from types import SimpleNamespace

    from kplan.errors import KplanError
    from kplan.model.desired import Stack
    from kplan.session.run import check_saved_plan

    stack = Stack(name="shop", environment=None, cluster=ClusterSpec("broker:9092"))
    saved = SimpleNamespace(stack="shop", environment=None, cluster_id="made-here", inputs_digest="other")
    with pytest.raises(KplanError) as e:
        check_saved_plan(saved, None, None, stack, "another-one")
    assert str(e.value) == "the saved plan was made for cluster made-here, but broker:9092 is cluster another-one"


def test_each_cluster_of_a_several_cluster_stack_is_held_to_its_own_pin(tmp_path, capsys):
    write(tmp_path, """\
stack: shop
clusters:
  a:
    bootstrap_servers: a:9092
    id: id-of-a
  b:
    bootstrap_servers: b:9092
    id: id-of-b
topics:
  - {name: orders, cluster: a, partitions: 1, replication_factor: 1}
  - {name: orders, cluster: b, partitions: 1, replication_factor: 1}
""")
    state = tmp_path / "live.json"
    for b_id, code in (("id-of-b", 0), ("id-of-a", 1)):
        state.write_text(json.dumps({"clusters": {"a": live("id-of-a"), "b": live(b_id)}}))
        with pytest.raises(SystemExit) as e:
            main(["plan", str(tmp_path / "stack.yaml"), "--live-state", str(state)])
        out, err = capsys.readouterr()
        assert e.value.code == code, err
    assert err.strip().splitlines() == [
        f"Error: cluster b: {tmp_path / 'stack.yaml'}:8: clusters.b.id pins the stack to Kafka cluster id-of-b, but "
        "b:9092 is cluster id-of-a: nothing was read or changed. Point bootstrap_servers (or -e) at the cluster the "
        "stack is for; if that cluster was re-created, set the id to id-of-a"]
