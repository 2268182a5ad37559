"""The dynamic-config kinds' stack sections, each entry one entity's keys: the family's shape (`KeysShape`, a
`kplan.kinds.shape.Shape` with the family's words and its plan images), and each kind's table of keys. Pure and light
(loading a stack imports it). The JSON Schema, derived from the tables, checks the shape; here what it cannot say:
the entity, an entity declared twice, a quota in a human unit and above zero.

    broker_configs:
      - broker: "<default>"          # the cluster-wide dynamic default; or a broker id: 1
        configs:
          log.retention.ms: 604800000
        authoritative: false         # true: dynamic keys of this entity not declared here are deleted
        allow_dangerous: []          # keys that can cut the cluster off (listeners, ssl.*...) this entry may set
    group_configs:
      - group: orders-service        # a consumer, share or streams group
        configs:
          consumer.session.timeout.ms: 60000
        authoritative: false         # true: dynamic keys of this group not declared here are deleted
    quotas:
      - user: orders-service         # or client_id: web, or both; "<default>" is Kafka's default entity
        producer_byte_rate: 1MiB     # bytes per second (human sizes, like *.bytes configs)
        request_percentage: 50       # percent of one network/I-O thread
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

from kplan.kinds.dynamic_config.model import DEFAULT_BROKER, SENSITIVE, KeysSpec, QuotaEntity, entity_sort
from kplan.kinds.policy import PolicyPart
from kplan.kinds.shape import (
    BOOLEAN,
    NUMBER,
    Attr,
    Shape,
    Type,
    Unit,
    fields_of,
    list_of,
    map_of,
    named,
    nullable,
    number,
    row,
    scalars,
    text,
)
from kplan.model.desired import freeze, origin_data
from kplan.model.diagnostics import Diagnostics
from kplan.model.policy import RuleType
from kplan.model.source import Loc, Origin, SourceMap
from kplan.rules.units import UnitError, parse_size_bytes

Declared = tuple[dict[str, Any], dict[str, Origin]]  # an entry's keys, and where each is declared


def config_value(raw: Any) -> str:
    """A declared config value (a scalar: the schema checked it) as Kafka stores it, a string."""
    if isinstance(raw, bool):
        return "true" if raw else "false"
    return str(raw)  # a float's str is its repr


class Planned:
    """A kind's words in the plan schema's planned payload: each key's value before and after (their type, their
    words), the key's words, the values' words."""

    __slots__ = ("value", "key", "before", "after", "values")

    def __init__(self, value: Type, key: str, before: str, after: str, values: str) -> None:
        self.value, self.key, self.before, self.after, self.values = value, key, before, after, values


class KeysShape(Shape):
    """A dynamic-config kind's section. `what`: its entries in messages ("broker configs"); `entity_key`: the key an
    entry, a plan and a rendering name the entity by (of the `entity_types` it is named by); `values_key`: its keys'
    key in a plan and a rendering (`flat`: its values are the entry's own keys, those in a unit: a quota's; else the
    entry's `configs` map); `key_word`: one of its keys in messages; `twice`: an entity declared twice, (what is,
    formatted with the entity; what to do). Its plan images: `entity` and `values`, the rows of the resource;
    `planned_entity` and `planned_values`, the payload's."""

    def __init__(self, *table: Any, what: str, entity_key: str, twice: tuple[str, str], entity: Attr, values: Attr,
                 planned_entity: tuple[Attr, ...], planned_values: Planned, entity_types: tuple[type, ...] = (str,),
                 values_key: str = "configs", flat: bool = False, key_word: str = "", **words: Any) -> None:
        super().__init__(*table, **words)
        self.what, self.entity_key, self.twice, self.entity_types = what, entity_key, twice, entity_types
        self.values_key, self.key_word, self.flat_values = values_key, key_word, flat
        self.entity, self.values, self.planned_entity, self.planned_values = entity, values, planned_entity, \
            planned_values

    @property
    def flat(self) -> tuple[str, ...]:
        """A flat entry's values' keys: its keys in a unit (so a new quota key is one row)."""
        return tuple(a.key for a in self.attrs if a.unit is not None) if self.flat_values else ()

    def plan_images(self) -> tuple[dict[str, Any], dict[str, Any]]:
        p = self.planned_values
        item = fields_of((row("key", text(), p.key), row("before", nullable(p.value), p.before),
                       row("after", nullable(p.value), p.after)))
        planned = (*self.planned_entity, row("values", list_of(item), p.values))
        return (fields_of((self.entity, self.values), self.resource).schema,
                fields_of(planned, self.planned_description).schema)

    def entity_of(self, item: dict[str, Any], loc: Loc, smap: SourceMap, diags: Diagnostics) -> Any:
        """The entity an entry names (None: an error said why, or the schema did)."""
        raise NotImplementedError

    def values_of(self, item: dict[str, Any], loc: Loc, smap: SourceMap, diags: Diagnostics, entity: Any
                  ) -> Declared | None:
        """An entry's values as the kind holds them and where each is declared; None after an error."""
        configs, origins = {}, {}
        for key, value in (item.get("configs") or {}).items():
            at = smap.value_loc(item["configs"], key) or loc
            configs[str(key)], origins[str(key)] = config_value(value), Origin(at.file, at.line, at.column)
        return configs, origins

    def order(self, name: str) -> Any:
        """An entity's place among the others, by its name."""
        return name

    def shown(self, value: Any) -> Any:
        """A value as plans, renderings and the status show it."""
        return value

    def entity_json(self, entity: Any) -> Any:
        return entity

    def entity_image(self, entity: Any, values: Mapping[str, Any]) -> dict[str, Any]:
        """An entity's keys as a plan's before/after and `kplan render` show them."""
        return {self.entity_key: self.entity_json(entity),
                self.values_key: {k: self.shown(v) for k, v in sorted(values.items())}}

    def import_entry(self, entity: Any, values: Mapping[str, Any]) -> dict[str, Any]:
        """An entity's live keys as a stack entry writes them (kplan import)."""
        if self.flat:
            return {**self.entity_json(entity), **self.imported(values)}
        return {self.entity_key: entity, "configs": dict(sorted(values.items()))}

    def build(self, entries: list[tuple[Any, Loc]], smap: SourceMap, diags: Diagnostics
              ) -> tuple[KeysSpec[Any, Any], ...]:
        seen: dict[Any, Loc] = {}
        out = []
        for item, loc in entries:
            if not isinstance(item, dict):
                continue
            entity = self.entity_of(item, loc, smap, diags)
            if entity is None or diags.declared_again(seen, entity, loc, self.twice[0].format(entity), self.twice[1]):
                continue
            declared = self.values_of(item, loc, smap, diags, entity)
            options = self.read(item, loc, smap, diags, only=("authoritative", "allow_dangerous"))
            if declared is not None and options is not None:
                out.append(KeysSpec(entity, freeze(declared[0]), bool(options.get("authoritative")),
                                    frozenset(options.get("allow_dangerous") or ()),
                                    Origin(loc.file, loc.line, loc.column), freeze(declared[1])))
        return tuple(sorted(out, key=lambda s: self.order(s.name)))

    def rendered(self, spec: KeysSpec[Any, Any]) -> dict[str, Any]:
        """An entity's declared keys as Kafka takes them."""
        doc = self.entity_image(spec.entity, spec.values)
        if spec.authoritative:
            doc["authoritative"] = True
        if spec.allow_dangerous:
            doc["allow_dangerous"] = sorted(spec.allow_dangerous)
        doc["origin"] = origin_data(spec.origin)
        return doc

    def entry_word(self, item: object) -> str:
        """An entry as the loader's messages name it."""
        if isinstance(item, dict) and isinstance(item.get(self.entity_key), self.entity_types):
            return f"the {self.what} of {item[self.entity_key]}"
        return f"the {self.what} entry"


