"""A ``suggestions_get`` or ``campaign_create`` whose reply a server crash lost, resent to the
restarted server."""

from contextlib import contextmanager

import pytest

from adaptive.client import Client
from adaptive.errors import RemoteError
from adaptive.server import Server

SPACE = {"dimensions": [{"name": "energy", "low": 8900.0, "high": 9100.0}]}


def _served(journal):
    server = Server(journal, bind="tcp://127.0.0.1:0")
    return server, Client(server.start(), timeout_s=30)


@contextmanager
def restarted(server: Server, journal):
    """Stop ``server`` (its reply cache is gone with it) and serve ``journal`` anew: a client
    of the new server, which is stopped on leaving."""
    server.stop()
    server, client = _served(journal)
    try:
        with client:
            yield client
    finally:
        server.stop()


def test_a_resent_suggestions_get_gets_the_batch_the_first_server_made(tmp_path):
    journal = tmp_path / "journal.sqlite"
    server, client = _served(journal)
    with client:
        strategy = {"name": "energy_scan", "options": {"n_initial": 4}}
        created = client.call("campaign_create", space=SPACE, strategy=strategy)
        campaign_id = created["campaign_id"]
        request = client.prepare("suggestions_get", campaign_id=campaign_id, n=2)
        first = client.send(request)
    with restarted(server, journal) as client:
        again = client.send(request)
        pending = client.call("suggestions_pending", campaign_id=campaign_id)
        fresh = client.call("suggestions_get", campaign_id=campaign_id, n=2)
    assert len(first["suggestions"]) == 2 and again["suggestions"] == first["suggestions"]
    assert pending["suggestions"] == first["suggestions"]  # no second batch pending
    assert {s["id"] for s in fresh["suggestions"]}.isdisjoint(s["id"] for s in first["suggestions"])


def test_a_resent_campaign_create_without_an_id_finds_the_campaign_it_made(tmp_path):
    journal = tmp_path / "journal.sqlite"
    server, client = _served(journal)
    strategy = {"name": "energy_scan", "options": {"n_initial": 4}}
    with client:
        request = client.prepare("campaign_create", space=SPACE, strategy=strategy)
        first = client.send(request)
        client.call("suggestions_get", campaign_id=first["campaign_id"], n=2)
    with restarted(server, journal) as client:
        again = client.send(request)
        other = client.call("campaign_create", space=SPACE, strategy=strategy)  # a new one
        listed = client.call("campaign_list")
    assert again["campaign_id"] == first["campaign_id"] and len(again["pending"]) == 2
    assert other["campaign_id"] != first["campaign_id"]
    assert sorted(listed) == sorted([first["campaign_id"], other["campaign_id"]])


def test_a_resent_campaign_create_naming_its_id_is_refused_as_made_already(tmp_path):
    journal = tmp_path / "journal.sqlite"
    server, client = _served(journal)
    strategy = {"name": "energy_scan", "options": {"n_initial": 4}}
    with client:
        request = client.prepare("campaign_create", space=SPACE, strategy=strategy, campaign_id="a")
        client.send(request)
    with (
        restarted(server, journal) as client,
        pytest.raises(RemoteError, match="resent after its reply was lost made it"),
    ):
        client.send(request)


def test_a_put_with_none_keys_resent_to_a_restarted_server_is_a_duplicate(tmp_path):
    # review Z21: Client.prepare keyed only puts without the keys, so a driver wrapper
    # forwarding None for each left the put unkeyed, and the resend was journaled twice
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
    with restarted(server, journal) as client:
        again = client.send(request)
        readings = client.call("observations_get", campaign_id=campaign_id)
    assert first["accepted"] and not first["duplicate"]
    assert again["duplicate"] and not again["accepted"] and again["n_observations"] == 1
    assert readings["values"] == [1.5]
