"""Transforms and predicates judged without the worker (kplan.rules.smt): a predicate named but not defined, and the
declared key an error about an alias's undeclared setting is located at."""

from kplan.rules.smt import declared_near, undefined_predicates


def test_a_predicate_named_but_not_defined():
    config = {"transforms": "route, mask", "transforms.route.predicate": "isOrders",
              "transforms.mask.predicate": "isLogs", "predicates": "isLogs"}
    assert undefined_predicates(config) == [("transforms.route.predicate", 'transform "route" names predicate '
                                             '"isOrders", which the config does not define (predicates: isLogs); '
                                             "add it to predicates with predicates.isOrders.type")]
    assert undefined_predicates({**config, "predicates": "isLogs,isOrders"}) == []
    # a predicate on a transform the list does not name is not the connector's: Connect ignores it
    assert undefined_predicates({"transforms.x.predicate": "nope"}) == []


def test_an_alias_setting_is_located_at_its_alias():
    declared = {"transforms": 1, "transforms.route.type": 2, "predicates": 3}
    assert declared_near("transforms.route.regex", declared) == "transforms.route.type"
    assert declared_near("transforms.mask.type", declared) == "transforms"
    assert declared_near("predicates.other.type", declared) == "predicates"
    assert declared_near("topics", declared) is None
    assert declared_near("transforms", declared) == "transforms"
