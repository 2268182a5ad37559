"""A repository's stacks grouped by the cluster they target (kplan.session.many): one group, one read, per cluster
and settings; a several-cluster stack joins each of its clusters' groups; two stacks of one name on one cluster
both fail, each naming the other. The planning itself: tests/unit/commands/test_plan_many_cli.py (offline) and
tests/integration/test_plan_many.py (the real cluster)."""

from __future__ import annotations

from types import SimpleNamespace

from kplan.model.desired import ClusterSpec
from kplan.session.many import Planned, _refuse_shared_names, group_by_cluster, plan_many

A = ClusterSpec("a:9092", None)
A_OTHER_CONNECT = ClusterSpec("a:9092", "http://connect:8083")
B = ClusterSpec("b:9092", None)


def stack(name: str, cluster=None, members=(), secret_commands=None, cluster_name=None):
    return SimpleNamespace(name=name, cluster=cluster, members=tuple(members), secret_commands=secret_commands or {},
                           cluster_name=cluster_name)


def test_stacks_are_grouped_by_their_cluster_settings_in_the_order_met():
    two = stack("two", members=[stack("two", A, cluster_name="east"), stack("two", B, cluster_name="west")])
    stacks = {0: stack("x", A), 1: stack("y", B), 2: stack("z", A), 3: stack("w", A_OTHER_CONNECT), 4: two,
              5: stack("v", A, secret_commands={"vault": "other"})}
    groups = group_by_cluster(stacks)
    assert [(g.cluster, [(i, m.name) for i, m in g.members]) for g in groups] == [
        (A, [(0, "x"), (2, "z"), (4, "two")]), (B, [(1, "y"), (4, "two")]), (A_OTHER_CONNECT, [(3, "w")]),
        (A, [(5, "v")])]  # other secret commands: its references may resolve otherwise


def test_two_stacks_of_one_name_on_one_cluster_both_fail_and_the_others_stay():
    stacks = {0: stack("orders", A), 1: stack("orders", A), 2: stack("orders", B), 3: stack("pay", A)}
    out = [Planned(f"p{i}") for i in stacks]
    groups = group_by_cluster(stacks)
    _refuse_shared_names(groups, out)
    assert out[0].errors == ["Error: stack 'orders' is also declared by p1 for the same cluster: one name is one "
                             "ownership record and one lock; rename one of them"]
    assert "p0" in out[1].errors[0] and not out[2].errors and not out[3].errors
    assert [p.cause for p in out] == ["stack", "stack", None, None]  # its files' to fix (`kplan watch`'s cause)
    assert [[i for i, _ in g.members] for g in groups] == [[3], [2]]


def test_files_that_do_not_load_fail_for_the_stack_named_by_their_path_when_their_name_is_no_name(tmp_path):
    """Not YAML, or invalid (`partitions: many`): the stack's files are the cause, whether its name reads or not;
    `stack: [unclosed` names no stack, so it is told by its path (issue 67). No cluster is asked."""
    head = "cluster:\n  bootstrap_servers: 127.0.0.1:1\n"
    files = {"bad-yaml.yaml": "stack: shop\n" + head + "topics: [\n",
             "invalid.yaml": "stack: pay\n" + head + "topics:\n  - name: t\n    partitions: many\n",
             "unclosed.yaml": "stack: [unclosed\n" + head}
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    out = plan_many([str(tmp_path / n) for n in files], None, environ={})
    assert [(p.name, p.cause, p.plan) for p in out] == [("shop", "stack", None), ("pay", "stack", None),
                                                        (None, "stack", None)]
    assert all(p.errors for p in out)
