"""A client whose tries run out tells a server that is up but busy (a long fit) from one
that is gone, by pinging it once; either way it raises ServerUnavailableError."""

import functools
import time

import pytest

from adaptive.client import Client, ServerUnavailableError
from adaptive.server import Server

SPACE = {"dimensions": [{"name": "energy", "low": 8900.0, "high": 9100.0}]}


@pytest.fixture
def busy_server(tmp_path):
    """A real server whose ``suggestions_get`` takes 2 s, as a long model fit does."""
    server = Server(tmp_path / "journal.sqlite", bind="tcp://127.0.0.1:0")
    handler = server.methods["suggestions_get"]

    @functools.wraps(handler)  # keeps the signature the dispatcher checks
    def slowly(**params):
        time.sleep(2.0)
        return handler(**params)

    server.methods["suggestions_get"] = slowly
    server.start()
    yield server
    server.stop()


def test_a_busy_server_is_named_up_and_the_advice_is_a_longer_timeout(busy_server):
    with Client(busy_server.endpoint, timeout_s=0.2, retries=1) as client:
        campaign = client.call("campaign_create", space=SPACE, strategy={"name": "random"})
        with pytest.raises(ServerUnavailableError) as caught:
            client.call("suggestions_get", campaign_id=campaign["campaign_id"])
    message = str(caught.value)
    assert f"the server at {busy_server.endpoint} is up but has not answered" in message
    assert "'suggestions_get'" in message and "2 tries of 0.2 s" in message
    assert "raise timeout_s, or pass outage_s to run_driver" in message
    assert "check that the server is running" not in message
    assert caught.value.request.method == "suggestions_get"  # to resend, as before


def test_a_missing_server_is_still_named_silent():
    with Client("tcp://127.0.0.1:1", timeout_s=0.2, retries=0) as client:
        start = time.monotonic()
        with pytest.raises(ServerUnavailableError) as caught:
            client.call("campaign_list")
    assert time.monotonic() - start < 0.2 + 0.2 + 1.0  # one try, then a ping as short
    message = str(caught.value)
    assert "no reply from tcp://127.0.0.1:1" in message and "is up" not in message
    assert "check that the server is running at that address" in message
    # a driver author is told how the loop rides out a restart and picks up what it left
    assert "pass outage_s to run_driver" in message and "resume_pending=True" in message
