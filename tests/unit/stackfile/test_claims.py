"""The `claims:` section (docs/orphans.md): built into the Stack's claims (prune off and every kind by default),
checked (a prefix twice, an internal prefix, an unknown kind), placed on its cluster in a several-cluster stack."""

import textwrap

from kplan.kinds import claimable_sections
from kplan.stackfile import validate_stack

HEAD = 'stack: s\ncluster: {bootstrap_servers: "k:9092"}\n'
TWO = 'stack: s\nclusters:\n  a: {bootstrap_servers: "a:9092"}\n  b: {bootstrap_servers: "b:9092"}\n'


def load(tmp_path, body, head=HEAD):
    p = tmp_path / "stack.yaml"
    p.write_text(head + textwrap.dedent(body))
    return validate_stack(p, None, {})


def messages(diags):
    return [d.message for d in diags if d.severity == "error"]


def test_claims_are_built_with_their_defaults(tmp_path):
    stack, diags = load(tmp_path, """\
        claims:
          - prefix: orders.
          - {prefix: billing., prune: true, kinds: [topics, acls]}
        """)
    assert messages(diags) == []
    orders, billing = stack.claims
    assert (orders.prefix, orders.prune, orders.kinds) == ("orders.", False, frozenset(claimable_sections()))
    assert (billing.prune, billing.kinds) == (True, frozenset({"topics", "acls"}))
    assert orders.origin.line == 4


def test_a_prefix_claimed_twice_an_internal_prefix_and_an_unknown_kind_are_errors(tmp_path):
    _, diags = load(tmp_path, """\
        claims:
          - {prefix: orders.}
          - {prefix: orders., prune: true}
          - {prefix: __kplan}
          - {prefix: x., kinds: [users]}
        """)
    found = messages(diags)
    assert any('the prefix "orders." is declared twice' in m for m in found)
    assert any('the prefix "__kplan" covers only internal names' in m for m in found)
    assert len(found) == 3


def test_several_clusters_place_each_claim_on_its_cluster(tmp_path):
    stack, diags = load(tmp_path, """\
        claims:
          - {prefix: orders., cluster: a}
          - {prefix: billing., cluster: b, prune: true}
        """, head=TWO)
    assert messages(diags) == []
    by_cluster = {m.cluster_name: [c.prefix for c in m.claims] for m in stack.members}
    assert by_cluster == {"a": ["orders."], "b": ["billing."]}
    _, diags = load(tmp_path, "claims:\n  - {prefix: orders.}\n", head=TWO)
    assert any("does not say which cluster it belongs to" in m for m in messages(diags))
