"""observation_put over loopback: a NaN in a point named by the client; a reply that warns of
a put far from its suggestion, yet journals it."""

import json

import numpy as np
import pytest
import zmq

from adaptive import protocol
from adaptive.client import Client
from adaptive.errors import InvalidParameterError
from adaptive.journal import Journal

SPACE = {"dimensions": [{"name": "energy", "low": 8900, "high": 9100, "units": "eV"}]}


def new_campaign(client):
    """An energy scan of 8900..9100 eV with a 4-point grid; its id."""
    strategy = {"name": "energy_scan", "options": {"n_initial": 4}}
    return client.call("campaign_create", space=SPACE, strategy=strategy)["campaign_id"]


def raw_put(endpoint, params_json):
    """Send an observation_put whose params are the JSON text given; the decoded reply."""
    text = f'{{"v": 1, "id": "raw", "method": "observation_put", "params": {params_json}}}'
    socket = zmq.Context.instance().socket(zmq.DEALER)
    socket.setsockopt(zmq.LINGER, 0)
    socket.connect(endpoint)
    try:
        socket.send_multipart([b"", text.encode()])
        assert socket.poll(5000), "server did not answer"
        return protocol.decode(socket.recv_multipart()[1:])
    finally:
        socket.close()


@pytest.mark.parametrize("energy", [float("nan"), np.float32("inf"), np.float64("-inf")])
def test_a_nan_or_inf_in_a_point_is_named_by_the_client(server, energy):
    with Client(server.endpoint, timeout_s=20, retries=0) as client:
        campaign = new_campaign(client)
        with pytest.raises(InvalidParameterError, match=r"^point energy=\S+ must be a finite"):
            client.call(
                "observation_put", campaign_id=campaign, point={"energy": energy}, value=1.0
            )
    # JSON has no NaN: a raw request carrying one is refused naming the literal
    params = json.dumps({"campaign_id": campaign, "point": {"energy": 1.0}, "value": 1.0})
    reply = raw_put(server.endpoint, params.replace("1.0}", "NaN}"))
    assert reply["error"]["type"] == "ProtocolError"
    assert "JSON literal NaN is not allowed" in reply["error"]["message"]
    assert Journal(server.journal_path).observations(campaign) == []


def test_a_put_far_from_its_suggestion_is_journaled_with_a_warning(server):
    with Client(server.endpoint, timeout_s=20, retries=0) as client:
        campaign = new_campaign(client)
        first, second = client.call("suggestions_get", campaign_id=campaign, n=2)["suggestions"]
        suggested = second["point"]["energy"]  # 8966.67 eV
        near = suggested + 9.9  # 4.95 % of the range: a readback, however sloppy
        reply = client.call(
            "observation_put",
            campaign_id=campaign,
            point={"energy": near},
            value=0.1,
            suggestion_id=second["id"],
        )
        assert reply["accepted"] and reply["warnings"] == []
        reply = client.call(
            "observation_put",
            campaign_id=campaign,
            point={"energy": 9050.0},
            value=0.3,
            suggestion_id=second["id"],
        )
        unnamed = client.call(  # a reading nobody asked for: nothing to compare it with
            "observation_put", campaign_id=campaign, point={"energy": 9050.0}, value=0.3
        )
    assert reply["accepted"] and reply["n_observations"] == 2
    (warning,) = reply["warnings"]
    assert warning.startswith(
        f"energy=9050 eV is 83.3333 eV from the 8966.67 eV of suggestion {second['id']}, "
        "more than 5% of the range 8900..9100"
    )
    assert unnamed["accepted"] and unnamed["warnings"] == []
    observed = Journal(server.journal_path).observations(campaign)
    assert [(o.point["energy"], o.suggestion_id) for o in observed] == [
        (near, second["id"]),
        (9050.0, second["id"]),
        (9050.0, None),
    ]
    assert first["id"] not in {o.suggestion_id for o in observed}
