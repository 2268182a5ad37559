"""Turning merged topic settings into TopicSpecs, with the topic-level semantic checks: legal names, known
config keys with valid values (Kafka 4.x catalogue), and cross-field rules."""

from __future__ import annotations

from collections import defaultdict
from types import MappingProxyType
from typing import Any, Callable, Iterator, Mapping, Sequence

from kplan.kinds.shape import HIDDEN, Shape, ref
from kplan.kinds.step import name_list
from kplan.kinds.topic.live import shared_config
from kplan.kinds.topic.migration import cutover_of
from kplan.kinds.topic.model import SHAPE as SHAPE  # the unit names the shape by its section
from kplan.kinds.topic.model import TopicSpec
from kplan.model.desired import Stack, freeze
from kplan.model.diagnostics import Diagnostics, entry_words
from kplan.model.source import Loc, Origin, Positions, SourceMap, to_origin
from kplan.rules.ignore import ignore_patterns, unknown_pattern
from kplan.rules.names import collision_key
from kplan.rules.topic_configs import REMOVED_TOPIC_CONFIGS, TOPIC_CONFIGS, check_topic_config
from kplan.rules.units import normalize_topic_config_value

_LEVEL_KEYS = {"compression.gzip.level": "gzip", "compression.lz4.level": "lz4", "compression.zstd.level": "zstd"}


class Aggregate:
    """Cross-field problems coming from one declaration (e.g. defaults) for many topics: reported once, with
    the list of topics, instead of once per topic."""

    def __init__(self) -> None:
        self._items: dict[tuple[Loc, str, str], list[str]] = defaultdict(list)  # (where, message, severity)

    def add(self, loc: Loc, message: str, topic: str, severity: str = "error") -> None:
        self._items[(loc, message, severity)].append(topic)

    def flush(self, diags: Diagnostics) -> None:
        for (loc, message, severity), topics in self._items.items():
            names = sorted(set(topics))
            diags.add(loc, f"{message} (topic{'s' if len(names) > 1 else ''} {name_list(names)})", severity)
        self._items.clear()


def _int(v: object) -> int | None:
    return v if isinstance(v, int) and not isinstance(v, bool) else None


def read_scope(stack: Stack) -> list[str]:
    """The topics a plan of `stack` asks the batched read for (`KindIO.read_scope_ref`): those it declares and those
    its references name (kplan.plan.references), and those its migrations copy from (kplan.kinds.topic.migration);
    the read adds those its record owns."""
    topics = stack.of("topics")
    return [*(t.name for t in topics), *(t.migrate_from for t in topics if t.migrate_from is not None),
            *(r.name for r in stack.references if r.type_word == "topic")]


