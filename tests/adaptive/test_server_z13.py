"""Z13 leftovers: an IPv6 endpoint, campaign ids with spaces, control characters or no
end, and an observation time in milliseconds. Real sockets on loopback, real journals."""

import time

import pytest
import zmq

from adaptive.campaign import MAX_ID_CHARS, Campaign
from adaptive.client import Client
from adaptive.errors import InvalidParameterError, RemoteError
from adaptive.journal import Journal
from adaptive.server import Server

SPACE = {"dimensions": [{"name": "energy", "low": 7000.0, "high": 7300.0, "units": "eV"}]}
RANDOM = {"name": "random", "options": {"seed": 0}}


def _ipv6_loopback() -> bool:
    socket = zmq.Context.instance().socket(zmq.ROUTER)
    socket.setsockopt(zmq.IPV6, 1)
    try:
        socket.bind_to_random_port("tcp://[::1]")
        return True
    except zmq.ZMQError:
        return False
    finally:
        socket.close(linger=0)


@pytest.mark.skipif(not _ipv6_loopback(), reason="this machine has no IPv6 loopback")
def test_a_server_on_an_ipv6_endpoint_serves_a_client_that_names_it(tmp_path):
    with Server(tmp_path / "j.sqlite", bind="tcp://[::1]:0") as server:
        assert server.endpoint.startswith("tcp://[::1]:")
        with Client(server.endpoint, timeout_s=10, retries=0) as client:
            made = client.call("campaign_create", space=SPACE, strategy=RANDOM, campaign_id="c")
            assert made["campaign_id"] == "c"


@pytest.mark.parametrize(
    "campaign_id", [" cu-edge", "cu-edge\n", "cu\x00edge", "x" * (MAX_ID_CHARS + 1), ""]
)
def test_a_campaign_id_with_end_spaces_control_characters_or_too_long_is_refused(
    tmp_path, campaign_id
):
    journal = Journal(tmp_path / "j.sqlite")
    with pytest.raises(InvalidParameterError, match="printable characters with no space"):
        Campaign.create(journal, SPACE, RANDOM, campaign_id=campaign_id)
    assert journal.campaign_ids() == []
    assert Campaign.create(journal, SPACE, RANDOM, campaign_id="cu edge 3").id == "cu edge 3"


def test_an_observation_time_in_milliseconds_is_refused_and_the_journal_keeps_the_rest(server):
    with Client(server.endpoint, timeout_s=10) as client:
        client.call("campaign_create", space=SPACE, strategy=RANDOM, campaign_id="c")
        point = {"energy": 7100.0}
        client.call("observation_put", campaign_id="c", point=point, value=1.0, time=1.7e9)
        with pytest.raises(RemoteError, match="after the year 3000.*divide milliseconds by 1e3"):
            millis = time.time() * 1e3
            client.call("observation_put", campaign_id="c", point=point, value=2.0, time=millis)
        assert client.call("campaign_status", campaign_id="c")["n_observations"] == 1