# -- the config kinds: an entity and a map of its configs --------------------------------------------------------

CONFIGS = map_of(scalars("string", "integer", "number", "boolean"), keys=text(pattern="^[A-Za-z0-9._-]+$"))
CONFIG_VALUES = Planned(text(), "The config key.", "Its dynamic value before apply (null: absent).",
                        "The value apply sets (null: deleted).",
                        "Per key, its dynamic value before and the value apply sets.")
SHOWN_CONFIGS = Attr("configs", text(), plan="Its dynamic configs, key -> value.", plan_type=map_of(text()),
                     plan_required=True)


def configs(description: str, example: dict[str, Any]) -> Attr:
    return Attr("configs", CONFIGS, description, (example,), required=True)


def planned(whose: str) -> str:
    return (f"What apply does to {whose} dynamic configs: per key its exact dynamic value before and the value to set "
            "(null: absent / deleted).")


def authoritative(what: str) -> Attr:
    return Attr("authoritative", BOOLEAN, f"true: dynamic keys of this {what} the entry does not declare are "
                "deleted (with a plan line); false: they are shown as drift and left alone.", (True,), default=False)


class BrokerConfigShape(KeysShape):
    order = staticmethod(entity_sort)

    def entity_of(self, item: dict[str, Any], loc: Loc, smap: SourceMap, diags: Diagnostics) -> str | None:
        raw = item.get("broker")
        broker = str(raw) if isinstance(raw, (int, str)) and not isinstance(raw, bool) else None
        if broker is None or not (broker == DEFAULT_BROKER or broker.isdigit()):
            diags.error(smap.value_loc(item, "broker") or loc,
                        f"broker must be \"{DEFAULT_BROKER}\" (the cluster-wide dynamic default) or a broker id "
                        f"such as 1, not {raw!r}")
            return None
        return broker if broker == DEFAULT_BROKER else str(int(broker))

    def shown(self, value: str | None) -> str:
        return SENSITIVE if value is None else value

    def import_entry(self, entity: Any, values: Mapping[str, Any]) -> dict[str, Any]:
        return super().import_entry(int(entity) if entity.isdigit() else entity, values)