def build_topic(name: str, settings: dict[str, Any], smap: SourceMap, diags: Diagnostics, agg: Aggregate,
                where: Loc, *, cdc_source: str | None = None, table: str | None = None,
                role: str | None = None) -> TopicSpec | None:
    """A TopicSpec from fully merged settings (defaults < declaration < overlay). None if unusable. (A stack may
    declare a hundred thousand: what most topics need is done inline, the rest only when the settings need it.)"""
    ok = True
    partitions = settings.get("partitions")
    partitions = partitions if partitions.__class__ is int else _int(partitions)
    rf = settings.get("replication_factor")
    rf = rf if rf.__class__ is int else _int(rf)
    if "partitions" not in settings or "replication_factor" not in settings:
        missing = [k for k in ("partitions", "replication_factor") if k not in settings]
        verb, pronoun = ("is", "it") if len(missing) == 1 else ("are", "them")
        diags.error(where, f"{' and '.join(missing)} {verb} not set (set {pronoun} on the topic or in defaults.topic)")
        ok = False
    if partitions is None or partitions < 1 or rf is None or rf < 1:
        ok = False  # missing (reported above) or reported by the schema

    config_in = settings.get("config")
    config_in = config_in if isinstance(config_in, dict) else {}
    memo = tuple([(k, v.__class__, v) for k, v in config_in.items()])
    try:
        shared, cacheable = _CLEAN.get(memo), True
    except TypeError:  # a list as a value (the schema reported it)
        shared, cacheable = None, False
    if shared is None:
        def vloc(key: str) -> Loc:  # made only for a message: ten thousand topics' values need only their origins
            return smap.value_loc(config_in, key) or where

        config, good, clean = _checked_config(config_in, smap, diags, vloc)
        ok = ok and good
        shared = shared_config(config)
        if not _CROSS_KEYS.isdisjoint(config):  # most configs have no key a cross-field rule reads
            _cross_field(name, config, vloc, rf, agg)
        elif clean and cacheable and len(_CLEAN) < 10_000:
            _CLEAN[memo] = shared
    if "ignore_changes" in settings:
        _check_ignored(name, settings["ignore_changes"], smap, agg, where)
    if not ok or partitions is None or rf is None:
        return None
    positions = _positions(smap, config_in)  # then each value's origin is made only when asked
    generated = (cdc_source, table, role)
    spec = TopicSpec(
        name=name,
        partitions=partitions,
        replication_factor=rf,
        config=shared,
        origin=(Origin(where.file, where.line, where.column, cdc_source, table, role) if where is not None
                else to_origin(where, cdc_source, table, role)),
        ignore_changes=ignore_patterns(settings) if "ignore_changes" in settings else (),
        config_origins=(_ConfigOrigins(shared, positions, generated) if positions is not None
                        else _origins(shared, config_in, smap, where, generated)),
    )
    # Its flags at the spec's defaults, the rows' fallbacks: a topic that sets one (few of 100,000) has each read by
    # its row, set on the spec as it is made (frozen: as its __init__ sets its slots, kplan.model.frozen).
    if not _FLAG_KEYS.isdisjoint(settings):
        for key, unset in _FLAGS:
            object.__setattr__(spec, key, v if (v := settings.get(key)).__class__ is bool else unset)
    if "migrate_from" in settings or "cutover" in settings:
        _migrate_from(spec, settings, smap, diags, where)
    return spec


def _migrate_from(spec: TopicSpec, settings: dict[str, Any], smap: SourceMap, diags: Diagnostics, where: Loc) -> None:
    """The topic a migration copies from, set on `spec`; one located error when it names the topic itself."""
    source = settings.get("migrate_from")
    cutover = settings.get("cutover")
    if isinstance(cutover, dict):
        cut_at = smap.value_loc(settings, "cutover") or where
        if source is None:
            diags.error(cut_at, f"topic {spec.name!r} declares a cutover but no migrate_from: a cutover ends a "
                        "migration's copy; name the topic it replaces in migrate_from, or remove cutover")
        try:
            cutover_of(cutover)
        except ValueError as e:
            diags.error(cut_at, f"topic {spec.name!r}: {e}")
        else:
            object.__setattr__(spec, "cutover", freeze(cutover))
    if not isinstance(source, str):
        return  # absent, or the schema reported it
    if source == spec.name:
        diags.error(smap.value_loc(settings, "migrate_from") or where,
                    f"topic {spec.name!r} cannot migrate from itself: name the topic it replaces in migrate_from")
        return
    object.__setattr__(spec, "migrate_from", source)


def flags(shape: Shape) -> tuple[tuple[str, Any], ...]:
    """The table's flags, each with its fallback: a topic holds the boolean its settings give, else that (
    authoritative_config's None: "not set" is not "false", the stack-wide switch decides)."""
    return tuple((a.key, a.fallback) for a in shape.attrs if a.of.schema == ref("flag").schema)


_FLAGS = flags(SHAPE)
_FLAG_KEYS = frozenset(key for key, _ in _FLAGS)


def _check_ignored(name: str, patterns: object, smap: SourceMap, agg: Aggregate, where: Loc) -> None:
    """Each `ignore_changes` pattern that matches no topic config of the catalogue (nor a key Kafka 4 removed, which
    an older cluster's topic may hold): one located error (defaults' once, naming their topics)."""
    for i, pattern in enumerate(patterns if isinstance(patterns, list) else ()):
        if isinstance(pattern, str):
            if pattern not in _UNKNOWN_IGNORED:
                _UNKNOWN_IGNORED[pattern] = unknown_pattern(pattern, [*TOPIC_CONFIGS, *REMOVED_TOPIC_CONFIGS],
                                                             "topic config")
            if (message := _UNKNOWN_IGNORED[pattern]) is not None:
                agg.add(smap.value_loc(patterns, i) or where, message, name)


