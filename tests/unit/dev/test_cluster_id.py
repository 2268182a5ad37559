"""The local stack's KRaft cluster ids: never one the storage tool would read as an option (a leading "-", which
URL-safe base64 of a random UUID gives one time in 64 and made `kafka-storage format -t <id>` fail)."""

from localstack.common import new_cluster_id


def test_a_cluster_id_never_starts_with_a_dash_and_has_kafkas_form():
    ids = [new_cluster_id() for _ in range(5000)]
    assert not [i for i in ids if i.startswith("-")]
    assert all(len(i) == 22 and set(i) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
               for i in ids)
    assert len(set(ids)) == len(ids)
