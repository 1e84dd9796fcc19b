"""Review Z18: batch_bo with a finite set of recipes stops once every recipe is measured or
failed (it stayed running, suggesting nothing and waiting on nothing, for good)."""

import pytest

from adaptive.campaign import Campaign
from adaptive.records import Observation

POOL = {"dimensions": [{"name": "a", "low": 0.0, "high": 1.0}]}
LATTICE = {"dimensions": [{"name": "a", "low": 0, "high": 3, "kind": "integer"}]}
CANDIDATES = [{"a": a} for a in (0.1, 0.4, 0.7, 0.9)]


def measure_all(campaign: Campaign, clogs_above: float) -> None:
    """Answer every suggestion: a reading up to ``clogs_above``, a failed measurement above."""
    while campaign.status == "running" and (batch := campaign.suggest(2)):
        for s in batch:
            clogged = s.point["a"] > clogs_above
            campaign.observe(
                Observation(
                    dict(s.point),
                    None if clogged else s.point["a"] ** 2,
                    suggestion_id=s.id,
                    failed="channel clogged" if clogged else None,
                )
            )


@pytest.mark.parametrize(
    ("space", "options", "clogs_above", "reason"),
    [
        (POOL, {"candidates": CANDIDATES}, 0.5, "all 4 recipes of the pool measured (2 of them"),
        (LATTICE, {}, 1.5, "all 4 feasible recipes of the space measured (2 of them"),
    ],
)
def test_a_finite_set_of_recipes_measured_or_failed_stops_the_campaign(
    journal, space, options, clogs_above, reason
):
    reason += " failed)"
    strategy = {"name": "batch_bo", "options": {"q": 2, "n_initial": 2, **options}}
    campaign = Campaign.create(journal, space, strategy, campaign_id="c1")
    measure_all(campaign, clogs_above)
    assert (campaign.n_observations, campaign.n_failed) == (2, 2)
    assert (campaign.status, campaign.stop_reason) == ("stopped", reason)
    assert Campaign.resume(journal, "c1").stop_reason == reason


def test_a_failed_recipe_the_driver_measured_since_counts_once(journal):
    """Review C26: a clogged recipe put again by the driver itself is measured, not still
    failed; counting it as both stopped a 6-recipe lattice with one recipe never measured."""
    space = {"dimensions": [{"name": "a", "low": 0, "high": 5, "kind": "integer"}]}
    strategy = {"name": "batch_bo", "options": {"q": 1, "n_initial": 2, "seed": 0}}
    campaign = Campaign.create(journal, space, strategy, campaign_id="c1")
    clogged = None
    for step in range(5):
        (s,) = campaign.suggest(1)
        if step == 2:
            clogged = dict(s.point)
            campaign.observe(Observation(clogged, None, suggestion_id=s.id, failed="clogged"))
        else:
            campaign.observe(Observation(dict(s.point), s.point["a"] ** 2, suggestion_id=s.id))
    campaign.observe(Observation(clogged, clogged["a"] ** 2))  # the driver's own retry
    assert campaign.n_observations == 5
    (s,) = campaign.suggest(1)  # the one recipe never measured
    assert campaign.status == "running"
    campaign.observe(Observation(dict(s.point), s.point["a"] ** 2, suggestion_id=s.id))
    assert campaign.suggest(1) == []
    assert campaign.stop_reason == "all 6 feasible recipes of the space measured"
