"""A put whose ``client_id`` and ``sequence`` are passed as None is keyed as one without them."""

from adaptive.client import Client
from adaptive.server import Server

SPACE = {"dimensions": [{"name": "energy", "low": 8900.0, "high": 9100.0}]}


def _served(journal):
    server = Server(journal, bind="tcp://127.0.0.1:0")
    return server, Client(server.start(), timeout_s=30)


def test_a_put_with_none_keys_resent_to_a_restarted_server_is_a_duplicate(tmp_path):
    journal = tmp_path / "journal.sqlite"
    server, client = _served(journal)
    with client:
        campaign_id = client.call("campaign_create", space=SPACE, strategy={"name": "random"})[
            "campaign_id"
        ]
        # a driver wrapper that forwards every optional parameter, None when unset
        request = client.prepare(
            "observation_put",
            campaign_id=campaign_id,
            point={"energy": 9000.0},
            value=1.5,
            client_id=None,
            sequence=None,
        )
        first = client.send(request)
    server.stop()  # its reply cache is gone with it
    server, client = _served(journal)
    try:
        with client:
            again = client.send(request)
            readings = client.call("observations_get", campaign_id=campaign_id)
    finally:
        server.stop()
    assert first["accepted"] and not first["duplicate"]
    assert again["duplicate"] and not again["accepted"] and again["n_observations"] == 1
    assert readings["values"] == [1.5]
