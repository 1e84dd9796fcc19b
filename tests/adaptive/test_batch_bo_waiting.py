"""Batch BO over real loopback sockets before its model can fit: the design, then waiting."""

import numpy as np
import pytest

from adaptive.client import Client
from adaptive.errors import InvalidParameterError

SPACE = {
    "dimensions": [{"name": "a", "low": 0.0, "high": 1.0}, {"name": "b", "low": 0.0, "high": 1.0}]
}
BATCH_BO = {"name": "batch_bo", "options": {"q": 4}}


@pytest.fixture
def client(server):
    with Client(server.endpoint, timeout_s=30, retries=1) as client:
        yield client


@pytest.fixture
def campaign(client):
    return client.call("campaign_create", space=SPACE, strategy=BATCH_BO)["campaign_id"]


def get(client, campaign_id, n):
    return client.call("suggestions_get", campaign_id=campaign_id, n=n)


def test_a_second_driver_waits_on_the_design_the_first_holds(client, campaign):
    first = get(client, campaign, 4)["suggestions"]
    reply = get(client, campaign, 1)
    assert reply["suggestions"] == []
    assert reply["status"] == "running"
    assert reply["waiting_on"] == sorted(s["id"] for s in first)


def test_asking_past_the_design_before_any_measurement_gives_the_design(client, campaign):
    reply = get(client, campaign, 5)
    assert len(reply["suggestions"]) == 4  # n_initial: the model proposes after them
    assert {s["strategy"] for s in reply["suggestions"]} == {"batch_bo:design"}
    assert reply["waiting_on"] == []


def test_with_one_recipe_measured_the_rest_of_the_design_is_waited_on(client, campaign):
    design = get(client, campaign, 4)["suggestions"]
    first = design[0]
    put = {"point": first["point"], "value": 1.0, "suggestion_id": first["id"]}
    client.call("observation_put", campaign_id=campaign, **put)
    reply = get(client, campaign, 2)
    assert reply["suggestions"] == []
    assert reply["waiting_on"] == sorted(s["id"] for s in design[1:])


def test_prediction_with_one_measured_recipe_says_what_it_needs(client, campaign):
    first = get(client, campaign, 4)["suggestions"][0]
    put = {"point": first["point"], "value": 1.0, "suggestion_id": first["id"]}
    client.call("observation_put", campaign_id=campaign, **put)
    points = np.array([[0.5, 0.5]])
    needs = "batch_bo needs two measured recipes to predict; 1 measured so far"
    with pytest.raises(InvalidParameterError, match=needs):
        client.call("model_predict", campaign_id=campaign, points=points)
