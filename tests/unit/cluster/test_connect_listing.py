"""Connect leaves a connector whose status it has not written yet out of `GET /connectors?expand=status` (seen in a
loaded CI run: `kplan import` right after a create wrote no connector). `complete_listing` reads such a connector on
its own, so a read never reports a connector that exists as absent."""

from __future__ import annotations

from kplan.kinds.connector.io.read import complete_listing, parse_connectors

CONFIG = {"connector.class": "FileStreamSink", "topics": "t", "name": "late"}


class FakeConnect:
    """Answers GET like a Connect worker: `names` is what `GET /connectors` lists, `info`/`status` per connector
    (absent: 404)."""

    def __init__(self, names, info, status):
        self.names, self.info, self.status, self.asked = names, info, status, []

    def get_json(self, path, *, ok=(200,)):
        self.asked.append(path)
        parts = path.strip("/").split("/")
        if parts == ["connectors"]:
            return list(self.names)
        name = parts[1]
        table = self.status if parts[-1] == "status" else self.info
        if name not in table:
            assert 404 in ok, path
            return {"error_code": 404, "message": f"Connector {name} not found"}
        return table[name]


def test_a_connector_left_out_of_the_expanded_listing_is_read_on_its_own():
    listed = {"early": {"info": {"config": {"name": "early"}, "type": "sink"}, "status": None}}
    fake = FakeConnect(["early", "late"], {"late": {"name": "late", "config": CONFIG, "type": "sink"}}, {})
    body = complete_listing(fake, listed)
    assert set(body) == {"early", "late"}
    late = parse_connectors(body)["late"]
    assert dict(late.config) == CONFIG and late.type == "sink" and late.state is None
    assert fake.asked == ["/connectors", "/connectors/late", "/connectors/late/status"]


def test_its_status_is_taken_when_it_has_one_and_a_connector_deleted_meanwhile_is_left_out():
    status = {"name": "late", "connector": {"state": "RUNNING", "worker_id": "w"}, "tasks": [], "type": "sink"}
    fake = FakeConnect(["late", "gone"], {"late": {"name": "late", "config": CONFIG, "type": "sink"}},
                       {"late": status})
    body = complete_listing(fake, {})
    assert set(body) == {"late"} and parse_connectors(body)["late"].state == "RUNNING"


def test_a_complete_listing_costs_one_more_request():
    listed = {"a": {"info": {"config": {}, "type": "sink"}, "status": None}}
    fake = FakeConnect(["a"], {}, {})
    assert complete_listing(fake, listed) == listed and fake.asked == ["/connectors"]
