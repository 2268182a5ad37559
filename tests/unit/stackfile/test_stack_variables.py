"""${VAR} substitution: lookup order, defaults, escapes, pass-through references, types, errors with locations."""

import textwrap

import pytest

from kplan.stackfile import validate_stack
from kplan.stackfile.variables import Resolver, SubstitutionError, parse
from kplan.stackfile.yaml_values import QuotedStr


def sub(value, environ=None, vars_=None, plain=True):
    return Resolver(environ or {}, vars_ or {}).substitute(value, plain=plain)


def test_plain_variable_from_vars_and_environ():
    assert sub("${A}", vars_={"A": "x"}) == "x"
    assert sub("${A}", environ={"A": "env"}, vars_={"A": "var"}) == "env"  # the environment wins
    assert sub("pre-${A}-post", vars_={"A": "x"}) == "pre-x-post"


def test_defaults():
    assert sub("${MISSING:-fallback}") == "fallback"
    assert sub("${MISSING:-}") == ""
    assert sub("${A:-fallback}", vars_={"A": "set"}) == "set"
    assert sub("${A:-b:c}") == "b:c"


def test_whole_plain_reference_keeps_the_type():
    assert sub("${P}", environ={"P": "6"}) == 6
    assert sub("${P:-3}") == 3
    assert sub("${F:-0.5}") == 0.5
    assert sub("${B:-true}") is True
    assert sub("${N}", vars_={"N": 12}) == 12
    assert sub("${N}", vars_={"N": False}) is False


def test_quoted_or_partial_references_stay_strings():
    assert sub("${P}", environ={"P": "6"}, plain=False) == "6"
    assert sub("${P}x", environ={"P": "6"}) == "6x"
    assert sub("${N}-${B}", vars_={"N": 1, "B": True}) == "1-true"


def test_escape():
    assert sub("$${A}") == "${A}"
    assert sub("cost: $5 and $${x}") == "cost: $5 and ${x}"


@pytest.mark.parametrize("ref", [
    "${file:/etc/kafka/secrets.properties:password}", "${env:DB_PASSWORD}", "${vault:secret/db:password}",
    "${secret:env:PW}", "${secret:file:/run/secrets/pw}", "${directory:/secrets:pw}",
])
def test_references_pass_through_unresolved(ref):
    assert sub(ref, environ={"DB_PASSWORD": "nope", "PW": "nope"}) == ref
    assert sub(f"a {ref} b") == f"a {ref} b"


@pytest.mark.parametrize("value,expected", [
    ("${file:/etc/${ENV}/secrets.properties:password}", "${file:/etc/prod/secrets.properties:password}"),
    ("${vault:secret/${APP}/db:${KEY:-password}}", "${vault:secret/shop/db:password}"),
    ("jdbc:${env:${APP}_URL}", "jdbc:${env:shop_URL}"),
    ("${secret:file:/run/${ENV}/pw}", "${secret:file:/run/prod/pw}"),
    ("${secret:env:${APP}_PW}", "${secret:env:shop_PW}"),
    ("${MISSING:-${ENV}}", "prod"),
    ("${file:/etc/$${ENV}/x:k}", "${file:/etc/${ENV}/x:k}"),
])
def test_variables_inside_references_are_substituted(value, expected):
    assert sub(value, environ={"ENV": "prod"}, vars_={"APP": "shop"}) == expected


@pytest.mark.parametrize("value,message", [
    ("${file:/etc/${NOPE}/x:k}", 'undefined variable "NOPE"'),
    ("${secret:env:${BAD}}", "malformed secret reference '${secret:env:a-b}'"),
    ("${file:/etc/${ENV/x:k}", "unterminated '${'"),
])
def test_variables_inside_references_errors(value, message):
    with pytest.raises(SubstitutionError) as e:
        sub(value, environ={"ENV": "prod", "BAD": "a-b"})
    assert str(e.value).startswith(message)