_UNKNOWN_IGNORED: dict[str, str | None] = {}  # pattern -> its error (None: it matches a topic config)

# A topic's `config:` as written ((key, type, value) of each entry) -> its checked config, for the configs that
# gave no message and have no key a cross-field rule reads: a hundred thousand topics usually have a handful.
_CLEAN: dict[tuple[tuple[str, type, object], ...], Mapping[str, str]] = {}


def _checked_config(config_in: dict[str, Any], smap: SourceMap, diags: Diagnostics, vloc: Callable[[str], Loc]
                    ) -> tuple[dict[str, str], bool, bool]:
    """(the normalized config in key order, whether it is usable, whether it gave no message at all)."""
    ok = clean = True
    config: dict[str, str] = {}
    for key in sorted(config_in):
        raw = config_in[key]
        if raw is None:
            continue
        if isinstance(raw, (dict,)):
            ok = clean = False
            continue
        if isinstance(raw, str) and "${" in raw:
            diags.error(vloc(key),
                        f"{key}: topic configs cannot hold ${{...}} references (Kafka does not resolve them)")
            ok = clean = False
            continue
        value, problems = _checked_value(key, raw)
        if value is None:
            diags.error(vloc(key), problems[0][1])
            ok = clean = False
            continue
        for severity, message in problems:
            at_key = message.startswith(("unknown topic config", f"{key} was removed"))
            diags.add((smap.key_loc(config_in, key) or vloc(key)) if at_key else vloc(key), message, severity)
            ok = ok and severity != "error"
            clean = False
        config[key] = value
    return config, ok, clean


def _origins(config: Mapping[str, str], config_in: dict[str, Any], smap: SourceMap, where: Loc,
             generated: tuple[str | None, str | None, str | None]) -> Mapping[str, Origin]:
    """Each config key's Origin, made at once (a `config:` merged with defaults or an overlay)."""
    return MappingProxyType({  # in key order (sorted), and kept by nobody else
        key: Origin(*pos, *generated) if (pos := smap.value_origin(config_in, key)) else to_origin(where, *generated)
        for key in config})


def _positions(smap: SourceMap, config: dict[str, Any]) -> Positions | None:
    """The raw positions the YAML fast paths kept for a `config:` mapping as written (not one merged with
    defaults or an overlay: those keep their values' locations otherwise)."""
    found = smap._entry(config) if config else None  # the raw form, which SourceMap keeps to itself
    return found if isinstance(found, Positions) else None


class _ConfigOrigins(Mapping[str, Origin]):
    """A topic's `config_origins`: each key's Origin made when asked, from the raw positions of its `config:`
    mapping (a policy finding or a message asks for a few; a hundred thousand topics would make two hundred
    thousand). Equal to the mapping of the same Origins made at once."""

    __slots__ = ("_config", "_positions", "_generated")

    def __init__(self, config: Mapping[str, str], positions: Positions,
                 generated: tuple[str | None, str | None, str | None]) -> None:
        self._config = config  # the topic's config: the same keys
        self._positions = positions
        self._generated = generated  # (cdc_source, table, role)

    def __getitem__(self, key: str) -> Origin:
        if key not in self._config:
            raise KeyError(key)
        file, line, column = self._positions.value_origin(key)
        return Origin(file, line, column, *self._generated)

    def __contains__(self, key: object) -> bool:
        return key in self._config

    def __iter__(self) -> Iterator[str]:
        return iter(self._config)

    def __len__(self) -> int:
        return len(self._config)

    def __repr__(self) -> str:
        return f"mappingproxy({dict(self)!r})"


_CHECKED: dict[tuple[str, type, object], tuple[str | None, tuple[tuple[str, str], ...]]] = {}


