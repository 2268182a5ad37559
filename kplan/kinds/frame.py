"""The stack's frame, what no kind owns, as tables of rows (`kplan.kinds.shape`): the policy's rule types. A base
(`kplan/schemas/parts/`) names a derived definition by a string, `"frame:<name>"`, where it goes; `make schemas`
(`kplan.kinds.schema_parts`) puts `PARTS[name]()` there. Only the schema build imports this module: kplan loads the
shipped schema files."""

from __future__ import annotations

from typing import Any, Callable

from kplan.kinds import summed_units
from kplan.kinds.shape import Attr, Type, choice, either, list_of, ref, text, whole
from kplan.model.policy import RuleType

# -- the policy's rules (docs/policy.md): the keys every rule has, then each type's own rows ---------------------

RULE = (
    Attr("rule", choice(tuple(t.value for t in RuleType)), "The rule type (docs/policy.md).", ("topic-partitions",)),
    Attr("name", text(1), "A name for the rule, shown with each violation.", ("partitions-in-range",)),
    Attr("severity", choice(("error", "warning")), "error (default): validate and plan fail; warning: reported, "
         "nothing fails.", ("warning",), default="error"),
    Attr("message", text(1), "Why the rule exists or what to do, shown with each violation.",
         ("Ask #platform before going above 48 partitions.",)),
    Attr("include", ref("policyRegex"), "Only resources whose whole name matches this regular expression.",
         ("orders\\..*",)),
    Attr("exclude", ref("policyRegex"), "Not the resources whose whole name matches this regular expression.",
         (".*\\.tmp",)),
)

_NAMES = list_of(text(1), min_items=1)
_SIZE = either(whole(0), text(1))
KINDS = Attr("kinds", list_of(text(1), min_items=1, unique=True), "The stack sections it holds for (topics, "
             "connectors, cdc, acls, users and every other section name); every section when absent.",
             (["topics", "connectors"],))
OWNERS = Attr("owners", _NAMES, "The owners it holds for: names, or * patterns (team-*). Without it: every owner, and "
              "the resources without one (as one group).", (["team-orders", "team-*"],))


def _count(key: str, words: str, example: int) -> Attr:
    return Attr(key, ref("policyCount"), words, (example,))


def _config(rule: str, words: str, keys: str, key: str, values: list[str]) -> tuple[str, str, tuple[Attr, ...]]:
    """A required-config or forbidden-config rule: the keys (`keys`, their words; `key`, an example) and its values'
    example."""
    allowed = "The values allowed for them (any value when not given)." if "required" in rule else \
        "With values, only these values are forbidden."
    return (rule, words, (Attr("keys", ref("policyKeys"), f"The {keys}.", ([key],), required=True),
                          Attr("values", ref("policyValues"), allowed, (values,))))


def _total(what: str, of: Type, max_example: Any, own: str, own_example: Any) -> tuple[Attr, ...]:
    """An owner total's rows: every owner's limit (`what`), each owner's own (`own`), the owners it holds for."""
    limits = Type({"type": "object", "minProperties": 1, "propertyNames": {"minLength": 1},
                   "additionalProperties": of.schema})
    return (Attr("max", of, f"Every owner's limit: {what}.", (max_example,)),
            Attr("limits", limits, f"Owner name -> that owner's own limit ({own}), instead of max.",
                 ({"team-analytics": own_example},)), OWNERS)


