"""The `streams_apps` section: each entry, one Kafka Streams application. Pure.

    - application_id: orders-enricher     # its application.id: its group, and the prefix of its internal topics
      principal: User:orders-streams      # what its clients authenticate as
      inputs: [orders, "prefix:raw."]     # READ + DESCRIBE
      outputs: [orders-enriched]          # WRITE + DESCRIBE
      exactly_once: true                  # + its transactional ids (prefixed <application.id>-)
      internal_topics: managed            # kplan creates `topics` before the app runs; `app` (default): Streams does
      topics:
        - {name: orders-enricher-counts-changelog, partitions: 3, replication_factor: 3,
           config: {cleanup.policy: compact}}
      delete_internal_topics_on_destroy: false   # destroy leaves the internal topics (and says so)

Its keys and their defaults are its table's (`kplan.kinds.streams_app.model.SHAPE`); the JSON Schema derived from it
checks the shape; what it cannot say is checked here (an application declared twice, a declared internal topic that
is not one of the application's, topics without `internal_topics: managed`).
"""

from __future__ import annotations

from typing import Any

from kplan.kinds.shape import defaulted
from kplan.kinds.streams_app.model import MANAGED, SHAPE, TOPIC, InternalTopicSpec, StreamsAppSpec, is_internal_topic
from kplan.model.desired import freeze
from kplan.model.diagnostics import Diagnostics, entry_words
from kplan.model.source import Loc, Origin, SourceMap


def _internal_topic(app: str, raw: dict[str, Any], at: Loc, diags: Diagnostics) -> InternalTopicSpec | None:
    t = defaulted(TOPIC, raw)
    name = t["name"]
    if not isinstance(name, str):
        return None
    if not is_internal_topic(app, name):
        diags.error(at, f'internal topic "{name}" is not one of streams app "{app}"\'s: Kafka Streams names them '
                        f'"{app}-<name>-changelog" or "{app}-<name>-repartition"')
        return None
    config = {str(k): str(v).lower() if isinstance(v, bool) else str(v) for k, v in (t["config"] or {}).items()}
    return InternalTopicSpec(name, int(t["partitions"]), int(t["replication_factor"]), freeze(config))


def build_streams_apps(entries: list[tuple[Any, Loc]], smap: SourceMap,
                       diags: Diagnostics) -> tuple[StreamsAppSpec, ...]:
    out = []
    for item, loc, app in diags.named_entries(entries, "application_id", 'streams app "{}"',
                                              "declare each application in one entry"):
        values = defaulted(SHAPE.attrs, item)
        mode, declared = values["internal_topics"], values["topics"] or []
        at = smap.value_loc(item, "topics") or loc
        if declared and mode != MANAGED:
            diags.error(at, f'streams app "{app}" declares internal topics but internal_topics is "{mode}": set '
                            f"internal_topics: managed for kplan to create them, or remove topics")
            continue
        if mode == MANAGED and not declared:
            diags.error(smap.value_loc(item, "internal_topics") or loc,
                        f'streams app "{app}" has internal_topics: managed but declares no topics: list them under '
                        "topics (or use internal_topics: app)")
            continue
        topics = [_internal_topic(app, t, smap.value_loc(declared, i) or at, diags)
                  for i, t in enumerate(declared) if isinstance(t, dict)]
        if any(t is None for t in topics):
            continue
        out.append(StreamsAppSpec(
            app, values["principal"], tuple(values["inputs"] or ()), tuple(values["outputs"] or ()),
            values["exactly_once"] is True, mode, tuple(t for t in topics if t is not None),
            values["delete_internal_topics_on_destroy"] is True, origin=Origin(loc.file, loc.line, loc.column)))
    return tuple(sorted(out, key=lambda a: a.name))


def rendered(a: StreamsAppSpec) -> dict[str, Any]:
    """An application's keys (its topics when it declares some) with the bindings kplan generates for it, one line
    each."""
    return _VIEW(a, bindings=[b.describe() for b in a.bindings()])


_VIEW = SHAPE.view({"topics": ()})


entry_word = entry_words("application_id", "streams app", "the streams app entry")
