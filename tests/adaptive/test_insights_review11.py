"""Review 11 (chemist): each round says how many recipes its SHAP explained, every recipe
measured by the end of the round (subsampled), not only the round's own."""

import adaptive.insights
from adaptive.campaign import Campaign
from adaptive.insights import campaign_insights, shap_by_round
from adaptive.journal import Journal
from adaptive.records import Observation

SQUARE = {"dimensions": [{"name": n, "low": 0.0, "high": 1.0} for n in ("a", "b")]}
BATCHES = {"name": "batch_bo", "options": {"q": 3, "n_initial": 3, "n_candidates": 64, "seed": 0}}


def measured(tmp_path, rounds: int) -> Campaign:
    """A campaign that measured ``rounds`` batches of 3 suggested recipes (objective a + b)."""
    campaign = Campaign.create(Journal(tmp_path / "j.sqlite"), SQUARE, BATCHES)
    for _ in range(rounds):
        for s in campaign.suggest(3):
            value = s.point["a"] + s.point["b"]
            campaign.observe(Observation(s.point, value=value, suggestion_id=s.id))
    return campaign


def test_each_round_reports_the_recipes_its_shap_explained(tmp_path):
    rounds = campaign_insights(measured(tmp_path, 3))["rounds"]
    assert [r["n_recipes"] for r in rounds] == [3, 3, 3]  # the round's own
    assert [r["n_explained"] for r in rounds] == [3, 6, 9]  # every recipe measured by then
    assert [len(r["shap_values"]) for r in rounds] == [3, 6, 9]
    assert [r["n_explained_net"] for r in rounds] == [None] * 3  # no spectra, no network


def test_n_explained_counts_the_subsample(tmp_path, monkeypatch):
    monkeypatch.setattr(adaptive.insights, "MAX_EXPLAINED", 4)
    campaign = measured(tmp_path, 3)
    assert [r["n_explained"] for r in campaign_insights(campaign)["rounds"]] == [3, 4, 4]
    by_round = shap_by_round(campaign.strategy)["gp"].values()
    assert [(r["n_recipes"], r["n_explained"]) for r in by_round] == [(3, 3), (6, 4), (9, 4)]


def test_a_round_before_shap_has_none_explained(tmp_path):
    campaign = Campaign.create(Journal(tmp_path / "j.sqlite"), SQUARE, BATCHES)
    s = campaign.suggest(3)[0]
    campaign.observe(Observation(s.point, value=1.0, suggestion_id=s.id))
    (only,) = campaign_insights(campaign)["rounds"]
    assert only["n_recipes"] == 1 and only["n_explained"] is None
