"""stacks/secured-access.yaml (SASL_SSL, the authorizer, a SCRAM user: the settings of its header) makes the round
trip (example_round_trip.py) on the secured side of the local stack."""

from __future__ import annotations

from example_round_trip import round_trip
from kplan_helpers import ROOT

import localstack


def test_secured_access_example_round_trip(secured, tmp_path):
    env = {**localstack.stack_env(), "KPLAN_SASL_BOOTSTRAP": secured.bootstrap_servers,
           "KPLAN_CA_FILE": secured.ca_file, "KPLAN_ADMIN_USER": secured.admin_user,
           "KPLAN_ADMIN_PASSWORD": secured.admin_password, "ORDERS_SERVICE_PASSWORD": "orders-service-example-pw"}
    round_trip(ROOT / "stacks" / "secured-access.yaml", env, tmp_path)
