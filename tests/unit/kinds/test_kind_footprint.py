"""How far each kind reaches outside its folder (issue 42): the files of kplan/ that name a kind — its
`ResourceType` member, its stack section's key as a string, or an import of its package — other than its own folder
and its own system's I/O modules, without the uses of the same word that are not the kind's (SAME_WORD). The goal
is at most 5 files per kind; the ceilings below are where each kind stands now and may only go down (lower one when
a change frees a file). `python tests/unit/kinds/test_kind_footprint.py` prints the table with the files."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from kplan.kinds import unit_module

ROOT = Path(__file__).resolve().parents[3]

# kind -> (ResourceType member, section key, its own system's I/O modules)
KINDS = {
    # the topics' read topped up (claimed orphans, a prefetched read): Kafka's topic reads, nothing else (its reads,
    # validation, settling and writes are in its folder, kinds/topic/io/)
    "topic": ("TOPIC", "topics", ("kplan/cluster/claimed.py",)),
    # the kit's Connect clients and writes (the connector and offsets kinds write through them) and Connect's
    # offsets API (also the offsets kind's); the kind's own io is in its folder
    "connector": ("CONNECTOR", "connectors", ("kplan/transport/connect.py", "kplan/transport/offsets.py")),
    "offsets": ("OFFSETS", "offsets", ("kplan/transport/offsets.py",)),
    # the group-request kinds, one family (kinds/group_request/): its I/O is in its folder (io.py)
    "consumer_group": ("CONSUMER_GROUP", "consumer_groups", ()),
    "share_group": ("SHARE_GROUP", "share_groups", ()),
    "acl": ("ACL", "acls", ()),
    "streams_app": ("STREAMS_APP", "streams_apps", ()),
    "user": ("USER", "users", ()),
    # the dynamic-config kinds, one family (kinds/dynamic_config/): each one's I/O names the family's package
    "quota": ("QUOTA", "quotas", ()),
    "broker_config": ("BROKER_CONFIG", "broker_configs", ()),
    "group_config": ("GROUP_CONFIG", "group_configs", ()),
    # its I/O is in its folder (kinds/subject/io/)
    "subject": ("SUBJECT", "subjects", ()),
}

# Where each kind stands (2026-11-25, after topics and connectors became kinds); the goal is 5.
# ("offsets" over-counted until SAME_WORD below: the word is also a consumer group's offsets key and Kafka's own.)
# quota 1 -> 2 (issue 43.6): kplan/policy/check.py names the section its owner-max-quota rule sums.
# topic 41 -> 40, connector 37 -> 36: the batched reader drives their reads through kind_io's PRIMARY_READS
# (cluster/topic_read.py, kinds/connector/io/read.py) and names no kind.
# topic 40 -> 39 (-3: validate counts the sections by StackSection.always_counted; state/ownership.py's docstring
# says the record's generic form; the import's cdc recognition and plaintext check moved into kplan/importer; +2:
# connector mirrors), connector 36 -> 29, user 3 -> 2, streams_app 1 -> 0: the secret references every plan checks,
# the secrets a run masks, the groups the consumer guard discounts and apply's last words come from each kind's
# UNIT (secret_fields, run_secrets, takes_groups, left_behind).
# topic 39 -> 35 (-5, +1: kinds/consumer_group/failover.py), connector 29 -> 22 (-8, +1: the same), offsets 19 -> 18,
# user 2 -> 1: the stack loader and the importer name no kind but where cdc sources and mirrors give topics,
# connectors and bindings (stackfile/sections.py), the preview of declared topic names (stackfile/pipeline.py) and
# the import's cdc recognition (importer/cdc.py). Each kind's StackSection says whether it is overlaid by name, long
# (memoised by the schema) and its load-wide checks; `merge.SECTION_OF` gives the lists, entry words and overlays;
# render, the secret references resolved and `kplan import` go through the UNIT (render_ref, secret_fields,
# importer_ref); config maps are normalised by kinds/config_map.py.
# topic 35 -> 34, connector 22 -> 21, acl 12 -> 11, user 1 -> 0, broker_config 2 -> 0, group_config 2 -> 0: each kind's
# UNIT names its reads and plan-time validation (`io=KindIO(...)`); cluster/kind_io.py derives its tables from them.
# offsets 18 -> 19, consumer_group 3 -> 4 (issue 45.2): kplan/kinds/share_group/shared.py, the one module by which a
# share group's request takes a consumer group's reset forms (an edge of .importlinter's kinds contract), and its
# "offsets" key; topic 34 -> 36: the share_groups section's `offsets.topics` key (share_group/section.py) and the
# share-group read's query (cluster/share_groups.py), as a consumer group's.
# topic 36 -> 37 (issue 45.5): kplan/plan/rebalance.py, `kplan plan --rebalance/--elect-leaders` as topic updates
# (the assignment itself is the kind's, kinds/topic/balance.py; the renderers' distribution names no kind).
# topic 37 -> 35, connector 21 -> 16, offsets 19 -> 18, acl 11 -> 10: the planner asks every kind what its system's
# version cannot do (Kind.version_checks: kinds/connect_features.py, plan/connect_version.py gone) and what it planned
# without (Kind.not_read); `kplan status`'s own read is registered (io.status_read_ref, status_with_ref: a CDC source's
# health); the CDC preflight's database reads return facts (model/cdc_preflight.py) that connect_validation.py gives
# the kind's checks; prefetch imports every kind's planning module from the units and tops a read up through
# cluster/claimed.py, as the claims do; the early read asks for session/plan.py's read_request.
# offsets 18 -> 13, consumer_group 4 -> 3: share groups and consumer groups share kinds/requests.py and kinds/resets/
# (share_group/shared.py, which named the consumer group's modules and its "offsets" key, is gone).
# acl 10 -> 4 (-6): an ACL binding is Kafka's, not the acl kind's (kplan/kinds/bindings.py: the binding, its JSON and a
# step's (principal, binding)), so transport/acls.py, cluster/kafka_admin.py, kinds/ports.py and the Streams app's
# model, live and importer name no acl module (.importlinter's five streams_app -> acl edges are gone); the Streams
# app reads the ACL slice in one place (streams_app/kind.py's acl_slice). Left: streams_app/kind.py (the ACL slice,
# the acls-entry warning), streams_app/steps.py (its steps' journal key "acls"), stackfile/cdc_acls.py (AclSpec) and
# stackfile/sections.py.
# topic 35 -> 32, connector 16 -> 13, offsets 13 -> 9, consumer_group 3 -> 1: LiveState.topic_names() (the one
# fallback from every topic name to the topics' slice, four copies before); each kind's part of a live-state
# document is described in its live.py, not kinds/livejson.py; Connect's offsets API (read and writes) is
# cluster/offsets.py's, ConnectWriter delegates to it (as to cluster/restart.py); policy/check.py takes a section's
# address word from ResourceType, without naming offsets; the offsets kind names its connector in kind.py only (its
# record part asks it); the data-flows picture is drawn by each kind's part (`flows_ref`, kinds/flows.py:
# topic/flows.py, connector/flows.py with mirrors.draw_mirror, consumer_group/flows.py), render/html/flows.py names
# no kind.
# topic 32 -> 31, connector 13 -> 9, quota 2 -> 1: `kplan status`'s summary counts connectors by state through the
# connector's UNIT (status_tally_ref, a model/status.StateTally: model/status.py and render/status.py name no kind);
# each kind's policy checks are its own (policy_ref, a kinds/policy.PolicyPart: topic/, connector/, quota/
# policy.py) and policy/check.py, above the kinds now, composes them; the topic kind asks the kind registered as
# keeping topics (keeps_topics_ref, kinds/keepers.TopicKeepers: connector/keepers.py, a CDC source's schema history
# and table topics) instead of naming connectors in topic/kind.py.
# connector 9 -> 6, offsets 9 -> 5: Connect's REST calls the writer delegates to (cluster/offsets.py, restart.py) are
# the connector's own system's I/O, as connect_writer.py is; a consumer group's failover finds the stack's mirrors by
# model/mirror.declared_mirrors, whichever resources carry them (as the subject kind does), not in the connectors'
# section. "offsets" is measured without the uses of the same word that are not the offsets kind's (SAME_WORD).
# topic 31 -> 12 (round 4). -13: the word "topics" meaning something else (SAME_WORD drops those spans) — a group
# reset request's key and its follow-up query's (cluster/groups.py, share_groups.py, kinds/resets/model.py,
# parse.py, consumer_group/failover.py, section.py, share_group/section.py), an ACL shorthand's `consume.topics`
# (acl/section.py), Connect's and MirrorMaker's `topics` config key (connector/connects.py, flows.py,
# stackfile/mirrors.py; connector/mirrors.py's still counts for its ResourceType.TOPIC), a Streams app's own
# `topics:` (streams_app/section.py, steps.py). Comments that name the topic kind (kinds/base.py's and
# schema_parts.py's examples, connector/record.py's pointer) still count: a mention is not exempted for being prose.
# -1: `kplan plan --rebalance/--elect-leaders` is the topic kind's part (kinds/topic/rebalance.py, its UNIT's
# rebalance_ref, a model/rebalance.Rebalancing; kinds.rebalancing() finds it, naming no kind). -1: so is the consumer
# guard (kinds/topic/consumers.py, consumer_guard_ref, a kinds/unit.ConsumerGuard; the planner asks it,
# hands it the groups `leaving` finds and names no kind; the guard's codes are model/consumers.py's). -2: the
# subject kind names the section it borrows from in its UNIT only (subject/section.py's BORROWED, SCHEMA_KEYS).
# -2: cluster/claimed.py and settle.py are the topic's own system's I/O (Kafka's topic reads, nothing else).
# Left, real: importer/cdc.py (a CDC source is a connector and its table topics), connector/mirrors.py (a mirror's
# target topics, their owners, the plan's topic creates it replicates), connector/steps.py (its create waits for the
# run's topic creates: .importlinter's edge), subject/unit.py (its `borrows`), model/consumers.py (a live-state
# document's consumer side: each topic entry's end offsets, beside the groups), model/live.py
# (LiveState.topic_names(), the one accessor), session/plan.py (the batched read is limited to the stack's and its
# references' topic names, `read(topic_names=)`; a rebalance's leaders read), stackfile/pipeline.py (those names
# previewed for the early read) and stackfile/sections.py (the topics and connectors cdc sources give).
# connector 6 -> 5 (round 5): the Connect clusters' facts (the plugins and each one's installed versions, each
# worker's version, the clusters that could not be read) are the connectors' slice's, `KindState.facts` (a
# kinds/connect_features.ConnectFacts, which the offsets kind reads too; the read gives them with its answer,
# connector/live.ConnectsRead, and the planner hands a kind its slice's facts as `PlanContext.facts`), not
# LiveState's connector_plugins, connect_problems, connect_versions and plugin_versions (model/live.py, whose
# comments pointed at the connector's modules; PlanContext.plugins is gone too); a live-state document keeps them
# at its top level, as before (the connector's live_from_json reads them). Left, real: importer/cdc.py (a CDC
# source's connector), kinds/offsets/kind.py (an offsets request is its connector's: .importlinter's edge),
# stackfile/sections.py (the connectors cdc sources and mirrors give), model/desired.py (ConnectorSpec's comments
# on restart_failed and moved_from point at the modules that act on them: ConnectorSpec is still a model/ type,
# imported by cluster/ and stackfile/ modules that name no connector module), model/cdc_preflight.py (its
# docstring: the facts the CDC preflight reads, judged by kinds/connector/preflight.py).
# topic 12 -> 6 (round 5). -2: the batched read's scope is registered by the kind (`KindIO.read_scope_ref`, (stack)
# -> names: kinds/topic/section.py's read_scope, the topics declared and referenced): session/plan.py's read_request
# asks the units and stackfile/pipeline.py previews the names the entries of `kplan.kinds.scoped_sections()` declare
# (the batched read itself still takes ONE list of names, `read(topic_names=)`, handed to every primary read and
# used by the topics' alone: one kind at most may register a scope, tests/unit/cluster/test_primary_reads.py);
# the leaders an election reads first are the Rebalancing's `leaders_wanted` (kinds/topic/rebalance.py;
# kinds.rebalancing() finds it). -1: a live-state document's consumer side (its "consumer_groups" and each topic entry's
# end offsets) is read by the consumer guard (`ConsumerGuard.from_json`: kinds/topic/live.py's consumers_from_json,
# moved from model/consumers.py; kinds/livejson.py asks the unit) — consumer_group's one file moves with it, from
# model/consumers.py to kinds/topic/live.py (the document's "consumer_groups" key, which the guard reads beside that
# kind's slice), as do SAME_WORD's two offsets spans. -3, comments reworded (the kind-neutral text says as much):
# kinds/base.py's `section` ("its stack section, e.g. "topics"" -> "its entries' key in a stack file"),
# kinds/schema_parts.py's `extend` example (`{"environment": {"topics": ...}}` -> `{"<definition>": {"<property>":
# ...}}`), kinds/connector/record.py's record_after ("As a topic's (kplan.kinds.topic.record), but ..." -> what it
# keeps, said in full). Left, real: importer/cdc.py (a CDC source's table topics), connector/mirrors.py (a mirror's
# target topics and the plan's topic creates it replicates), connector/steps.py (its create waits for the run's
# topic creates: .importlinter's edge), subject/unit.py (its `borrows` of the topics' key_schema/value_schema),
# model/live.py (LiveState.topic_names(): the topics' slice when all_topic_names was not read, what the kinds whose
# resources own or need topics look in), stackfile/sections.py (the topics cdc sources give, built beside them).
# topic 6 -> 5: LiveState.topic_names() is `all_topic_names` alone; a live-state document that does not list the
# cluster's topic names lists those its topics' part describes, a default the topic kind's part gives
# (`KindUnit.live_defaults_ref`, kinds/topic/live.py's document_defaults; kinds/livejson.py asks the units). Every
# kind is now at most 5. Left, real (the derived resources): importer/cdc.py, connector/mirrors.py,
# connector/steps.py, subject/unit.py, stackfile/sections.py.
# consumer_group and share_group (issue 57): one family written once, kinds/group_request/ (its folder is theirs, as
# their own folders were; kinds/resets/ and their two folders are gone).
# quota 1 -> 0 (issue 57: the dynamic-config family, kinds/dynamic_config/): kinds/ports.py names no quota type.
# subject 5 -> 1 (issue 57: its I/O is kinds/subject/io/, kplan/registry/ is gone): kinds/ports.py has no registry
# port, session/many.py imports each kind's follow-up and validation ahead by its UNIT. Left: model/plan.py (its
# ResourceType).
# topic 5 -> 6 (issue 57: the topic kind's writes are in its folder, kinds/topic/io/writes.py): a Streams app's io
# writes its internal topics through them (kinds/streams_app/io.py, .importlinter's edge), as it did through
# cluster/kafka_admin.py, which the topic's own system's I/O exempted; the dependency is now named where it is.
# Not counted (issue 58): the importers of other tools' files (`kplan import --from TOOL`) translate that tool's
# vocabulary into kplan's stack and live-state documents, so they name the kinds they map to, by design; adding or
# changing a kind touches none of them (a new kind is not imported from other tools until someone maps it), and the
# documents they write are compatibility surfaces (docs/migrating.md).
OTHER_TOOLS = tuple(f"kplan/importer/{tool}.py" for tool in ("topicctl", "terraform", "strimzi", "kafka_gitops",
                                                             "julieops", "sources"))
CEILINGS = {"topic": 6, "connector": 5, "offsets": 5, "consumer_group": 1, "share_group": 0, "acl": 3,
            "streams_app": 0, "user": 0, "quota": 0, "broker_config": 0, "group_config": 0, "subject": 1}
GOAL = 5

# Text a kind's pattern matches that is not a reference to that kind, by kind and file, each with why: the census
# drops exactly these spans before it searches (so another mention in the same file still counts), and a span that
# no longer matches fails test_every_same_word_exemption_still_matches. The offsets kind's word is its package name,
# its ResourceType value and its record word, and also Kafka's and Connect's own word.
SAME_WORD: dict[str, dict[str, tuple[str, ...]]] = {
    "offsets": {
        # the registry's list of every kind by package name (no other kind's name is its section key)
        "kplan/kinds/__init__.py": (r'^ORDER = \(.*"offsets"',),
        # the ResourceType member's definition, as every kind's is (TOPIC = "topic" matches nothing)
        "kplan/model/plan.py": (r'^    OFFSETS = "offsets"',),
        # a consumer or share group's reset request: its stack entry's key and the plan's word for positions
        "kplan/kinds/group_request/model.py": (r'^EARLIEST, LATEST, AT_TIME, AGO, POSITIONS = .*"offsets"$',
                                        r'^OFFSETS = "offsets"'),
        # a live consumer group's committed offsets in a live-state document (its consumer side, read by the consumer
        # guard's kind)
        "kplan/kinds/topic/live.py": (r'"offsets": \{"orders"', r'g\.get\("offsets"\)'),
        # the offsets Connect has for a connector its delete removes, journaled so that the undo puts them back
        "kplan/kinds/connector/handlers.py": (r'ctx\.record\(\{"offsets": ',
                                              r'\.get\("offsets"\)  # None: never read'),
    },
    # The topic kind's section key is also Kafka's and Connect's word, and other kinds' fields of the topics they
    # name: these spans are those, not a reference to the topic kind (issue 42, round 4).
    "topic": {
        # a consumer or share group's follow-up query (kinds/group_request/model.py's GroupQuery): the topics to
        # resolve
        "kplan/kinds/group_request/io.py": (r'q\.get\("topics"\)',),
        "kplan/kinds/group_request/model.py": (r'follow-up query: \{"topics": ', r'return \{"topics": '),
        # a reset request's `topics:` key (consumer groups' and share groups' `offsets.topics`)
        "kplan/kinds/group_request/section.py": (r'raw\.get\("topics"\)', r'smap\.value_loc\(raw, "topics"\)',
                                                r'out\["topics"\] = list\(r\.topics\)'),
        # an ACL entry's shorthand `consume: {topics: [...]}` (bindings on resource type topic), its row and examples
        "kplan/kinds/acl/section.py": (r'consume\.get\("topics"\)',),
        "kplan/kinds/acl/model.py": (r'Attr\("topics"', r'\{"topics": \['),
        # Connect's sink `topics` config key
        "kplan/rules/connect.py": (r'"topics" not in config',),
        # MirrorMaker's `topics` config key and a mirror's `topics:` list of patterns (the file's ResourceType.TOPIC
        # uses still count)
        "kplan/kinds/connector/mirrors.py": (r'split\("topics"\)', r"""cfg\.get\(["']topics["']\)"""),
        "kplan/stackfile/mirrors.py": (r'_regexes\(entry, "topics"', r'"source": \{"topics": '),
        # a Streams app's own `topics:` (its managed internal topics), in its entry and its rendering
        "kplan/kinds/streams_app/section.py": (r'item\.get\("topics"\)', r'smap\.value_loc\(item, "topics"\)',
                                              r'out\["topics"\] = \[\{"name": t\.name'),
    },
}


