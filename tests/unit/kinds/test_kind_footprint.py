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
    "feature": ("FEATURE", "features", ()),
    "records": ("RECORDS", "delete_records", ()),
}

# Each kind's ceiling is where it stands; the goal is 5, and a ceiling may only go down (lower it when a change frees
# a file). What names a kind outside its folder, and why it must:
# - topic: importer/cdc.py (a CDC source's table topics), connector/mirrors.py (a mirror's target topics and the
#   plan's topic creates it replicates), connector/steps.py (a connector's create waits for the run's topic creates)
#   and streams_app/io.py (a Streams app writes its internal topics through the topic kind's writes), both edges of
#   .importlinter's kinds contract, subject/model.py (a topic entry's key_schema and value_schema declare subjects:
#   the subject UNIT's `borrows`), stackfile/sections.py (the topics cdc sources give, built beside them, and the
#   loader's TopicEntry: the declared topics' and theirs, checked for duplicates together), records/kind.py (a
#   delete-records request is refused on a topic another stack owns: the topic's address among the owners).
# - connector: importer/cdc.py (a CDC source is a connector), offsets/kind.py (an offsets request is its
#   connector's: the connector's section and record word), model/cdc_preflight.py (the facts the CDC preflight
#   reads, which kinds/connector/preflight.py judges), stackfile/member.py (the loader's entry of a declared
#   connector holds its ConnectorSpec), stackfile/sections.py (the connectors cdc sources and mirrors give).
# - offsets: connector/keys.py (the `offsets` row of a connector entry's and a CDC source's table),
#   connector/section.py (a connector entry declares its offsets request: .importlinter's edge),
#   connector/steps.py (a connector with a pending request is created stopped), model/plan.py (its ResourceType),
#   stackfile/sections.py (a connector's request carries its entry's metadata).
# - consumer_group: topic/live.py (a live-state document's "consumer_groups", read by the consumer guard beside the
#   topics' slice).
# - acl: streams_app/kind.py (the ACL slice a Streams app's bindings are read from), stackfile/cdc_acls.py and
#   stackfile/sections.py (the bindings a cdc source generates, AclSpec).
# - subject: model/plan.py (its ResourceType).
# - feature: group_request/kind.py (share group requests plan against the share.version the stack's `features`
#   declare), dynamic_config/io/group.py (a group config key plans against its group type's feature version:
#   group.version, share.version, streams.version, finalized or declared).
# Every other kind is named by its own folder and its registration alone. A kind is counted by its ResourceType
# member, its section key as a string and imports of its package, whatever the text around it is: a comment that
# names a kind counts as code does, so the kind-neutral words are the ones written (kinds/base.py's `section`, "its
# entries' key in a stack file").
# Not counted: the importers of other tools' files (`kplan import --from TOOL`) translate that tool's
# vocabulary into kplan's stack and live-state documents, so they name the kinds they map to, by design; adding or
# changing a kind touches none of them (a new kind is not imported from other tools until someone maps it), and the
# documents they write are compatibility surfaces (docs/migrating.md).
OTHER_TOOLS = tuple(f"kplan/importer/{tool}.py" for tool in ("topicctl", "terraform", "strimzi", "kafka_gitops",
                                                             "julieops", "sources"))
CEILINGS = {"topic": 7, "connector": 5, "offsets": 5, "consumer_group": 1, "share_group": 0, "acl": 3,
            "streams_app": 0, "user": 0, "quota": 0, "broker_config": 0, "group_config": 0, "subject": 1,
            "feature": 2, "records": 0}
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
    # A delete-records refusal's advice names the section that moves each kind of group (words of a message, not a
    # reference to the group kinds).
    "consumer_group": {"kplan/kinds/records/kind.py": (r'"consumer_groups"\)',)},
    "share_group": {"kplan/kinds/records/kind.py": (r'"share_groups"\)',)},
    # The examples of a policy rule's and a claim's `kinds` (the sections they hold for): section names as written.
    "connector": {"kplan/kinds/frame.py": (r'\(\["topics", "connectors"\],\)',)},
    # The user kind's section key is also a database table's name: a CDC source's `tables` example; and a kubeconfig's
    # list of users (the operator's credentials).
    "user": {"kplan/kinds/connector/keys.py": (r'\(\["users", \{"name": "orders"',),
             "kplan/operator/kube.py": (r'for u in doc\["users"\]',)},
    # The topic kind's section key is also Kafka's and Connect's word, and other kinds' fields of the topics they
    # name: these spans are those, not a reference to the topic kind.
    "topic": {
        # a consumer or share group's follow-up query (kinds/group_request/model.py's GroupQuery): the topics to
        # resolve
        "kplan/kinds/group_request/io.py": (r'q\.get\("topics"\)',),
        "kplan/kinds/group_request/model.py": (r'follow-up query: \{"topics": ', r'return \{"topics": '),
        # a reset request's `topics:` key (consumer groups' and share groups' `offsets.topics`), its row and examples
        "kplan/kinds/group_request/section.py": (r'raw\.get\("topics"\)', r'smap\.value_loc\(raw, "topics"\)',
                                                r'out\["topics"\] = list\(r\.topics\)', r'Attr\("topics"',
                                                r'"topics": \["orders\.events"\]'),
        # an ACL entry's shorthand `consume: {topics: [...]}` (bindings on resource type topic), its row and examples
        "kplan/kinds/acl/section.py": (r'consume\.get\("topics"\)',),
        "kplan/kinds/acl/model.py": (r'Attr\("topics"', r'\{"topics": \['),
        # Connect's sink `topics` config key
        "kplan/rules/connect.py": (r'"topics" not in config',),
        # MirrorMaker's `topics` config key and a mirror's `topics:` list of patterns (the file's ResourceType.TOPIC
        # uses still count)
        "kplan/kinds/connector/mirrors.py": (r'split\("topics"\)', r"""cfg\.get\(["']topics["']\)"""),
        "kplan/stackfile/mirrors.py": (r'_regexes\(entry, "topics"', r'"source": \{"topics": '),
        # the same two in the connector kind's table: a mirror's `topics` row and example, a sink connector's `topics`
        # config in the examples
        "kplan/kinds/connector/keys.py": (r'Attr\("topics"', r'"source": "main", "topics": ',
                                          r'\{"topics": "orders\.events"'),
        # a Streams app's own `topics:` (its managed internal topics), in its table, its entry and its rendering
        "kplan/kinds/streams_app/section.py": (r'values\["topics"\]', r'smap\.value_loc\(item, "topics"\)',
                                              r'\{"topics": \(\)\}'),
        "kplan/kinds/streams_app/model.py": (r'Attr\("topics"',),
        # the examples of a policy rule's and a claim's `kinds` (the sections they hold for), owner-max-topics' words
        # for its limit, and a reference's `expect: {consume: {topics: [...]}}` (an ACL principal's shorthand), its row
        "kplan/kinds/frame.py": (r'\(\["topics", "connectors"\],\)', r'"topics", 300\)',
                                 r'Attr\("topics", ref\("aclNames"\)', r'\{"topics": \["payments\.events"\]'),
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