def test_variables_may_use_variables():
    assert sub("${C}", vars_={"A": "x", "B": "${A}-y", "C": "${B}-z"}) == "x-y-z"
    assert sub("${C}", environ={"A": "e"}, vars_={"B": "${A}", "C": "${B}"}) == "e"


@pytest.mark.parametrize("value,message", [
    ("${MISSING}",
     'undefined variable "MISSING" (set it in vars or in the environment, or give a default: ${MISSING:-value})'),
    ("${A", "unterminated '${' (missing '}'; write $${ for a literal ${)"),
    ("${1A}", "invalid reference '${1A}'"),
    ("${}", "invalid reference '${}'"),
    ("${secret:aws:x}", "malformed secret reference"),
])
def test_errors(value, message):
    with pytest.raises(SubstitutionError) as e:
        sub(value)
    assert str(e.value).startswith(message)


def test_cycle():
    with pytest.raises(SubstitutionError, match="variable cycle: A -> B -> A"):
        sub("${A}", vars_={"A": "${B}", "B": "${A}"})


def test_parse_segments():
    segs = parse("a${X:-d}b")
    assert [(s.kind.value, s.text, s.name, s.default) for s in segs] == [
        ("text", "a", "", None), ("var", "", "X", "d"), ("text", "b", "", None)]


def write(tmp_path, text):
    assert text.startswith(BASE)
    p = tmp_path / "stack.yaml"
    p.write_text(BASE + textwrap.dedent(text[len(BASE):]))
    return p


BASE = textwrap.dedent("""\
    stack: s
    vars:
      parts: 3
      prefix: app
    cluster:
      bootstrap_servers: ${BOOT:-localhost:9092}
    defaults:
      topic: {partitions: 1, replication_factor: 1}
    """)


def test_in_a_stack_with_types_and_precedence(tmp_path):
    p = write(tmp_path, BASE + """\
        environments:
          prod:
            vars: {parts: 12}
        topics:
          - name: ${prefix}.orders
            partitions: ${parts}
          - name: "${prefix}.quoted"
        """)
    stack, diags = validate_stack(p, environ={})
    assert diags == []
    assert {t.name: t.partitions for t in stack.of("topics")} == {"app.orders": 3, "app.quoted": 1}
    assert stack.cluster.bootstrap_servers == "localhost:9092"
    prod, _ = validate_stack(p, "prod", environ={})
    assert {t.name: t.partitions for t in prod.of("topics")}["app.orders"] == 12
    env, _ = validate_stack(p, "prod", environ={"parts": "7", "BOOT": "k:1"})
    assert {t.name: t.partitions for t in env.of("topics")}["app.orders"] == 7
    assert env.cluster.bootstrap_servers == "k:1"


def test_undefined_variable_is_reported_where_it_is_used(tmp_path):
    p = write(tmp_path, BASE + """\
        topics:
          - name: orders
            config:
              retention.ms: ${RETENTION}
        """)
    stack, diags = validate_stack(p, environ={})
    assert stack is None
    (d,) = diags
    assert (d.line, d.column, d.address) == (12, 21, "topics[0].config.retention.ms")
    assert d.message.startswith('undefined variable "RETENTION"')


def test_unselected_environments_are_not_substituted(tmp_path):
    p = write(tmp_path, BASE + """\
        environments:
          prod:
            cluster: {bootstrap_servers: "${PROD_BOOTSTRAP}"}
        """)
    stack, diags = validate_stack(p, environ={})
    assert diags == [] and stack is not None
    _, diags = validate_stack(p, "prod", environ={})
    assert [d.message.split(" (")[0] for d in diags] == ['undefined variable "PROD_BOOTSTRAP"']


def test_keys_are_not_substituted(tmp_path):
    p = write(tmp_path, BASE + """\
        topics:
          - name: t
            config: {"${X}": 1}
        """)
    _, diags = validate_stack(p, environ={"X": "retention.ms"})
    assert [d.message for d in diags] == ['unknown topic config "${X}"']


def test_quoted_str_type():
    assert isinstance(QuotedStr("a"), str)
