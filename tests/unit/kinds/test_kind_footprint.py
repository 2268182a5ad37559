"""How far each kind reaches outside its folder (issue 42): the files of kplan/ that name a kind — its
`ResourceType` member, its stack section's key as a string, or an import of its package — other than its own folder
and its own system's I/O modules. The goal is at most 5 files per kind; the ceilings below are where each kind
stands now and may only go down (lower one when a change frees a file). `python tests/unit/kinds/test_kind_footprint.py`
prints the table with the files."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]

# kind -> (ResourceType member, section key, its own system's I/O modules)
KINDS = {
    "topic": ("TOPIC", "topics", ("kplan/cluster/topic_validation.py", "kplan/cluster/kafka_admin.py",
                                  "kplan/cluster/topic_read.py")),
    "connector": ("CONNECTOR", "connectors", ("kplan/cluster/connect_validation.py", "kplan/cluster/connect_writer.py",
                                              "kplan/cluster/connects.py", "kplan/cluster/connector_read.py")),
    "offsets": ("OFFSETS", "offsets", ("kplan/cluster/offsets.py",)),
    "consumer_group": ("CONSUMER_GROUP", "consumer_groups", ("kplan/cluster/groups.py",)),
    "share_group": ("SHARE_GROUP", "share_groups", ("kplan/cluster/share_groups.py",)),
    "acl": ("ACL", "acls", ("kplan/cluster/acl_read.py",)),
    "streams_app": ("STREAMS_APP", "streams_apps", ()),
    "user": ("USER", "users", ("kplan/cluster/user_read.py", "kplan/cluster/scram.py")),
    "quota": ("QUOTA", "quotas", ("kplan/cluster/kafka_python.py",)),
    "broker_config": ("BROKER_CONFIG", "broker_configs", ("kplan/cluster/broker_configs.py",)),
    "group_config": ("GROUP_CONFIG", "group_configs", ("kplan/cluster/group_configs.py",)),
    "subject": ("SUBJECT", "subjects", ("kplan/registry/read.py", "kplan/registry/write.py")),
}

# Where each kind stands (2026-11-25, after topics and connectors became kinds); the goal is 5.
# ("offsets" over-counts: the word is also a consumer group's offsets key and Kafka's own.)
# quota 1 -> 2 (issue 43.6): kplan/policy/check.py names the section its owner-max-quota rule sums.
# topic 41 -> 40, connector 37 -> 36: the batched reader drives their reads through kind_io's PRIMARY_READS
# (cluster/topic_read.py, cluster/connector_read.py) and names no kind.
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
# step's (principal, binding)), so cluster/access.py, cluster/kafka_admin.py, kinds/ports.py and the Streams app's
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
CEILINGS = {"topic": 31, "connector": 9, "offsets": 9, "consumer_group": 1, "share_group": 0, "acl": 4,
            "streams_app": 0, "user": 0, "quota": 1, "broker_config": 0, "group_config": 0, "subject": 5}
GOAL = 5


def mentions(kind: str) -> list[str]:
    member, section, own_io = KINDS[kind]
    rx = re.compile(rf"ResourceType\.{member}\b|[\"']{section}[\"']|kplan\.kinds\.{kind}\b"
                    rf"|kplan\.kinds import .*\b{kind}\b")
    out = []
    for path in sorted((ROOT / "kplan").rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith(f"kplan/kinds/{kind}/") or rel in own_io:
            continue
        if rx.search(path.read_text(encoding="utf-8")):
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


def test_the_composers_name_no_kind():
    """The validator, the batched reader, the planner, `kplan status` (its report and rendering), the policy checks and
    the data-flows picture ask every kind through its registration."""
    for rel in ("kplan/cluster/validator.py", "kplan/cluster/reader.py", "kplan/plan/planner.py",
                "kplan/commands/status.py", "kplan/model/status.py", "kplan/render/status.py", "kplan/policy/check.py",
                "kplan/render/html/flows.py"):
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
