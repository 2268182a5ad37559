"""The dynamic-config kinds' stack sections, each entry one entity's keys (`KeysSection`; a kind's subclass states how
an entry names its entity, and its words), and `kplan render`'s view of them. Pure and light (loading a stack
imports it). The JSON Schema checks the shape; here what it cannot say: the entity, an entity declared twice, a value
that is not one.

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

from typing import Any, ClassVar, Generic, Mapping

from kplan.kinds.dynamic_config.model import (
    DEFAULT_BROKER,
    QUOTA_KEYS,
    SENSITIVE,
    E,
    KeysSpec,
    QuotaEntity,
    V,
    entity_sort,
)
from kplan.kinds.policy import PolicyPart
from kplan.model.desired import freeze, origin_data
from kplan.model.diagnostics import Diagnostics
from kplan.model.policy import RuleType
from kplan.model.source import Loc, Origin, SourceMap
from kplan.rules.units import UnitError, parse_size_bytes

Declared = tuple[dict[str, Any], dict[str, Origin]]  # an entry's keys, and where each is declared


def config_value(raw: Any) -> str | None:
    """A declared config value as Kafka stores it (a string); None: not a scalar."""
    if isinstance(raw, bool):
        return "true" if raw else "false"
    return str(raw) if isinstance(raw, (int, float, str)) else None  # a float's str is its repr


class KeysSection(Generic[E, V]):
    """A kind's stack section. `what`: its entries in messages ("broker configs"); `entity_key`: an entity's key in
    an entry (of the `entity_types` it names it by) and in a rendering of its keys, under `values_key`; `key_word`:
    one of its keys in messages; `twice`: an entity declared twice, (what is, formatted with the entity; what to
    do)."""

    what: ClassVar[str]
    entity_key: ClassVar[str]
    twice: ClassVar[tuple[str, str]]
    entity_types: ClassVar[tuple[type, ...]] = (str,)
    values_key: ClassVar[str] = "configs"
    key_word: ClassVar[str] = ""

    def entity(self, item: dict[str, Any], loc: Loc, smap: SourceMap, diags: Diagnostics) -> E | None:
        """The entity an entry names (None: an error said why, or the schema did)."""
        raise NotImplementedError

    def values(self, item: dict[str, Any], loc: Loc, smap: SourceMap, diags: Diagnostics, entity: E
               ) -> Declared | None:
        """An entry's `configs` as Kafka takes them (strings) and where each is declared; None when a value is not
        a scalar (one error each)."""
        configs, origins, ok = {}, {}, True
        raw = item.get("configs") or {}
        for key, value in (raw.items() if isinstance(raw, dict) else ()):
            at = smap.value_loc(raw, key) or loc
            text = config_value(value)
            if text is None:
                diags.error(at, f"{self.key_word} {key}: the value must be a string, number or boolean")
                ok = False
                continue
            configs[str(key)] = text
            origins[str(key)] = Origin(at.file, at.line, at.column)
        return (configs, origins) if ok else None

    def order(self, name: str) -> Any:
        """An entity's place among the others, by its name."""
        return name

    def shown(self, value: Any) -> Any:
        """A value as plans, renderings and the status show it."""
        return value

    def entity_json(self, entity: E) -> Any:
        return entity

    def shape(self, entity: E, values: Mapping[str, Any]) -> dict[str, Any]:
        """An entity's keys as a plan's before/after and `kplan render` show them."""
        return {self.entity_key: self.entity_json(entity),
                self.values_key: {k: self.shown(v) for k, v in sorted(values.items())}}

    def build(self, entries: list[tuple[Any, Loc]], smap: SourceMap, diags: Diagnostics) -> tuple[KeysSpec[E, V], ...]:
        seen: dict[E, Loc] = {}
        out = []
        for item, loc in entries:
            if not isinstance(item, dict):
                continue
            entity = self.entity(item, loc, smap, diags)
            if entity is None or diags.declared_again(seen, entity, loc, self.twice[0].format(entity), self.twice[1]):
                continue
            declared = self.values(item, loc, smap, diags, entity)
            if declared is not None:
                out.append(KeysSpec(entity, freeze(declared[0]), bool(item.get("authoritative", False)),
                                    frozenset(str(k) for k in item.get("allow_dangerous") or []),
                                    Origin(loc.file, loc.line, loc.column), freeze(declared[1])))
        return tuple(sorted(out, key=lambda s: self.order(s.name)))

    def rendered(self, s: KeysSpec[E, V]) -> dict[str, Any]:
        """An entity's declared keys as Kafka takes them."""
        doc = self.shape(s.entity, s.values)
        if s.authoritative:
            doc["authoritative"] = True
        if s.allow_dangerous:
            doc["allow_dangerous"] = sorted(s.allow_dangerous)
        doc["origin"] = origin_data(s.origin)
        return doc

    def entry_word(self, item: object) -> str:
        """An entry as the loader's messages name it."""
        if isinstance(item, dict) and isinstance(item.get(self.entity_key), self.entity_types):
            return f"the {self.what} of {item[self.entity_key]}"
        return f"the {self.what} entry"


