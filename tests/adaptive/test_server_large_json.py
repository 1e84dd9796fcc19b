"""A request's JSON frame is bounded: long arrays travel as binary frames, themselves
bounded with the whole request (``MAX_REQUEST_BYTES``)."""

import re

import numpy as np
import pytest
import zmq

from adaptive import protocol
from adaptive.client import Client
from adaptive.errors import ProtocolError, RemoteError
from adaptive.protocol import MAX_REQUEST_BYTES, MAX_REQUEST_JSON_BYTES, decode, encode

SPECTRUM = np.linspace(0.0, 1.0, 200_000)


def test_a_long_json_list_is_refused_and_the_server_keeps_serving(server):
    # a spectrum of 10**6 values as JSON lists took 2 s to decode, stalling every client
    space = {"dimensions": [{"name": "x", "low": 0.0, "high": 1.0}]}
    with Client(server.endpoint, timeout_s=10, retries=0) as client:
        campaign = client.call("campaign_create", space=space, strategy={"name": "random"})
        put = {"campaign_id": campaign["campaign_id"], "point": {"x": 0.5}, "value": 1.0}
        spectrum = {"x": SPECTRUM.tolist(), "y": SPECTRUM.tolist()}
        with pytest.raises(RemoteError, match=r"MiB of JSON.*as binary array frames") as caught:
            client.call("observation_put", spectrum=spectrum, **put)
        assert caught.value.type == "ProtocolError"
        as_arrays = {"x": SPECTRUM, "y": SPECTRUM}
        assert client.call("observation_put", spectrum=as_arrays, **put)["n_observations"] == 1


def test_a_long_json_reply_is_read():
    frames = encode({"v": 1, "id": 1, "ok": True, "result": SPECTRUM.tolist()})
    assert len(frames[0]) > MAX_REQUEST_JSON_BYTES
    assert len(decode(frames, what="reply")["result"]) == SPECTRUM.size


def test_a_request_over_the_size_bound_is_refused_and_the_server_keeps_serving(server):
    # a 1 GB model_predict frame took 2.5 GB of the server's memory and stalled every client
    space = {"dimensions": [{"name": "x", "low": 0.0, "high": 1.0}]}
    points = np.full(MAX_REQUEST_BYTES // 8 + 1, 0.5)
    too_many = r"the request holds 67,1\d\d,\d{3} bytes, more than the 67,108,864 \(64 MiB\)"
    with Client(server.endpoint, timeout_s=30, retries=0) as client:
        campaign_id = client.call("campaign_create", space=space, strategy={"name": "random"})[
            "campaign_id"
        ]
        with pytest.raises(ProtocolError, match=too_many):
            client.call("model_predict", campaign_id=campaign_id, points=points)  # not sent
        # a raw client's request is refused by the server, which keeps serving
        request = protocol.request("model_predict", {"campaign_id": campaign_id, "points": points})
        dealer = zmq.Context.instance().socket(zmq.DEALER)
        dealer.setsockopt(zmq.LINGER, 0)
        dealer.connect(server.endpoint)
        try:
            dealer.send_multipart([b"", *protocol.encode(request)])
            assert dealer.poll(30_000)
            reply = protocol.decode(dealer.recv_multipart()[1:], "reply")
        finally:
            dealer.close()
        assert reply["error"]["type"] == "ProtocolError"
        assert re.search(too_many, reply["error"]["message"]), reply
        assert client.call("server_ping")["journal_problem"] is None