BROKER_CONFIGS = BrokerConfigShape(
    "broker_configs", "brokerConfigs",
    "Dynamic broker configs, one entry per entity: \"<default>\" (the cluster-wide dynamic default) or a broker id "
    "(that broker's own overrides). See docs/stack-format.md (Broker configs).",
    [{"broker": "<default>", "configs": {"log.cleaner.threads": 2}}],
    (
        Attr("broker", scalars("integer", "string"),
             "\"<default>\": the cluster-wide dynamic default (kafka-configs.sh --entity-default); or a broker id (an "
             "integer, or its digits as a string): that broker's own dynamic overrides. An entity is declared once; "
             "a broker the cluster does not have is refused at plan.", ("<default>",), required=True),
        configs("Dynamic broker config key -> value, written as Kafka takes them: strings, numbers and booleans "
                "become their text; no human units. Compared with the entity's dynamic values only; static "
                "server.properties values are shown, never written.",
                {"log.retention.ms": 604800000, "log.cleaner.threads": 2}),
        authoritative("entity"),
        Attr("allow_dangerous", list_of(text(), unique=True, as_set=True),
             "Keys that can cut the cluster off (listeners, advertised.listeners, listener.security.protocol.map, "
             "ssl.*, sasl.*, listener.name.*, log.dirs, authorizer.class.name, super.users...; docs/stack-format.md "
             "lists them) this entry may set or delete; kplan refuses them otherwise.", (["ssl.keystore.location"],)),
    ),
    resource="An entity's dynamic broker configs (key -> value; \"(sensitive)\": a value Kafka does not show).",
    planned_description=planned("an entity's"),
    what="broker configs", entity_key="broker", entity_types=(int, str), key_word="broker config",
    twice=("the broker_configs entry of {}", "declare each broker's (and the default's) configs in one entry"),
    entity=row("broker", text(), "\"<default>\" (the cluster-wide default) or a broker id."),
    values=SHOWN_CONFIGS,
    planned_entity=(row("broker", text(), "\"<default>\" or a broker id."),), planned_values=CONFIG_VALUES,
)


