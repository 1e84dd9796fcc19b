"""A failed measurement's recipe is not suggested again (live, resumed and served), and a
batch_bo campaign whose q its greedy batch method cannot pick is refused at creation."""

from dataclasses import asdict

import pytest

from adaptive.campaign import Campaign, Goals
from adaptive.client import Client
from adaptive.errors import InvalidParameterError
from adaptive.journal import Journal
from adaptive.records import Observation

SQUARE = {
    "dimensions": [{"name": "a", "low": 0.0, "high": 1.0}, {"name": "b", "low": 0.0, "high": 1.0}]
}
LINE = {"dimensions": [{"name": "energy", "low": 8900.0, "high": 9100.0, "units": "eV"}]}


def batch_bo(n_initial: int) -> dict:
    """batch_bo with q=4 and its default method (qlognei), small enough to be quick."""
    options = {"q": 4, "n_initial": n_initial, "n_candidates": 64, "seed": 0}
    return {"name": "batch_bo", "options": options}


def bowl(point: dict) -> float:
    return (point["a"] - 0.3) ** 2 + (point["b"] - 0.6) ** 2


def recipes(suggestions) -> set[tuple]:
    return {tuple(sorted(s.point.items())) for s in suggestions}


def fail_all(campaign, suggestions) -> None:
    for s in suggestions:
        campaign.observe(Observation(dict(s.point), suggestion_id=s.id, failed="reactor clogged"))


def measure_all(campaign, suggestions) -> None:
    for s in suggestions:
        campaign.observe(Observation(dict(s.point), value=bowl(s.point), suggestion_id=s.id))


def test_failed_design_recipes_are_replaced_not_suggested_again(journal):
    design = recipes(Campaign.create(journal, SQUARE, batch_bo(6), campaign_id="d").suggest(6))
    campaign = Campaign.create(journal, SQUARE, batch_bo(n_initial=6), campaign_id="c")
    clogged = campaign.suggest(4)
    fail_all(campaign, clogged)
    rest = campaign.suggest(4)  # the design's other two, and two in place of the clogged four
    assert len(rest) == 4 and not recipes(rest) & recipes(clogged)
    assert recipes(rest) >= design - recipes(clogged)
    assert {s.reason for s in rest} == {"initial lhs design"}
    assert campaign.n_failed == 4 and campaign.pending.keys() == {s.id for s in rest}


def test_a_design_that_fails_entirely_is_replaced_until_the_model_can_fit(tmp_path):
    """Before, every design recipe failed left nothing to suggest: the campaign stalled."""
    path = tmp_path / "journal.sqlite"
    journal = Journal(path)
    campaign = Campaign.create(journal, SQUARE, batch_bo(n_initial=4), campaign_id="c")
    clogged: set[tuple] = set()
    for _ in range(2):
        batch = campaign.suggest(4)
        assert len(batch) == 4 and not recipes(batch) & clogged
        assert {s.strategy for s in batch} == {"batch_bo:design"}
        clogged |= recipes(batch)
        fail_all(campaign, batch)
    journal.close()
    journal = Journal(path)
    try:
        again = Campaign.resume(journal, "c")
        batch = again.suggest(4)
        assert len(batch) == 4 and not recipes(batch) & clogged
        measure_all(again, batch)
        assert {s.strategy for s in again.suggest(4)} == {"batch_bo:gp"}
    finally:
        journal.close()


def test_failed_model_batches_are_not_suggested_again(journal):
    campaign = Campaign.create(journal, SQUARE, batch_bo(n_initial=2), campaign_id="c")
    measure_all(campaign, campaign.suggest(2))
    clogged: set[tuple] = set()
    for _ in range(3):
        batch = campaign.suggest(4)
        assert len(batch) == 4 and {s.strategy for s in batch} == {"batch_bo:gp"}
        assert not recipes(batch) & clogged
        clogged |= recipes(batch)
        fail_all(campaign, batch)
    assert (campaign.n_observations, campaign.n_failed) == (2, 12)


def test_a_resumed_campaign_does_not_suggest_its_failed_recipes_again(tmp_path):
    path = tmp_path / "journal.sqlite"
    journal = Journal(path)
    live = Campaign.create(journal, SQUARE, batch_bo(n_initial=2), campaign_id="c")
    measure_all(live, live.suggest(2))
    clogged = live.suggest(4)
    fail_all(live, clogged)
    journal.close()
    journal = Journal(path)
    try:
        again = Campaign.resume(journal, "c")
        batch = again.suggest(4)
    finally:
        journal.close()
    assert len(batch) == 4 and not recipes(batch) & recipes(clogged)
    assert again.failed_points == live.failed_points and again.n_failed == 4


@pytest.mark.parametrize(
    "strategy",
    [
        {"name": "grid", "options": {"n_points": 5}},
        {"name": "energy_scan", "options": {"n_initial": 5}},
    ],
)
def test_a_scan_suggests_its_failed_energy_again(journal, strategy):
    """A scan's failed reading was likely a beam loss: its energy is measured again."""
    campaign = Campaign.create(journal, LINE, strategy, campaign_id="c")
    failed, measured = campaign.suggest(2)
    fail_all(campaign, [failed])
    campaign.observe(Observation(dict(measured.point), value=0.5, suggestion_id=measured.id))
    assert failed.point in [s.point for s in campaign.suggest(4)]


def test_a_served_campaign_does_not_suggest_its_failed_recipes_again(server):
    with Client(server.endpoint, timeout_s=30, retries=1) as client:
        created = client.call("campaign_create", space=SQUARE, strategy=batch_bo(n_initial=6))
        campaign_id = created["campaign_id"]
        first = client.call("suggestions_get", campaign_id=campaign_id, n=4)["suggestions"]
        for s in first:
            put = {"point": s["point"], "suggestion_id": s["id"], "failed": "reactor clogged"}
            client.call("observation_put", campaign_id=campaign_id, **put)
        reply = client.call("suggestions_get", campaign_id=campaign_id, n=4)
        status = client.call("campaign_status", campaign_id=campaign_id)
    points = [sorted(s["point"].items()) for s in first]
    assert len(reply["suggestions"]) == 4  # two of the design, two in place of failed ones
    assert not any(sorted(s["point"].items()) in points for s in reply["suggestions"])
    assert status["n_failed"] == 4


@pytest.mark.parametrize("method", ["qlognei", "kriging_believer", "ucb"])
def test_a_greedy_batch_bo_with_q_past_its_cap_is_refused_at_creation(journal, method):
    config = {"name": "batch_bo", "options": {"q": 100, "batch_method": method}}
    message = rf"q=100 asks {method} for 100 recipes in one batch; it picks at most 64"
    with pytest.raises(InvalidParameterError, match=message):
        Campaign.create(journal, SQUARE, config, campaign_id="c")
    assert journal.campaign_ids() == []
    # a journal holding one still resumes, and is asked in parts
    journal.create_campaign("old", {"space": SQUARE, "strategy": config, "goals": asdict(Goals())})
    assert len(Campaign.resume(journal, "old").suggest(64)) == 64
    scaling = {"name": "batch_bo", "options": {"q": 100, "batch_method": "thompson"}}
    assert Campaign.create(journal, SQUARE, scaling, campaign_id="new").strategy.q == 100
