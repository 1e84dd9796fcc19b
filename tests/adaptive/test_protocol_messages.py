"""Error messages a client in another language meets first: they name the fix."""

import json

import numpy as np
import pytest
import zmq

from adaptive import protocol
from adaptive.client import Client
from adaptive.errors import RemoteError

PING = json.dumps({"v": 1, "id": "p", "method": "server_ping", "params": {}}).encode()


def req_call(endpoint, frames):
    """Send ``frames`` from a REQ socket (which adds the delimiter) and decode the reply."""
    socket = zmq.Context.instance().socket(zmq.REQ)
    socket.setsockopt(zmq.LINGER, 0)
    socket.connect(endpoint)
    try:
        socket.send_multipart(frames)
        assert socket.poll(5000), "server did not answer"
        return protocol.decode(socket.recv_multipart(), "reply")
    finally:
        socket.close()


def test_a_req_peer_that_sends_the_delimiter_itself_is_told_so_and_served_after(server):
    reply = req_call(server.endpoint, [b"", PING])
    assert reply["ok"] is False and reply["error"]["type"] == "ProtocolError"
    assert "frame 0 is empty" in reply["error"]["message"]
    assert "a REQ socket adds the delimiter itself" in reply["error"]["message"]
    assert req_call(server.endpoint, [PING])["ok"] is True


def test_prediction_points_holding_null_are_named_as_null(server):
    grid = {"name": "grid", "options": {"n_points": 20}}
    space = {"dimensions": [{"name": "energy", "low": 8950.0, "high": 9100.0}]}
    with Client(server.endpoint, timeout_s=10, retries=0) as client:
        campaign_id = client.call("campaign_create", space=space, strategy=grid)["campaign_id"]
        with pytest.raises(RemoteError, match="points hold null") as caught:
            client.call("model_predict", campaign_id=campaign_id, points=[8950.0, None])
        assert caught.value.type == "InvalidParameterError"
        with pytest.raises(RemoteError, match="points hold NaN or inf"):
            client.call("model_predict", campaign_id=campaign_id, points=np.array([np.nan]))
