"""A put without suggestion_id at a pending suggestion's point is warned of; the
max_observations refusal says it counts readings, each replicate one."""

import pytest

from adaptive.campaign import Campaign
from adaptive.client import Client
from adaptive.errors import InvalidParameterError
from adaptive.records import Observation

SPACE = {"dimensions": [{"name": "energy", "low": 8900.0, "high": 9100.0, "units": "eV"}]}
GRID = {"name": "grid", "options": {"n_points": 10}}
RECIPES = {"dimensions": [{"name": "a", "low": 0, "high": 1}, {"name": "b", "low": 0, "high": 1}]}


def test_a_put_without_an_id_at_a_pending_point_warns_naming_the_suggestion(journal):
    campaign = Campaign.create(journal, SPACE, GRID, campaign_id="c1")
    first, second = campaign.suggest(2)
    campaign.observe(Observation(first.point, 1.0))
    (warning,) = campaign.last_warnings
    assert f"this point is pending suggestion {first.id}; send its suggestion_id" in warning
    assert second.id not in warning
    assert first.id in campaign.pending  # not answered behind the driver's back
    campaign.observe(Observation({"energy": 8950.5}, 2.0))  # a point nobody asked for
    assert campaign.last_warnings == []
    campaign.observe(Observation(first.point, 1.5, suggestion_id=first.id))
    assert campaign.last_warnings == [] and first.id not in campaign.pending
    resumed = Campaign.resume(journal, "c1")  # the journal replays as before: one pending
    assert sorted(resumed.pending) == [second.id] and resumed.n_observations == 3


def test_a_client_put_without_ids_gets_the_warning_over_loopback(server):
    """The reviewer's q=3 batch, put by hand without ids: all 3 stayed pending, unsaid."""
    with Client(server.endpoint, timeout_s=60, retries=0) as client:
        strategy = {"name": "batch_bo", "options": {"q": 3}}
        cid = client.call("campaign_create", space=RECIPES, strategy=strategy)["campaign_id"]
        batch = client.call("suggestions_get", campaign_id=cid, n=3)["suggestions"]
        for suggestion in batch:
            reply = client.call(
                "observation_put", campaign_id=cid, point=suggestion["point"], value=0.5
            )
            (warning,) = reply["warnings"]
            assert warning.startswith(f"this point is pending suggestion {suggestion['id']};")
            assert "send its suggestion_id with the put so it is answered (or release it)" in (
                warning
            )
        last = batch[-1]
        reply = client.call(
            "observation_put",
            campaign_id=cid,
            point=last["point"],
            value=0.5,
            suggestion_id=last["id"],
        )
        assert reply["warnings"] == []
        pending = client.call("campaign_status", campaign_id=cid)["pending"]
        assert pending == sorted(s["id"] for s in batch[:-1])


@pytest.mark.parametrize(
    ("strategy", "goal", "advice"),
    [
        ({"name": "batch_bo", "options": {"q": 15}}, 10, "max_observations=15 x replicates + 1"),
        ({"name": "energy_scan"}, 5, "max_observations=12 x replicates"),
    ],
)
def test_the_starting_points_refusal_says_max_observations_counts_each_replicate(
    journal, strategy, goal, advice
):
    """max_observations=40 with q=15 and 3 droplets a recipe stopped inside the design; the
    refusal of 10 advised 16, too few for a robot taking 3 readings per recipe."""
    space = RECIPES if strategy["name"] == "batch_bo" else SPACE
    with pytest.raises(InvalidParameterError) as err:
        Campaign.create(journal, space, strategy, goals={"max_observations": goal})
    message = str(err.value)
    assert "max_observations counts readings, each replicate one" in message
    assert f"{advice} or more" in message
    assert journal.campaign_ids() == []