class GroupConfigShape(KeysShape):
    def entity_of(self, item: dict[str, Any], loc: Loc, smap: SourceMap, diags: Diagnostics) -> str | None:
        group = item.get("group")
        if not isinstance(group, str) or not group.strip():
            diags.error(smap.value_loc(item, "group") or loc, f"group must be a group's name, not {group!r}")
            return None
        return group


GROUP_CONFIGS = GroupConfigShape(
    "group_configs", "groupConfigs",
    "Dynamic configs of consumer, share and streams groups (KIP-848's GROUP config resources; Kafka 4.1 or newer), "
    "one entry per group. See docs/group-configs.md.",
    [{"group": "billing", "configs": {"consumer.session.timeout.ms": 45000}}],
    (
        Attr("group", text(min_length=1), "The group's id (group.id, a share group's or a Streams application's id). "
             "It need not exist: Kafka keeps a group's configs for its name.", ("billing",), required=True),
        configs("Group config key -> value (strings, numbers and booleans are written as Kafka takes them): "
                "consumer.session.timeout.ms, consumer.heartbeat.interval.ms, share.record.lock.duration.ms, "
                "streams.num.standby.replicas... The brokers judge keys and ranges at plan time.",
                {"consumer.session.timeout.ms": 45000, "consumer.heartbeat.interval.ms": 5000}),
        authoritative("group"),
    ),
    versions="4.1 or newer (KIP-848's GROUP configs with ListConfigResources v1); refused at plan on older clusters",
    resource="A group's dynamic configs (key -> value).",
    planned_description=planned("a group's"),
    what="group configs", entity_key="group", key_word="group config",
    twice=("the group_configs entry of {}", "declare each group's configs in one entry"),
    entity=row("group", text(), "The group id."), values=SHOWN_CONFIGS,
    planned_entity=(row("group", text(), "The group id."),), planned_values=CONFIG_VALUES,
)


# -- client quotas: an entity of a user, a client id or both, and its quotas as its own keys -----------------------

def _decimal(noun: str) -> Callable[[Any], float]:
    def parse(raw: Any) -> float:
        try:
            return float(raw)
        except (TypeError, ValueError):
            raise UnitError(f"invalid {noun} {raw!r}: use a number such as 50 or 12.5") from None

    return parse


def _byte_rate(value: float) -> Any:
    """A live byte rate as an entry writes it (kplan import): 1048576.0 -> 1MiB."""
    from kplan.rules.stack_values import human_size  # kplan import's only: loading a stack does without it

    return human_size(int(value)) if float(value).is_integer() else value


LIFT = "remove the key to lift the quota"
BYTE_RATE = Unit("a byte rate", lambda raw: float(parse_size_bytes(str(raw))),
                 _byte_rate, above_zero=LIFT, sized=True, sign="/s")
PERCENTAGE = Unit("a percentage", _decimal("percentage"), number, above_zero=LIFT, sign="%")
MUTATION_RATE = Unit("a mutation rate", _decimal("mutation rate"), number, above_zero=LIFT, sign="/s")
RATE = named("quotaByteRate", scalars("integer", "string"), "Bytes per second, above 0: a number, or a size in B, "
             "KiB, MiB, GiB (KB and MB are refused as ambiguous).", ("2MiB", 1048576))


