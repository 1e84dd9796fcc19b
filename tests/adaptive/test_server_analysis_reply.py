"""What a driver learns from a put: the value learned and the analysis's features, over
real loopback sockets."""

import numpy as np
import pytest

from adaptive.client import Client

SPACE = {"dimensions": [{"name": "x", "kind": "continuous", "low": 0.0, "high": 1.0}]}


@pytest.fixture
def client(server):
    with Client(server.endpoint, timeout_s=30, retries=1) as client:
        yield client


def create(client, **params) -> str:
    return client.call("campaign_create", space=SPACE, strategy={"name": "random"}, **params)[
        "campaign_id"
    ]


def put(client, campaign_id, **params) -> dict:
    return client.call("observation_put", campaign_id=campaign_id, point={"x": 0.5}, **params)


def test_an_element_put_answers_its_features_and_warnings(client):
    # the warnings reached only the journal: a microscopist's driver never saw them
    analysis = {"name": "elements", "options": {"networks": "unet"}, "value": "p_O"}
    campaign_id = create(client, analysis=analysis)
    e = np.arange(520.0, 540.0, 0.1)  # a 20 eV window: narrower than any trained one
    y = 1e4 * (e / 520) ** -3 * (1 + 0.5 * (e > 532))
    reply = put(client, campaign_id, spectrum={"x": e, "y": y})
    features = reply["features"]
    (warning,) = features["warnings"]
    assert "20 eV wide, narrower than the 30 eV" in warning
    assert reply["value"] == features["p_O"] and 0.0 <= reply["value"] <= 1.0
    assert isinstance(features["present"], list)
    stored = client.call("observations_get", campaign_id=campaign_id)
    assert stored["features"] == [features]


def test_an_undefined_feature_is_answered_as_null(client):
    # a fit with no peak has no area fraction (NaN), which a JSON reply cannot carry
    analysis = {"name": "peak_fit", "options": {"regions": {"main": [930, 936]}}}
    analysis["value"] = "n_peaks"
    campaign_id = create(client, analysis=analysis)
    e = np.arange(925.0, 950.0, 0.05)
    flat = np.random.default_rng(0).poisson(500.0, e.size).astype(float)
    reply = put(client, campaign_id, spectrum={"x": e, "y": flat})
    assert reply["value"] == reply["features"]["n_peaks"] == 0
    assert reply["features"]["area_fraction_main"] is None
    assert client.call("observations_get", campaign_id=campaign_id)["features"] == [
        reply["features"]
    ]


def test_a_put_without_analysis_answers_its_value_and_no_features(client):
    campaign_id = create(client)
    first = put(client, campaign_id, value=0.25, client_id="drv", sequence=1)
    assert first["value"] == 0.25 and first["features"] is None
    again = put(client, campaign_id, value=0.25, client_id="drv", sequence=1)
    assert again["duplicate"] and again["value"] is None and again["features"] is None
    failed = put(client, campaign_id, failed="beam dump", client_id="drv", sequence=2)
    assert failed["accepted"] and failed["value"] is None and failed["features"] is None
    assert client.call("observations_get", campaign_id=campaign_id)["features"] == [None]