def _rules() -> tuple[tuple[str, str, tuple[Attr, ...]], ...]:
    """Each rule type (in the schema's order), its words and its own rows."""
    return (
        ("topic-name-pattern", "Topic names must match a regular expression (the whole name: the pattern is anchored).",
         (Attr("pattern", ref("policyRegex"), "A Python regular expression the whole topic name must match, e.g. "
               "^(shop|billing)\\.[a-z0-9-]+(\\.[a-z0-9-]+)*$.", ("^(shop|billing)\\.[a-z0-9-]+(\\.[a-z0-9-]+)*$",),
               required=True),)),
        ("topic-forbidden-prefixes", "Topic names must not start with any of these prefixes.",
         (Attr("prefixes", _NAMES, "e.g. [tmp., test.]", (["tmp.", "test."],), required=True),)),
        ("topic-partitions", "A topic's partition count must lie between min and max (set one or both).",
         (_count("min", "The fewest partitions a topic may have.", 3),
          _count("max", "The most partitions a topic may have.", 48))),
        ("topic-replication-factor", "A topic's replication factor must be at least min; environments gives other "
         "minimums per environment (-e ENV).", (_count("min", "The lowest replication factor allowed.", 3),
                                                Attr("environments", ref("policyPerEnvironment"), "",
                                                     ({"dev": 1, "prod": 3},)))),
        ("topic-min-insync-replicas", "A topic's min.insync.replicas must be at least min (not set counts as Kafka's "
         "default, 1); environments gives other minimums per environment.",
         (_count("min", "The lowest min.insync.replicas allowed.", 2),
          Attr("environments", ref("policyPerEnvironment"), "", ({"dev": 1, "prod": 2},)))),
        _config("topic-required-config", "Each of keys must be set on every topic, to one of values when values is "
                "given.", "topic config keys every topic must set", "compression.type", ["zstd", "lz4"]),
        _config("topic-forbidden-config", "None of keys may be set on a topic (with values: may not be set to one of "
                "values).", "topic config keys no topic may set", "compression.type", ["uncompressed"]),
        ("topic-consumed-deletion", "Deleting or replacing a topic that a consumer group without live members (Empty, "
         "with committed offsets) reads is a violation at plan time (docs/consumers.md); without the rule it is a "
         "warning.", ()),
        ("topic-max-retention", "A topic that deletes old data (cleanup.policy delete) keeps it at most max: "
         "retention.ms above it, infinite (-1), or not set while Kafka's default (7d) is above it, is a violation.",
         (Attr("max", either(whole(1), text(1)), "A duration: 7d, 36h, 2w, or milliseconds.", ("30d",),
               required=True),)),
        ("connector-allowed-classes", "A connector's class must be one of classes (full names, Connect aliases such as "
         "FileStreamSink, or * patterns).", (Attr("classes", ref("policyClasses"), "The classes allowed: full names, "
                                                  "Connect aliases, or * patterns.",
                                                  (["io.debezium.connector.*", "FileStreamSink"],), required=True),)),
        ("connector-forbidden-classes", "A connector's class must not be one of classes (full names, Connect aliases, "
         "or * patterns).", (Attr("classes", ref("policyClasses"), "The classes forbidden: full names, Connect "
                                  "aliases, or * patterns.", (["org.apache.kafka.connect.file.*"],), required=True),)),
        _config("connector-required-config", "Each of keys must be set in every connector's config, to one of values "
                "when values is given.", "config keys every connector must set", "errors.tolerance", ["none"]),
        _config("connector-forbidden-config", "None of keys may be set in a connector's config (with values: may not "
                "be set to one of values).", "config keys no connector may set",
                "consumer.override.auto.offset.reset", ["latest"]),
        ("require-owner", "Every resource (of `kinds`, else of every kind) has an owner.", (KINDS,)),
        ("allowed-owners", "A resource's owner, when set, is one of these.",
         (KINDS, OWNERS.but(description="Owner names, or * patterns (team-*).", required=True))),
        ("label-pattern", "A label's value, when set, matches its regular expression (the whole value).",
         (KINDS, Attr("labels", Type({"type": "object", "minProperties": 1, "additionalProperties": ref(
             "policyRegex").schema}), "Label key -> a Python regular expression its whole value must match, e.g. "
             "{tier: ^(gold|silver|bronze)$}.", ({"tier": "^(gold|silver|bronze)$"},), required=True))),
        ("required-labels", "Every resource (of `kinds`, else of every kind) has these labels.",
         (KINDS, Attr("labels", list_of(text(1), min_items=1, unique=True), "Label keys, e.g. [cost-center, tier].",
                      (["cost-center", "tier"],), required=True))),
        ("owner-max-partitions", "The partitions of each owner's topics (CDC-generated ones counted to their source's "
         "owner) add up to at most max, or the owner's own limit.",
         _total("a number of partitions", whole(0), 500, "partitions", 2000)),
        ("owner-max-topics", "Each owner has at most max topics (CDC-generated ones included), or its own limit.",
         _total("a number of topics", whole(0), 100, "topics", 300)),
        ("owner-max-retention-bytes", "retention.bytes × partitions over each owner's topics adds up to at most max, "
         "or the owner's own limit; a topic without a size bound (retention.bytes not set or -1, or compacted only) "
         "is a violation unless unbounded: allowed.",
         (*_total("a size (100GiB, 1TiB, or bytes)", _SIZE, "1TiB", "a size", "5TiB"),
          Attr("unbounded", choice(("violation", "allowed")), "violation (default): a topic without a size bound "
               "violates the rule; allowed: it is left out of the total (and counted in the owner's totals line).",
               ("allowed",)))),
        ("owner-max-quota", "A client quota summed over each owner's quota entities (those that set it) is at most "
         "max, or the owner's own limit.",
         (*_total("a byte rate (50MiB, or bytes per second) for the byte rates, a whole percentage for "
                  "request_percentage, a whole number of partitions per second for controller_mutation_rate", _SIZE,
                  "50MiB", "a byte rate, a percentage or a mutation rate", "200MiB"),
          Attr("quota", choice(tuple(summed_units())), "The quota key summed.", ("producer_byte_rate",),
               required=True))),
    )


def policy_rule() -> dict[str, Any]:
    """`policyRule`: the keys every rule has, and per rule type (`if rule is ...`) its words and exactly its keys."""
    rules = _rules()
    assert sorted(r[0] for r in rules) == sorted(t.value for t in RuleType), "one row per rule type"
    branches = [{"if": {"properties": {"rule": {"const": rule}}, "required": ["rule"]}, "then": {
        "description": words, "properties": {**{a.key: {} for a in RULE}, **{a.key: a.stack_schema() for a in rows}},
        "additionalProperties": False, **({"required": req} if (req := [a.key for a in rows if a.required]) else {})}}
        for rule, words, rows in rules]
    return {"type": "object", "required": ["rule"], "description": "One policy rule: `rule` names its type; "
            "docs/policy.md has every type with examples.", "properties": {a.key: a.stack_schema() for a in RULE},
            "allOf": branches}


PARTS: dict[str, Callable[[], dict[str, Any]]] = {"policyRule": policy_rule}
