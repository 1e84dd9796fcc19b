"""Insight rounds follow the suggestions batches, whatever failed or was measured late."""

from adaptive.campaign import Campaign
from adaptive.insights import campaign_insights
from adaptive.journal import Journal
from adaptive.records import Observation

SPACE = {"dimensions": [{"name": "A", "low": 0, "high": 10}, {"name": "B", "low": 0, "high": 10}]}
STRATEGY = {"name": "batch_bo", "options": {"q": 4, "batch_method": "thompson", "seed": 1}}


def test_a_failed_recipe_does_not_shift_the_later_rounds(tmp_path):
    journal = Journal(tmp_path / "j.sqlite")
    campaign = Campaign.create(journal, SPACE, STRATEGY)
    for b in range(3):
        for k, s in enumerate(campaign.suggest(4)):
            if b == 1 and k == 0:
                campaign.observe(Observation(s.point, failed="clogged", suggestion_id=s.id))
            else:  # the value tells the batch: 0-3, 101-103, 200-203
                campaign.observe(Observation(s.point, value=100 * b + k, suggestion_id=s.id))
    rounds = campaign_insights(campaign)["rounds"]
    by_round = [sorted(v for vs in r["values_by_source"].values() for v in vs) for r in rounds]
    assert by_round == [[0, 1, 2, 3], [101, 102, 103], [200, 201, 202, 203]]
    resumed = Campaign.resume(journal, campaign.id)  # the batches come back from the journal
    assert [r["n_recipes"] for r in campaign_insights(resumed)["rounds"]] == [4, 3, 4]
    journal.close()


def test_no_shap_before_one_more_recipe_than_factors(tmp_path):
    names = ["a", "b", "c", "d"]
    space = {"dimensions": [{"name": n, "low": 0.0, "high": 1.0} for n in names]}
    strategy = {"name": "batch_bo", "options": {"q": 4, "batch_method": "thompson"}}
    campaign = Campaign.create(Journal(tmp_path / "j.sqlite"), space, strategy)
    for _ in range(2):
        for s in campaign.suggest(4):
            campaign.observe(Observation(s.point, value=s.point["a"], suggestion_id=s.id))
    first, second = campaign_insights(campaign)["rounds"]
    assert first["n_recipes"] == 4 and first["best"] is not None  # its other figures stay
    assert first["shap_importance"] is None  # 4 recipes cannot rank 4 factors
    assert set(second["shap_importance"]) == set(names)