class QuotaShape(KeysShape):
    """An entry names its entity by `user`, `client_id` or both; its quotas are its own keys, in human units."""

    def entity_of(self, item: dict[str, Any], loc: Loc, smap: SourceMap, diags: Diagnostics) -> QuotaEntity | None:
        user, client = item.get("user"), item.get("client_id")
        if user is None and client is None:
            diags.error(loc, "a quota entry names no entity: set user, client_id, or both")
            return None
        return QuotaEntity(user, client)

    def values_of(self, item: dict[str, Any], loc: Loc, smap: SourceMap, diags: Diagnostics, entity: QuotaEntity
                  ) -> Declared | None:
        if not any(key in item for key in self.flat):
            diags.error(loc, f"quota entity {entity.name} declares no quota: set {', '.join(self.flat[:-1])} or "
                             f"{self.flat[-1]}")
            return None
        values = self.read(item, loc, smap, diags, only=self.flat)
        return None if values is None else ({k: v for k, v in values.items() if v is not None}, {})

    def shown(self, value: float) -> int | str:
        """1048576.0 -> 1048576; 12.5 -> "12.5" (plans hold integers or strings)."""
        return int(value) if float(value).is_integer() else repr(float(value))

    def entity_json(self, entity: QuotaEntity) -> dict[str, str]:
        return {k: v for k, v in (("user", entity.user), ("client_id", entity.client_id)) if v is not None}

    def entry_word(self, item: object) -> str:
        return "the quota entry"  # an entity has no one name: a user, a client id, or both


QUOTAS = QuotaShape(
    "quotas", "quota",
    "Client quotas, one entry per entity (a user, a client id, or both): producer/consumer byte rates, request "
    "percentage and controller mutation rate. See docs/stack-format.md (Quotas).",
    [{"user": "orders-app", "producer_byte_rate": "2MiB", "consumer_byte_rate": "4MiB"}],
    (
        Attr("user", text(min_length=1), "The user (principal name without 'User:'), or \"<default>\" for Kafka's "
             "default user.", ("orders-service",)),
        Attr("client_id", text(min_length=1), "The client id, or \"<default>\" for Kafka's default client id. With "
             "user: the user+client-id entity.", ("orders-producer", "<default>")),
        Attr("producer_byte_rate", RATE, "Bytes per second a client may produce (per broker): 1MiB, 512KiB, or a "
             "number of bytes.", ("1MiB",), unit=BYTE_RATE),
        Attr("consumer_byte_rate", RATE, "Bytes per second a client may fetch (per broker): 2MiB, or a number of "
             "bytes.", ("2MiB",), unit=BYTE_RATE),
        Attr("request_percentage", scalars("number", "string"), "Percentage of one request-handler/network thread "
             "a client may use (per broker): a number above 0, 12.5 is fine.", (12.5,), unit=PERCENTAGE),
        Attr("controller_mutation_rate", scalars("number", "string"), "Partitions a client may create or delete "
             "per second with CreateTopics, CreatePartitions and DeleteTopics (KIP-599): a number above 0, 2.5 is "
             "fine.", (10,), unit=MUTATION_RATE),
    ),
    entry_description="One client-quota entity, declared once: a user, a client id, or both (the user+client-id "
                      "entity), with at least one quota.",
    resource="A client-quota entity's quotas (key -> value; byte rates in bytes per second).",
    planned_description="What apply does to a client-quota entity: per key its exact value before and the value to "
                        "set (null: not set / removed).",
    what="client quotas", entity_key="entity", values_key="values",
    flat=True,
    twice=("quota entity {.name}", "declare each entity's quotas in one entry"),
    entity=row("entity", fields_of((row("user", text(), "The user (principal name without User:).", False),
                                    row("client_id", text(), "The client id.", False))),
               "The entity: user, client_id or both (\"<default>\": Kafka's default)."),
    values=row("values", map_of(scalars("integer", "string")), "Its quotas, key -> value (byte rates in bytes per "
               "second)."),
    planned_entity=(row("user", nullable(text()), "The entity's user, or null."),
                    row("client_id", nullable(text()), "The entity's client id, or null.")),
    planned_values=Planned(NUMBER, "The quota key, e.g. producer_byte_rate.",
                           "Its exact value before apply (null: not set).", "The value apply sets (null: removed).",
                           "Per key, its value before and the value apply sets."),
)
# A quota's part of a stack's policy: the owner-max-quota total sums one of its section's keys with a unit
# (kplan.policy.owner_totals).
QUOTA_POLICY = PolicyPart({}, owner_totals=frozenset({RuleType.OWNER_MAX_QUOTA}),
                          summed={a.key: a.unit for a in QUOTAS.attrs if a.unit is not None})