def _checked_value(key: str, raw: object) -> tuple[str | None, tuple[tuple[str, str], ...]]:
    """(normalized value, its problems) — or (None, ((error, why),)) when it cannot be normalized. Pure, and
    memoized: ten thousand topics usually share a handful of (key, value) pairs."""
    memo_key = (key, type(raw), raw if not isinstance(raw, list) else tuple(map(repr, raw)))
    try:
        return _CHECKED[memo_key]
    except (KeyError, TypeError):
        pass
    try:
        value = normalize_topic_config_value(key, raw)
    except ValueError as e:
        result: tuple[str | None, tuple[tuple[str, str], ...]] = (None, (("error", str(e)),))
    else:
        result = (value, tuple(check_topic_config(key, value)))
    try:
        if len(_CHECKED) < 10_000:
            _CHECKED[memo_key] = result
    except TypeError:  # an unhashable value: not memoized
        pass
    return result


# A key at least one of the cross-field rules below needs: a config with none of them has nothing to check.
_CROSS_KEYS = frozenset({"min.compaction.lag.ms", "min.insync.replicas", "remote.storage.enable", *_LEVEL_KEYS})


def _cross_field(name: str, config: Mapping[str, str], loc: Callable[[str], Loc], rf: int | None, agg: Aggregate
                 ) -> None:
    """`loc(key)`: where its value was written, looked up when a rule needs it (rarely)."""

    def num(key: str) -> int | None:
        try:
            return int(config[key]) if key in config else None
        except ValueError:
            return None

    lo, hi = num("min.compaction.lag.ms"), num("max.compaction.lag.ms")
    if lo is not None and hi is not None and lo > hi:
        agg.add(loc("min.compaction.lag.ms"),
                f"min.compaction.lag.ms ({lo}) must not exceed max.compaction.lag.ms ({hi})", name)
    isr = num("min.insync.replicas")
    if isr is not None and rf is not None and rf >= 1 and isr > rf:
        agg.add(loc("min.insync.replicas"),
                f"min.insync.replicas ({isr}) must not exceed the replication factor ({rf}): "
                "producers with acks=all could never write", name)
    codec = config.get("compression.type")
    for key, wanted in _LEVEL_KEYS.items():
        if key in config and codec is not None and codec != wanted:
            agg.add(loc(key), f"{key} has no effect unless compression.type is {wanted} (it is {codec})", name,
                    "warning")
    if config.get("remote.storage.enable") == "true":
        policy = config.get("cleanup.policy", "delete")
        if "compact" in policy.split(","):
            agg.add(loc("remote.storage.enable"),
                    "remote.storage.enable requires cleanup.policy=delete (compacted topics cannot be tiered)", name)
        for local, total in (("local.retention.ms", "retention.ms"), ("local.retention.bytes", "retention.bytes")):
            lv, tv = num(local), num(total)
            if lv is not None and tv is not None and tv >= 0 and lv >= 0 and lv > tv:
                agg.add(loc(local), f"{local} ({lv}) must not exceed {total} ({tv})", name)


def check_duplicates_and_collisions(topics: Sequence[tuple[TopicSpec | None, str, Loc, str, Any]],
                                    diags: Diagnostics) -> None:
    """Duplicate names and '.'/'_' collisions (errors, naming both places, incl. CDC-generated topics; the plan
    refuses a collision too). `topics` holds (spec or None, name, location, description) in declaration order."""
    seen: dict[str, tuple[Loc, str]] = {}
    colliding: dict[str, tuple[str, Loc]] = {}
    for _, name, loc, what, _ in topics:
        if name in seen:
            first_loc, first_what = seen[name]
            diags.error(loc, f'duplicate topic "{name}": {what} collides with {first_what} at '
                             f"{first_loc.file}:{first_loc.line}")
            continue
        seen[name] = (loc, what)
        key = collision_key(name)
        if key in colliding and colliding[key][0] != name:
            other, oloc = colliding[key]
            diags.error(loc, f'topic "{name}" collides with "{other}" ({oloc.file}:{oloc.line}): Kafka treats '
                             "'.' and '_' alike in metric names and refuses to create both")
        else:
            colliding.setdefault(key, (name, loc))


entry_word = entry_words("name", "topic")


# `kplan render`'s view of a topic: its table's keys but ignore_changes, those that may be unset only when set
# (authoritative_config None: the stack-wide switch, which kplan.stackfile.export shows in its place).
HIDE = {"ignore_changes": HIDDEN, "allow_consumer_disruption": False, "migrate_from": None, "cutover": None}
rendered = SHAPE.view(HIDE)
