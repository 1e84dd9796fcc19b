"""A journal a server holds is written only by that server: another ``Journal`` on the file
reads it, but its writes are refused (the server would not see them), and nothing changes."""

import os

import pytest

from adaptive.campaign import Campaign
from adaptive.client import Client
from adaptive.errors import JournalError
from adaptive.journal import Journal
from adaptive.records import Observation
from adaptive.server import Server

SPACE = {"dimensions": [{"name": "energy", "low": 8900.0, "high": 9100.0}]}
GRID = {"name": "grid", "options": {"n_points": 5}}


def test_a_served_journal_is_read_but_not_written_beside_the_server(tmp_path):
    path = tmp_path / "journal.sqlite"
    server = Server(path, bind="tcp://127.0.0.1:0")
    try:
        with Client(server.start(), timeout_s=30) as client:
            campaign_id = client.call("campaign_create", space=SPACE, strategy=GRID)["campaign_id"]
            (first,) = client.call("suggestions_get", campaign_id=campaign_id)["suggestions"]
            beside = Journal(path)
            try:
                campaign = Campaign.resume(beside, campaign_id)  # reading is fine
                assert list(campaign.pending) == [first["id"]]
                put = Observation(first["point"], value=1.0, suggestion_id=first["id"])
                with pytest.raises(JournalError, match=f"served by a server \\(pid {os.getpid()}"):
                    campaign.observe(put)
                with pytest.raises(JournalError, match="send it through the server"):
                    Campaign.create(beside, SPACE, GRID, campaign_id="mine")
            finally:
                beside.close()
            status = client.call("campaign_status", campaign_id=campaign_id)
            listed = client.call("campaign_list")
    finally:
        server.stop()
    assert status["n_observations"] == 0 and status["pending"] == [first["id"]]
    assert listed == [campaign_id]
    after = Journal(path)  # the server gone, the journal is anyone's
    try:
        Campaign.resume(after, campaign_id).observe(put)
        assert len(after.observations(campaign_id)) == 1
    finally:
        after.close()
