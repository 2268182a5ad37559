"""The stack's frame, what no kind owns, as tables of rows (`kplan.kinds.shape`): the stack's own keys and an
environment's overlay of them, `defaults`, a cluster's settings (Kafka Connect's and the schema registry's REST API
one set of rows), claims, references, `forget` and the policy's rule types. A base (`kplan/schemas/parts/`) names a
definition derived here by a string, `"frame:<name>"`, where it goes; `make schemas` (`kplan.kinds.schema_parts`)
puts `PARTS[name]()` there. kplan loads the shipped schema files; the readers of these keys (`kplan.stackfile`)
check what a schema cannot say, by these rows where they name what they read."""

from __future__ import annotations

from functools import cache
from typing import Any, Callable

from kplan.kinds import claimable_sections, resource_sections, summed_units
from kplan.kinds.shape import (
    BOOLEAN,
    CLUSTER,
    NOTHING,
    Attr,
    Type,
    Unit,
    choice,
    either,
    list_of,
    map_of,
    number,
    record,
    ref,
    scalars,
    text,
    whole,
)
from kplan.model.policy import RuleType
from kplan.rules.units import UnitError, parse_duration_seconds, parse_size_bytes
from kplan.secrets import is_sensitive_key

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
    kinds = Attr("kinds", Type(ref("policyKinds").schema, read=tuple), "The stack sections it holds for; every "
                 "section when absent.", (["topics", "connectors"],))
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
        ("require-owner", "Every resource (of `kinds`, else of every kind) has an owner.", (kinds,)),
        ("allowed-owners", "A resource's owner, when set, is one of these.",
         (kinds, OWNERS.but(description="Owner names, or * patterns (team-*).", required=True))),
        ("label-pattern", "A label's value, when set, matches its regular expression (the whole value).",
         (kinds, Attr("labels", Type({"type": "object", "minProperties": 1, "additionalProperties": ref(
             "policyRegex").schema}), "Label key -> a Python regular expression its whole value must match, e.g. "
             "{tier: ^(gold|silver|bronze)$}.", ({"tier": "^(gold|silver|bronze)$"},), required=True))),
        ("required-labels", "Every resource (of `kinds`, else of every kind) has these labels.",
         (kinds, Attr("labels", list_of(text(1), min_items=1, unique=True), "Label keys, e.g. [cost-center, tier].",
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


def policy_kinds() -> dict[str, Any]:
    """`policyKinds`: the stack sections a rule's `kinds` may name, those that declare resources (a typo is refused
    by the schema, at its item)."""
    return list_of(choice(resource_sections()), min_items=1, unique=True).schema


@cache
def rule_rows() -> dict[str, tuple[Attr, ...]]:  # each rule type's: every rule's, then its own (the reader's)
    return {rule: (*RULE, *rows) for rule, _, rows in _rules()}


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


# -- a cluster's settings (`cluster:`, each of `clusters:`), Kafka Connect's and the schema registry's REST APIs ------

_REFERENCE = "A ${secret:env:NAME} or ${secret:file:PATH} reference."
# The words that make a REST API's header a credential, whose value may only be a secret reference: the `headers` row
# says them, `credential_header` (the reader's, kplan.stackfile.connect_access) checks them.
CREDENTIAL_WORDS = ("auth", "token", "key", "secret", "password", "cookie", "session")


def credential_header(name: str) -> bool:
    """Whether a header's name looks like a credential: it holds one of CREDENTIAL_WORDS (Authorization does), or a
    config key of that name would be masked as a secret (`kplan.secrets.is_sensitive_key`: a passphrase, a
    credential...)."""
    low = name.lower()
    return is_sensitive_key(name) or any(word in low for word in CREDENTIAL_WORDS)


def _rest(what: str, url: str, example: str, secret: str) -> tuple[Attr, ...]:
    """A REST API's rows (a Connect cluster's, the schema registry's): its URL (`url`, its words), how kplan
    authenticates to it (`secret`, the variable its examples name) and which CA it trusts (`what`'s certificate)."""
    password, token = f"${{secret:env:{secret}_PASSWORD}}", f"${{secret:env:{secret}_TOKEN}}"
    basic = record((Attr("username", text(1), "The user name (plain text; the password is a secret reference).",
                         ("kplan",), required=True),
                    Attr("password", text(1), _REFERENCE, (password,), required=True)))
    auth = record((Attr("basic", basic, "HTTP basic authentication: username and password.",
                        ({"username": "kplan", "password": password},)),
                   Attr("bearer", text(1), f"The token: a {_REFERENCE[2:-1]}.", (token,))))
    return (
        Attr("url", text(1), url, (example,), required=True),
        Attr("auth", Type({**auth.schema, "minProperties": 1, "maxProperties": 1}), "One of basic (username + "
             "password reference) or bearer (a token reference).",
             ({"basic": {"username": "kplan", "password": password}}, {"bearer": token})),
        Attr("headers", map_of(text()), "Extra HTTP headers sent with every request. A header whose name looks like a "
             f"credential (Authorization, or one holding {', '.join(CREDENTIAL_WORDS[:-1])} or {CREDENTIAL_WORDS[-1]}) "
             "only as a ${secret:env:NAME} or ${secret:file:PATH} reference; not Authorization together with auth.",
             ({"X-Tenant": "orders"},)),
        Attr("ca", text(1), f"CA bundle (PEM) to verify the {what}'s certificate; relative to the stack file.",
             (f"certs/{secret.lower()}-ca.pem",)),
        Attr("client_cert", text(1), "mTLS client certificate (PEM); relative to the stack file.",
             ("certs/kplan.pem",)),
        Attr("client_key", text(1), "mTLS client key (PEM), unless client_cert holds it.", ("certs/kplan.key",)),
        Attr("verify", BOOLEAN, "TLS verification; true by default.", (False,), default=True),
    )


def _of(rows: tuple[Attr, ...], description: str, **more: Any) -> dict[str, Any]:
    """A definition of `rows`, its words and what else it says (`examples`, bounds)."""
    return {**record(rows).schema, "description": description, **more}


_PLUGIN = "https://maven.example.com/releases"
_FILE_PLUGIN = {"maven": "org.apache.kafka:connect-file:4.3.1",
                "sha256": "e330c491309d8f839f2abd7260c72a3687d6d82ecf2ba0f7699a46d41a46dcac"}


def connect_worker() -> dict[str, Any]:
    *rest, verify = _rest("worker", "http:// or https:// URL of the worker's REST API.", "https://connect:8443",
                          "CONNECT")
    return _of((*rest, verify, Attr(
        "plugins", list_of(ref("connectPlugin"), min_items=1), "The connector plugins this Connect cluster's workers "
        "run, by Maven coordinates and checksum: `kplan plugins install STACK --to DIR` fetches them into a worker's "
        "plugin.path (docs/connect-plugins.md). Plan and apply do not read them; a connector's plugin_version pin "
        "proves the workers run them.", ([_FILE_PLUGIN],)),
        Attr("plugin_repository", text(pattern="^https?://"), "The Maven repository `kplan plugins install` fetches "
             "plugins from (its standard layout); Maven Central by default.", (_PLUGIN,))),
        "One Connect cluster's REST API: its URL, how kplan authenticates to it and which CA it trusts.")


def connect_plugin() -> dict[str, Any]:
    return _of((
        Attr("maven", text(pattern="^[A-Za-z0-9_][A-Za-z0-9_.-]*(:[A-Za-z0-9_][A-Za-z0-9_.-]*){2,4}$"),
             "group:artifact:version, or group:artifact:packaging[:classifier]:version; packaging jar (the default), "
             "zip, tar.gz or tgz: a jar is placed as it is, an archive unpacked.",
             ("io.debezium:debezium-connector-postgres:tar.gz:plugin:3.7.0.Final",), required=True),
        Attr("sha256", text(pattern="^[0-9a-fA-F]{64}$"), "The artifact's SHA-256 (64 hexadecimal digits); a file "
             "with another digest is never installed.",
             ("660673cbabd2f269da21409208ebd0f0d9977bd92e824fc9daa272f240e88e51",)),
        Attr("sha512", text(pattern="^[0-9a-fA-F]{128}$"), "The artifact's SHA-512 (128 hexadecimal digits), "
             "instead of sha256.", ("d0cae48f4388fab8e2314cf81fba28f8bbc6a277267d30037ba783d66ffc478f7b9cf48f4962506da1"
                                    "560da5b79578dfb323f816fde2c9e58280e8bbb14b5900",))),
        "One plugin artifact: its Maven coordinates and exactly one checksum of the file (sha256 or sha512).",
        minProperties=2, maxProperties=2, examples=[_FILE_PLUGIN])


def client_properties() -> dict[str, Any]:
    """librdkafka's properties pass through as scalars beside the one key of kplan's own, `aws_msk_iam`."""
    msk = (Attr("region", text(1), "The AWS region of the MSK cluster.", ("eu-west-1",), required=True),
           Attr("profile", text(1), "A named AWS profile whose credentials sign the token (instead of the default "
                "credential chain).", ("kafka-admin",)),
           Attr("role_arn", text(1), "An IAM role to assume for signing, instead of profile (a stack that sets both "
                "is refused).", ("arn:aws:iam::123456789012:role/kplan",)),
           Attr("session_name", text(1), "The session name used when assuming role_arn (not used without it).",
                ("kplan",)))
    return {"type": "object", "description": "librdkafka client properties (security.protocol, sasl.*, ssl.*...). "
            "Secrets as ${secret:env:NAME}.", "propertyNames": {"minLength": 1}, "properties": {"aws_msk_iam": _of(
                msk, "AWS MSK IAM: kplan signs every client's OAUTHBEARER token with AWS's signer library (the msk "
                "extra). region, and the default credential chain, a profile or a role to assume.", examples=[
                    {"region": "eu-west-1"}, {"region": "eu-west-1", "role_arn": "arn:aws:iam::123456789012:role/"
                                              "kplan", "session_name": "kplan"}])},
            "additionalProperties": ref("scalar").schema, "examples": [{
                "security.protocol": "SASL_SSL", "sasl.mechanism": "SCRAM-SHA-512", "sasl.username": "kplan",
                "sasl.password": "${secret:env:KAFKA_PASSWORD}"}]}


_NAME = "^[A-Za-z0-9][A-Za-z0-9._-]*$"


def _seconds(raw: Any) -> float:
    """A timeout: seconds or a duration, more than 0 and at most 5m (the bound of librdkafka's socket.timeout.ms)."""
    seconds = parse_duration_seconds(raw)
    if not 0 < seconds <= 300:  # also NaN
        raise UnitError(f"the timeout must be more than 0 and at most 300 seconds (got {str(raw)[:40]})")
    return seconds


_SECONDS = Unit("a timeout", _seconds, number)
TIMEOUT = Attr("timeout", ref("duration"), "How long one request waits, and how long one retried operation goes on "
               "(docs/architecture.md, Deadlines): seconds or a duration, more than 0 and at most 5m.", ("30s",),
               default="15s", unit=_SECONDS)
THROTTLE = Attr("reassignment_throttle", scalars("string", "integer"), "Bytes per second a partition reassignment (a "
                "replication-factor change) may copy, per broker: a number or a size such as 50MiB. Unset: not "
                "throttled.", ("50MiB",), unit=Unit("a number of bytes per second", lambda raw: parse_size_bytes(
                    str(raw)), number, above_zero="unset: not throttled"))
COMMAND_TIMEOUT = Attr("timeout", scalars("string", "number"), "How long the command may run: seconds or a duration "
                       "such as 500ms, 30s (default 10s, at most 5m).", ("30s",), default="10s", unit=_SECONDS)


# The schema registry's `delete` (its default is the reader's too: kplan.stackfile.connect_access.build_registry)
REGISTRY_DELETE = Attr("delete", choice(("soft", "permanent")), "What removing a registered schema from the stack (or "
                       "destroy) does: soft (default; the registry's soft delete) or permanent (soft, then hard "
                       "delete).", ("permanent",), default="soft")


def cluster() -> dict[str, Any]:
    *rest, verify = _rest("registry", "http:// or https:// URL of the registry's Confluent-compatible API, e.g. "
                          "http://127.0.0.1:8081 or http://127.0.0.1:8081/apis/ccompat/v7.", "http://registry:8081",
                          "REGISTRY")
    registry = (*rest, REGISTRY_DELETE, verify)
    several = {"type": "object", "minProperties": 1, "not": {"required": ["url"]}, "propertyNames": {
        "pattern": _NAME}, "additionalProperties": ref("connectWorker").schema}
    return _of((
        Attr("id", text(1), "The Kafka cluster id the stack is meant for (kplan import writes it): every command "
             "refuses a cluster whose id differs, before reading or changing anything else. Per environment like the "
             "other cluster settings.", ("q3pLx0u1S9G3Hq7aZb1Fdw",)),
        Attr("bootstrap_servers", Type({"type": ["string", "array"], "minLength": 1, "minItems": 1,
                                        "items": text(1).schema}), "host:port[,host:port...] or a list of host:port. "
             "Required: validate and plan refuse a cluster without it.", ("kafka-1:9092,kafka-2:9092",)),
        Attr("connect_url", text(1), "Kafka Connect REST URL, e.g. http://127.0.0.1:18083 (shorthand for connect.url; "
             "not both); required when the stack has connectors, CDC sources or mirrors. A password in it "
             "(http://user:${secret:env:CONNECT_PASSWORD}@connect:8083) may be a secret reference and is never "
             "printed.", ("http://connect:8083",)),
        Attr("connect", Type({"anyOf": [ref("connectWorker").schema, several]}), "Kafka Connect's REST API: its URL, "
             "how kplan authenticates to it and which CA it trusts; or several Connect clusters on this Kafka cluster, "
             "by name (each with these settings; connectors choose one with connect:).",
             ({"url": "https://connect:8443", "ca": "certs/connect-ca.pem"},
              {"main": {"url": "http://connect-main:8083"}, "analytics": {"url": "http://connect-analytics:8083"}})),
        Attr("schema_registry", record(registry), "The schema registry (Confluent's REST API, or Apicurio's "
             "/apis/ccompat/v7): its URL, how kplan authenticates to it, which CA it trusts, and what removing a "
             "registered schema does. Required when the stack has subjects (or a topic's key_schema/value_schema, or a "
             "CDC source with format avro).", ({"url": "http://registry:8081", "auth": {"basic": {
                 "username": "kplan", "password": "${secret:env:REGISTRY_PASSWORD}"}}},)),
        Attr("client", ref("clientProperties")),
        TIMEOUT,
        THROTTLE),
        "The Kafka cluster the stack is applied to: its bootstrap servers, client properties, Kafka Connect and "
        "schema registry, the cluster pin (id) and timeouts. `cluster:` holds one; `clusters:` names several, each "
        "with these settings. An environment's `cluster` is merged over it.",
        examples=[{"bootstrap_servers": "kafka-1:9092,kafka-2:9092", "connect_url": "http://connect:8083"}])


# -- the stack's own keys, an environment's overlay of them, and what a stack says beside its resources ---------------

def _map(of: Type, names: dict[str, Any], **bounds: Any) -> Type:
    """A mapping whose keys are `names` (a propertyNames schema)."""
    return Type({"type": "object", **bounds, "propertyNames": names, "additionalProperties": of.schema})


_LOOP = (Attr("for_each", ref("forEach")), Attr("overrides", ref("forEachOverrides")))
_ON = CLUSTER.but(description="With `clusters:` (several clusters): the cluster the resource is on.")
CLUSTERS = Attr("clusters", _map(ref("cluster"), {"pattern": _NAME}, minProperties=1), "Several clusters: name -> the "
                "same settings as `cluster:`; each resource says `cluster: <name>`. Use either `cluster:` or "
                "`clusters:`. See docs/clusters.md.", ({"east": {"bootstrap_servers": "kafka-east:9092", "connect_url":
                                                        "http://connect-east:8083"}, "west": {"bootstrap_servers":
                                                                                              "kafka-west:9092"}},))
OVERLAID = (  # the stack's keys an environment overlays, as the stack says them
    CLUSTERS, Attr("cluster", ref("cluster")),
    Attr("authoritative_config", ref("flag"), "Stack-wide: live topic config overrides that the stack does not declare "
         "are planned for removal instead of shown as drift. An environment's authoritative_config wins over it, and a "
         "topic's own over both.", default=False),
    Attr("defaults", ref("defaults")), Attr("vars", ref("vars")), Attr("secret_commands", ref("secretCommands")))
_EXPECT = (
    Attr("min_partitions", whole(1), "A topic: it has at least this many partitions.", (6,)),
    Attr("min_replication_factor", whole(1), "A topic: its replication factor is at least this.", (3,)),
    Attr("state", choice(("running", "paused", "stopped")), "A connector: Connect reports it in this state.",
         ("running",)),
    Attr("config", map_of(scalars("string", "number", "boolean")), "A topic: these config values are in effect (set "
         "on the topic or inherited; human units as in a topic's config, compared as the broker has them). A "
         "connector: its config has these values, as Connect stores them.",
         ({"cleanup.policy": "delete", "retention.ms": "7d"},)),
    Attr("compatibility", ref("compatibility"), "A subject: the level in effect (its own, else the registry's global "
         "one) gives at least this level's guarantees."),
    Attr("version", whole(1), "A subject: this version exists.", (3,)),
    Attr("produce", ref("aclNames"), "An acl principal: may produce to these topics (WRITE, DESCRIBE)."),
    Attr("consume", record((Attr("topics", ref("aclNames"), "Topics (or prefix:<p> patterns) it may read: READ and "
                                 "DESCRIBE.", required=True),
                            Attr("groups", ref("aclNames"), "Consumer groups it may read with: READ."))),
         "An acl principal: may read these topics (READ, DESCRIBE) with these groups (READ).",
         ({"topics": ["payments.events"], "groups": ["connect-analytics-sink"]},)),
    Attr("allow", list_of(ref("aclEntry"), min_items=1), "An acl principal: may do these operations, as an acls "
         "entry's allow.", ([{"resource": "topic", "name": "payments.audit", "operations": ["DESCRIBE_CONFIGS"]}],)))
# the kinds a reference may name (its address's type, how `expect` says it) and the rows of _EXPECT each takes: the
# reader (kplan.stackfile.claims) refuses the others; the kind makes the form it compares (`Kind.expectation`)
EXPECTS = {"topic": ("a topic", ("min_partitions", "min_replication_factor", "config")),
           "connector": ("a connector", ("state", "config")), "subject": ("a subject", ("compatibility", "version")),
           "acl": ("an acl principal", ("produce", "consume", "allow"))}


def _addressed(address: str, example: str, *rows: Attr) -> Type:
    """A list of resources named by their plan address (references, forget): `rows` beside the address."""
    return list_of(record((Attr("address", text(3), address, (example,), required=True), *rows, _ON, *_LOOP)))


def stack() -> dict[str, Any]:
    """The stack's own keys (the kinds' sections join them)."""
    clusters, cluster, authoritative, defaults, variables, commands = OVERLAID
    rules = Attr("rules", list_of(ref("policyRule")), "Policy rules written in the stack itself (docs/policy.md has "
                 "every rule type).", ([{"rule": "topic-required-config", "keys": ["compression.type"],
                                         "values": ["zstd", "lz4"]}],))
    files = Attr("files", list_of(text(1), min_items=1), "Shared policy files (YAML), relative to this file, each "
                 "checked against the policy schema (`kplan schema policy`); their rules apply beside the stack's "
                 "own.", (["policies/platform.yaml"],))
    rows = (
        clusters, Attr("$schema", text(), "Ignored by kplan; lets editors find this schema.",
                       ("../schemas/stack.schema.json",)),
        Attr("stack", ref("resourceName"), "The stack's name: the scope that owns its resources. Declared once (or "
             "identically in every file of a directory stack).", ("orders",)), cluster,
        Attr("template_dirs", list_of(text(1)), "Directories (relative to the file) searched before the built-in CDC "
             "engine templates: add engines or override built-in ones.", (["templates"],)),
        authoritative, defaults,
        Attr("policy", record((files, rules)), "Policy rules every resource of the stack (CDC-generated ones included) "
             "must follow: rules written here and/or shared policy files (paths relative to this file, each checked by "
             "the policy schema, `kplan schema policy`). See docs/policy.md.",
             ({"files": files.examples[0], "rules": rules.examples[0]},)),
        variables, commands,
        Attr("claims", list_of(ref("claim")), "Name prefixes this stack claims: what exists under them that no kplan "
             "stack owns and this stack does not declare is an orphan, listed by `kplan status` and the plan; `prune: "
             "true` makes apply delete it. See docs/orphans.md.",
             ([{"prefix": "orders."}, {"prefix": "orders.scratch.", "prune": True}],)),
        Attr("references", _addressed("topic.<name>, connector.<name>, subject.<name> or acl.<principal>",
                                      "topic.payments.events", Attr(
                                          "expect", record(_EXPECT), "What it must be; each kind takes its own keys ("
                                          + "; ".join(f"{noun}: {', '.join(keys)}" for noun, keys in EXPECTS.values())
                                          + ").", ({"min_partitions": 6, "min_replication_factor": 3,
                                                                "config": {"cleanup.policy": "delete",
                                                                           "retention.ms": "7d"}},
                                                               {"state": "running",
                                                                "config": {"topic.prefix": "payments"}}))),
             "Resources this stack needs but does not own (another team's topic, a connector): the plan reads each "
             "and fails when it is missing or differs from `expect`; kplan never changes or deletes them. See "
             "docs/stack-format.md, References.",
             ([{"address": "topic.payments.events", "expect": {"min_partitions": 6}}],)),
        Attr("forget", _addressed("<type>.<name>, as the plan says it: topic.orders, connector.orders-sink, "
                                  "acl.User:app", "connector.payments-sink"), "Resources this stack stops owning "
             "without deleting them: kplan drops each from the stack's record and leaves it, and its data, on the "
             "cluster (for another stack to adopt). See docs/stack-format.md, Handing a resource over.",
             ([{"address": "connector.payments-sink"}],)),
        Attr("environments", _map(ref("environment"), ref("resourceName").schema), "Named overlays (dev, staging, "
             "prod, ...) selected with -e/--environment and deep-merged over the stack.", ({"dev": None, "prod": {
                 "cluster": {"bootstrap_servers": "kafka-1:9092,kafka-2:9092,kafka-3:9092"},
                 "defaults": {"topic": {"replication_factor": 3}}}},)))
    return {a.key: a.stack_schema() for a in rows}


def environment() -> dict[str, Any]:
    clusters, cluster, authoritative, defaults, variables, commands = OVERLAID
    return {**_of((
        clusters.but(examples=({"west": {"bootstrap_servers": "kafka-west-prod:9092"}},)),
        cluster.but(description="This environment's cluster settings, merged over the stack's `cluster:` (e.g. other "
                    "bootstrap servers)."),
        authoritative.but(description="The stack-wide authoritative_config in this environment (wins over the "
                          "stack's; a topic's own setting wins over both).", default=NOTHING),
        defaults.but(description="Defaults in this environment, merged over the stack's `defaults:`."),
        variables, commands), "An overlay: mappings are deep-merged, lists and scalars replace, null removes. "
        "topics/connectors/cdc are keyed by name. An empty overlay (`dev:`) changes nothing."),
        "type": ["object", "null"]}


def defaults() -> dict[str, Any]:
    """What every entry has unless it says otherwise (the topic and connector kinds add their settings)."""
    return _of((Attr("owner", ref("resourceOwner"), "The owner every entry of the stack has unless it declares its own "
                     "(docs/stack-format.md, Owners, descriptions and labels)."),
                Attr("labels", ref("resourceLabels"), "Labels every entry of the stack has; an entry's own labels are "
                     "merged over them key by key.")),
               "Settings merged under every entry of the stack (an entry's own value wins; `null` removes a default): "
               "`topic` under every topic, `connector` under every connector, `owner` and `labels` under every entry.",
               examples=[{"owner": "team-orders", "topic": {"replication_factor": 3}}])


def secret_command() -> dict[str, Any]:
    return {**record((
        Attr("command", Type({"type": ["array", "string"], "minItems": 1, "minLength": 1, "items": text(1).schema}),
             "The program and its arguments, e.g. [vault, kv, get, -field=password, secret/kafka]; with shell: true, "
             "one string run by /bin/sh -c.", (["vault", "kv", "get", "-field=password", "secret/kafka/admin"],)),
        COMMAND_TIMEOUT,
        Attr("shell", BOOLEAN, "Run `command` (one string) with /bin/sh -c; false by default.", (True,),
             default=False))).schema, "type": ["object", "null"]}


def claim() -> dict[str, Any]:
    """A claimed prefix: the sections it may cover are the kinds' to say (`claimable_sections`)."""
    return record((
        Attr("prefix", text(1, 249), "The name prefix claimed, e.g. orders. (the resources whose name starts with it; "
             "ACL bindings whose resource name does).", ("orders.",), required=True),
        Attr("prune", ref("flag"), "true: the plan deletes the orphans under the prefix (with protect, --max-deletions "
             "and the confirmation as for any deletion); false (default): they are only listed.", (True,),
             default=False),
        Attr("kinds", list_of(choice(claimable_sections()), min_items=1, unique=True), "The kinds the claim covers "
             "(default: all of them).", (["topics", "connectors"],)),
        _ON.but(description="With `clusters:` (several clusters): the cluster the claim is on. See docs/clusters.md."),
        *_LOOP)).schema


PARTS: dict[str, Callable[[], dict[str, Any]]] = {
    "stack": stack, "environment": environment, "defaults": defaults, "secretCommand": secret_command,
    "claim": claim,
    "policyRule": policy_rule, "policyKinds": policy_kinds, "clientProperties": client_properties, "cluster": cluster,
    "connectWorker": connect_worker, "connectPlugin": connect_plugin}