class BrokerConfigSection(KeysSection[str, str]):
    what, entity_key, entity_types, key_word = "broker configs", "broker", (int, str), "broker config"
    twice = "the broker_configs entry of {}", "declare each broker's (and the default's) configs in one entry"
    order = staticmethod(entity_sort)

    def entity(self, item: dict[str, Any], loc: Loc, smap: SourceMap, diags: Diagnostics) -> str | None:
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


class GroupConfigSection(KeysSection[str, str]):
    what, entity_key, key_word = "group configs", "group", "group config"
    twice = "the group_configs entry of {}", "declare each group's configs in one entry"

    def entity(self, item: dict[str, Any], loc: Loc, smap: SourceMap, diags: Diagnostics) -> str | None:
        group = item.get("group")
        if not isinstance(group, str) or not group.strip():
            diags.error(smap.value_loc(item, "group") or loc, f"group must be a group's name, not {group!r}")
            return None
        return group


BYTE_RATES = ("producer_byte_rate", "consumer_byte_rate")


def quota_value(key: str, raw: Any) -> float:
    """A declared value as Kafka stores it (a double): byte rates in bytes per second, a percentage as is.
    Raises UnitError (the message says why)."""
    if isinstance(raw, bool):
        raise UnitError(f"{key} must be a number, not {str(raw).lower()}")
    if key in BYTE_RATES:
        value = float(parse_size_bytes(str(raw)))
        what = "a byte rate"
    else:
        try:
            value = float(raw)
        except (TypeError, ValueError):
            raise UnitError(f"invalid percentage {raw!r}: use a number such as 50 or 12.5") from None
        what = "a percentage"
    if value <= 0:
        raise UnitError(f"{key} must be {what} above 0 (remove the key to lift the quota)")
    return value


class QuotaSection(KeysSection[QuotaEntity, float]):
    """An entry names its entity by `user`, `client_id` or both; its quotas are its own keys, in human units."""

    what, entity_key, values_key = "client quotas", "entity", "values"
    twice = "quota entity {.name}", "declare each entity's quotas in one entry"

    def entity(self, item: dict[str, Any], loc: Loc, smap: SourceMap, diags: Diagnostics) -> QuotaEntity | None:
        user, client = item.get("user"), item.get("client_id")
        if user is None and client is None:
            diags.error(loc, "a quota entry names no entity: set user, client_id, or both")
            return None
        if not isinstance(user, (str, type(None))) or not isinstance(client, (str, type(None))):
            return None  # the schema reported it
        return QuotaEntity(user, client)

    def values(self, item: dict[str, Any], loc: Loc, smap: SourceMap, diags: Diagnostics, entity: QuotaEntity
               ) -> Declared | None:
        declared = [key for key in QUOTA_KEYS if key in item]
        if not declared:
            diags.error(loc, f"quota entity {entity.name} declares no quota: set producer_byte_rate, "
                             "consumer_byte_rate or request_percentage")
            return None
        values: dict[str, Any] = {}
        for key in declared:
            try:
                values[key] = quota_value(key, item[key])
            except UnitError as e:
                diags.error(smap.value_loc(item, key) or loc, str(e))
        return (values, {}) if len(values) == len(declared) else None

    def shown(self, value: float) -> int | str:
        """1048576.0 -> 1048576; 12.5 -> "12.5" (plans hold integers or strings)."""
        return int(value) if float(value).is_integer() else repr(float(value))

    def entity_json(self, entity: QuotaEntity) -> dict[str, str]:
        return {k: v for k, v in (("user", entity.user), ("client_id", entity.client_id)) if v is not None}

    def entry_word(self, item: object) -> str:
        return "the quota entry"  # an entity has no one name: a user, a client id, or both


BROKER_CONFIGS, GROUP_CONFIGS, QUOTAS = BrokerConfigSection(), GroupConfigSection(), QuotaSection()
# A quota's part of a stack's policy: the owner-max-quota total sums its section's byte rates
# (kplan.policy.owner_totals).
QUOTA_POLICY = PolicyPart({}, owner_totals=frozenset({RuleType.OWNER_MAX_QUOTA}))