def mentions(kind: str) -> list[str]:
    member, section, own_io = KINDS[kind]
    package = unit_module(kind).rpartition(".")[0]  # its own, or its family's
    rx = re.compile(rf"ResourceType\.{member}\b|[\"']{section}[\"']|kplan\.kinds\.{package}\b"
                    rf"|kplan\.kinds import .*\b{package}\b")
    out = []
    folder = package.replace(".", "/")
    for path in sorted((ROOT / "kplan").rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith(f"kplan/kinds/{folder}/") or rel in own_io or rel in OTHER_TOOLS:
            continue
        text = path.read_text(encoding="utf-8")
        for span in SAME_WORD.get(kind, {}).get(rel, ()):
            text = re.sub(span, "", text, flags=re.M)
        if rx.search(text):
            out.append(rel)
    return out


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_a_kind_reaches_no_further_than_its_ceiling(kind):
    files = mentions(kind)
    assert len(files) <= CEILINGS[kind], (
        f"{kind} is named in {len(files)} files outside its folder (ceiling {CEILINGS[kind]}): {files}")


def test_every_registered_kind_is_measured():
    from kplan.kinds import ORDER

    assert set(ORDER) == set(KINDS) == set(CEILINGS)


def test_every_same_word_exemption_still_matches():
    """An exemption names text that is there: one that matches nothing (the line changed) is stale."""
    for kind, files in SAME_WORD.items():
        for rel, spans in files.items():
            text = (ROOT / rel).read_text(encoding="utf-8")
            stale = [s for s in spans if not re.search(s, text, flags=re.M)]
            assert not stale, f"{kind}'s exemptions in {rel} match nothing: {stale}"


def test_the_composers_name_no_kind():
    """The validator, the batched reader, the planner, `kplan status` (its report and rendering), the policy checks and
    the data-flows picture, `kplan plan --rebalance` and the consumer guard ask every kind through its
    registration."""
    for rel in ("kplan/cluster/validator.py", "kplan/cluster/reader.py", "kplan/plan/planner.py",
                "kplan/commands/status.py", "kplan/model/status.py", "kplan/render/status.py", "kplan/policy/check.py",
                "kplan/render/html/flows.py", "kplan/session/plan.py", "kplan/session/run.py"):
        text = (ROOT / rel).read_text(encoding="utf-8")
        named = [k for k, (member, section, _) in KINDS.items()
                 if re.search(rf"ResourceType\.{member}\b|[\"']{section}[\"']|kplan\.kinds\.{k}\b", text)]
        assert not named, f"{rel} names {named}"


if __name__ == "__main__":
    verbose = "-v" in sys.argv
    for k in KINDS:
        files = mentions(k)
        # where: the shared rooms (what every new kind would edit) or other kinds' folders (the edges between kinds,
        # declared in .importlinter's kinds contract, and other kinds' uses of the same word)
        kinds_side = sum(f.startswith("kplan/kinds/") and f.count("/") > 2 for f in files)
        print(f"{k:15} {len(files):3} (ceiling {CEILINGS[k]}, goal {GOAL}): {len(files) - kinds_side} in shared rooms, "
              f"{kinds_side} in other kinds' folders")
        if verbose:
            for f in files:
                print("   ", f)
