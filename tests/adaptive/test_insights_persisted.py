"""Each round's SHAP is kept in the journal: a server restarted on it reads the rounds back
as they were computed, and computes only rounds whose data or settings changed."""

import sqlite3
from contextlib import closing

import numpy as np
import pytest

import adaptive.insights
from adaptive.campaign import Campaign
from adaptive.client import Client
from adaptive.insights import campaign_insights
from adaptive.journal import SCHEMA_VERSION, Journal
from adaptive.server import Server
from tests.adaptive import test_insights
from tests.adaptive.test_insights import BATCHES, SQUARE, measure, shap_fields

explained = test_insights.explained  # the fixture counting SHAP computations

AXIS = np.linspace(400.0, 700.0, 31)
#: Spectra make the campaign's rounds explained on the network too (``_net`` fields).
OBJECTIVE = {"target_x": AXIS, "target_y": np.exp(-(((AXIS - 550) / 40) ** 2)), "x_units": "nm"}
WITH_NET = {**BATCHES, "options": {**BATCHES["options"], "net_members": 2}}


def put_round(client: Client, campaign_id: str) -> None:
    """Measure a batch of 3 suggested recipes, each a peak whose place and width they set."""
    for s in client.call("suggestions_get", campaign_id=campaign_id, n=3)["suggestions"]:
        a, b = s["point"]["a"], s["point"]["b"]
        peak = np.exp(-(((AXIS - 450 - 200 * a) / (20 + 60 * b)) ** 2))
        spectrum = {"x": AXIS, "y": peak, "x_units": "nm"}
        put = {"campaign_id": campaign_id, "point": s["point"], "suggestion_id": s["id"]}
        client.call("observation_put", **put, spectrum=spectrum)


def insights_of(path, campaign_id: str, rounds: int = 0) -> dict:
    """``campaign_insights`` from a server started on the journal ``path`` after it measured
    ``rounds`` more batches, and stopped."""
    with Server(path, bind="tcp://127.0.0.1:0") as server:
        with Client(server.endpoint, timeout_s=60, retries=0) as client:
            for _ in range(rounds):
                put_round(client, campaign_id)
            return client.call("campaign_insights", campaign_id=campaign_id)


def test_a_restarted_server_reads_the_rounds_back_and_computes_only_new_ones(tmp_path, explained):
    path = tmp_path / "journal.sqlite"
    with Server(path, bind="tcp://127.0.0.1:0") as server:
        with Client(server.endpoint, timeout_s=60, retries=0) as client:
            created = client.call(
                "campaign_create", space=SQUARE, strategy=WITH_NET, objective=OBJECTIVE
            )
    campaign_id = created["campaign_id"]
    first = insights_of(path, campaign_id, rounds=2)
    assert explained == [3, 6, 3, 6]  # the GP's rounds, then the network's
    assert first["rounds"][1]["shap_values_net"] is not None
    again = insights_of(path, campaign_id)
    assert explained == [3, 6, 3, 6]  # nothing computed after the restart
    np.testing.assert_equal(again, first)  # the same numbers, arrays and order
    assert [list(r["shap_importance"]) for r in again["rounds"]] == [
        list(r["shap_importance"]) for r in first["rounds"]
    ]  # largest first, as computed
    grown = insights_of(path, campaign_id, rounds=1)
    assert explained == [3, 6, 3, 6, 9, 9]  # only the new round, on each surrogate
    np.testing.assert_equal(grown["rounds"][:2], first["rounds"][:2])
    with closing(Journal(path)) as journal:  # and as computed afresh without the journal
        fresh = campaign_insights(Campaign.resume(journal, campaign_id))
    assert shap_fields(grown) == shap_fields(fresh)


def observed_campaign(tmp_path, rounds: int = 2) -> Campaign:
    campaign = Campaign.create(Journal(tmp_path / "j.sqlite"), SQUARE, BATCHES)
    measure(campaign, rounds)
    return campaign


def test_a_round_kept_under_other_settings_is_computed_again(tmp_path, explained, monkeypatch):
    campaign = observed_campaign(tmp_path)
    assert [r["n_explained"] for r in campaign_insights(campaign, cache=True)["rounds"]] == [3, 6]
    monkeypatch.setattr(adaptive.insights, "MAX_EXPLAINED", 4)
    subsampled = campaign_insights(campaign, cache=True)
    assert explained == [3, 6, 3, 4]  # not served the rounds of 6 explained recipes
    assert [r["n_explained"] for r in subsampled["rounds"]] == [3, 4]
    assert shap_fields(campaign_insights(campaign, cache=True)) == shap_fields(subsampled)
    assert explained == [3, 6, 3, 4]  # kept in their place


@pytest.mark.parametrize("trouble", ["read-only journal", "journal file moved"])
def test_a_round_that_cannot_be_kept_still_gets_its_reply(tmp_path, explained, trouble):
    campaign = observed_campaign(tmp_path)
    expected = campaign_insights(campaign)  # without the journal
    db, path = campaign.journal._db, campaign.journal.path  # the connection the server writes on
    moved = path.with_name("moved.sqlite")
    if trouble == "read-only journal":
        db.execute("PRAGMA query_only = 1")  # SQLite refuses writes: SQLITE_READONLY
    else:
        path.rename(moved)  # the journal refuses to write to a file no longer at its path
    np.testing.assert_equal(campaign_insights(campaign, cache=True), expected)
    assert db.execute("SELECT count(*) FROM shap_rounds").fetchone() == (0,)  # none kept
    if trouble == "read-only journal":
        db.execute("PRAGMA query_only = 0")
    else:
        moved.rename(path)
    measure(campaign, 1)  # the journal takes observations as before
    del explained[:]
    campaign_insights(campaign, cache=True)
    assert explained == [3, 6, 9]  # the rounds not kept are computed again, and kept now
    campaign_insights(campaign, cache=True)
    assert explained == [3, 6, 9]


def test_a_journal_of_version_1_is_served_and_gets_the_shap_rounds_table(tmp_path):
    """Journals written before the SHAP rounds were kept (schema version 1)."""
    campaign = observed_campaign(tmp_path)
    path, campaign_id = campaign.journal.path, campaign.id
    campaign.journal.close()
    with closing(sqlite3.connect(path)) as db:
        db.execute("DROP TABLE shap_rounds")
        db.execute("PRAGMA user_version = 1")
    with closing(Journal(path)) as journal:
        resumed = Campaign.resume(journal, campaign_id)
        assert len(journal.observations(campaign_id)) == 6
        campaign_insights(resumed, cache=True)
    with closing(sqlite3.connect(path)) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,) == (2,)
        assert db.execute("SELECT count(*) FROM shap_rounds").fetchone() == (2,)
